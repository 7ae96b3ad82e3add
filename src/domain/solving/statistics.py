"""Small robust statistics used by summaries and the performance validator."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def paired_difference(after: Sequence[float], before: Sequence[float], resamples: int = 10_000,
                      seed: int = 0) -> tuple[float, float, float]:
    """Mean of `after - before` over paired items (tasks scored two ways) with a 95% paired-bootstrap
    interval: resampling tasks, not the two scores apart, because a task's two scores share its
    difficulty, which makes the interval far tighter than two independent ones. Deterministic by seed."""
    if len(after) != len(before) or not after:
        raise ValueError(f"need paired, non-empty scores, got {len(after)} and {len(before)}")
    deltas = [a - b for a, b in zip(after, before)]
    rng = random.Random(seed)
    n = len(deltas)
    means = sorted(sum(deltas[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    return sum(deltas) / n, means[int(0.025 * resamples)], means[min(resamples - 1, int(0.975 * resamples))]
