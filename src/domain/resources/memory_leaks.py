"""Leak detection: does memory grow with every task of a batch?

A leaking batch grows by a roughly constant amount per task, while healthy ones step up once
(imports, caches, the first model load) and then wander. The Theil-Sen slope (median of all
pairwise slopes) sees the first and ignores the second, so one big task or a single cache growth
does not raise a false alarm. A step in the middle of a short series (a model first loaded at the
tenth task) still tilts the median, so the monitor also asks for growth in both halves of the
series, each at least half as steep as the whole: a leak keeps growing, a step happens once.

Readings after a task wander by tens of MB (the allocator's high-water mark follows the largest task so
far), so a handful of them cannot tell a 1 MB-per-task leak from that drift: no verdict before 20.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from arc_ttt.domain.resources.hardware import MB

MAX_POINTS = 300  # pairwise slopes are O(n^2); longer series are evenly thinned to this many points


def theil_sen_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Median of the slopes between every pair of points with distinct x; 0.0 with fewer than 2 such points."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    points = list(zip(xs, ys))
    if len(points) > MAX_POINTS:
        step = (len(points) - 1) / (MAX_POINTS - 1)
        points = [points[round(i * step)] for i in range(MAX_POINTS)]
    slopes = sorted(
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for x2, y2 in points[i + 1 :]
        if x2 != x1
    )
    if not slopes:
        return 0.0
    mid = len(slopes) // 2
    return slopes[mid] if len(slopes) % 2 else (slopes[mid - 1] + slopes[mid]) / 2


@dataclass
class LeakMonitor:
    """Collects (task index, bytes) readings per series (process RSS, CUDA allocated) and warns once per
    series when its per-task growth exceeds the threshold.

    `warmup` readings at the start are left out (the first tasks load libraries and fill caches);
    `min_samples` readings are needed before any verdict.
    """

    threshold_mb_per_task: float = 1.0
    min_samples: int = 20
    warmup: int = 1
    series: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)

    def observe(self, task_index: int, used_bytes: int, what: str = "process RSS") -> str | None:
        """Record one reading; return a warning the first time this series grows faster than the threshold."""
        readings = self.series.setdefault(what, [])
        readings.append((task_index, used_bytes))
        counted = readings[self.warmup :]
        if what in self.warned or len(counted) < self.min_samples:
            return None
        slope = self.slope_mb_per_task(what)
        half = len(counted) // 2
        halves = (counted[:half], counted[half:])
        # a leak grows alike in both halves; a step puts its whole rise in one, leaving the other far flatter
        floor = max(self.threshold_mb_per_task, slope / 2)
        sustained = all(theil_sen_slope([i for i, _ in h], [b for _, b in h]) / MB > floor for h in halves)
        if slope > self.threshold_mb_per_task and sustained:
            self.warned.add(what)
            return (
                f"{what} grows by {slope:.2f} MB per task over {len(counted)} tasks "
                f"(threshold {self.threshold_mb_per_task:g} MB per task): a possible leak"
            )
        return None

    def slope_mb_per_task(self, what: str = "process RSS") -> float:
        counted = self.series.get(what, [])[self.warmup :]
        return theil_sen_slope([i for i, _ in counted], [b for _, b in counted]) / MB


def leak_mb_per_task(readings: Sequence[tuple[int, int]], warmup: int = 1) -> float | None:
    """The robust growth in MB per task of a finished series; None with fewer than 3 usable readings."""
    counted = list(readings)[warmup:]
    if len(counted) < 3:
        return None
    return theil_sen_slope([i for i, _ in counted], [b for _, b in counted]) / MB
