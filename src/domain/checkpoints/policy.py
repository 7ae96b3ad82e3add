"""Which stored adapters to keep: ranking by a metric, and the cleanup policy (best K per task, a size cap).

Pure decisions over `CheckpointInfo` values, so the rules can be tested without files or a database and
every repository (SQL or in memory) ranks "best" the same way.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from arc_ttt.domain.checkpoints.ports import CheckpointInfo


def _has(info: CheckpointInfo, metric: str) -> bool:
    value = info.metrics.get(metric)
    return isinstance(value, (int, float)) and math.isfinite(value)


def rank_versions(
    infos: Iterable[CheckpointInfo], metric: str, *, higher_is_better: bool = True
) -> list[CheckpointInfo]:
    """Best first. Versions that lack the metric come after every version that has it; ties go to the newer
    version, since it saw the same budget with later code or data."""
    sign = -1.0 if higher_is_better else 1.0
    return sorted(
        infos,
        key=lambda i: (0, sign * float(i.metrics[metric]), -i.version) if _has(i, metric) else (1, 0.0, -i.version),
    )


def best_of(infos: Iterable[CheckpointInfo], metric: str, *, higher_is_better: bool = True) -> CheckpointInfo | None:
    """The best version that carries `metric`, or None when none does."""
    ranked = [i for i in rank_versions(infos, metric, higher_is_better=higher_is_better) if _has(i, metric)]
    return ranked[0] if ranked else None


def protected_version(
    infos: Sequence[CheckpointInfo], metric: str, *, higher_is_better: bool = True
) -> CheckpointInfo:
    """The version of one task that cleanup never deletes: the best by `metric`, or the newest when no version
    carries the metric (then nothing says an older one is better)."""
    return rank_versions(infos, metric, higher_is_better=higher_is_better)[0]


@dataclass(frozen=True, slots=True)
class CleanupPolicy:
    """keep_best: versions kept per task, best first (None: no count limit; at least 1).
    max_total_bytes: a cap on the size of everything kept (None: no cap). The best of each task is kept
    even when the cap cannot be met without it."""

    metric: str = "val_accuracy"
    higher_is_better: bool = True
    keep_best: int | None = None
    max_total_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.keep_best is not None and self.keep_best < 1:
            raise ValueError(f"keep_best must be at least 1 (the best is never deleted), got {self.keep_best}")
        if self.max_total_bytes is not None and self.max_total_bytes < 0:
            raise ValueError(f"max_total_bytes must not be negative, got {self.max_total_bytes}")
        if not self.metric:
            raise ValueError("metric must be a non-empty name")


@dataclass(frozen=True, slots=True)
class CleanupPlan:
    keep: tuple[CheckpointInfo, ...]
    delete: tuple[CheckpointInfo, ...]
    bytes_before: int
    bytes_after: int
    cap_met: bool

    @property
    def bytes_freed(self) -> int:
        return self.bytes_before - self.bytes_after


def plan_cleanup(infos: Iterable[CheckpointInfo], policy: CleanupPolicy) -> CleanupPlan:
    """Decide what to delete. First each task keeps its best `keep_best`; then, while the total is over the
    cap, the lowest-ranked remaining version across all tasks goes (older first among equals), never a
    task's best."""
    by_task: dict[str, list[CheckpointInfo]] = defaultdict(list)
    for info in infos:
        by_task[info.task_id].append(info)

    keep: list[tuple[int, CheckpointInfo]] = []  # (rank within its task, info)
    delete: list[CheckpointInfo] = []
    for task_id in sorted(by_task):
        ranked = rank_versions(by_task[task_id], policy.metric, higher_is_better=policy.higher_is_better)
        limit = len(ranked) if policy.keep_best is None else policy.keep_best
        keep.extend(enumerate(ranked[:limit]))
        delete.extend(ranked[limit:])

    bytes_before = sum(i.size_bytes for _, i in keep) + sum(i.size_bytes for i in delete)
    total = sum(i.size_bytes for _, i in keep)
    if policy.max_total_bytes is not None and total > policy.max_total_bytes:
        # Worst rank first; among equal ranks the oldest version, then the larger file.
        candidates = sorted((p for p in keep if p[0] > 0), key=lambda p: (-p[0], p[1].version, -p[1].size_bytes))
        evicted: set[tuple[str, int]] = set()
        for _, info in candidates:
            if total <= policy.max_total_bytes:
                break
            evicted.add((info.task_id, info.version))
            delete.append(info)
            total -= info.size_bytes
        keep = [p for p in keep if (p[1].task_id, p[1].version) not in evicted]

    kept = tuple(sorted((i for _, i in keep), key=lambda i: (i.task_id, i.version)))
    deleted = tuple(sorted(delete, key=lambda i: (i.task_id, i.version)))
    cap_met = policy.max_total_bytes is None or total <= policy.max_total_bytes
    return CleanupPlan(kept, deleted, bytes_before, total, cap_met)
