"""The performance validator: how a run did, from its records alone.

It reads what every task result carries (status, score, seconds, error) and what the probes and
solvers left in its notes (a memory reading after the task, TTT training figures), so it works for a
finished run, a partial one, or one read back from its results.db. Results of other solvers, or of
runs without a memory probe, lack these notes; the validator reports what is there.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from arc_ttt.domain.resources.hardware import MB, HardwareInfo
from arc_ttt.domain.resources.memory_estimate import MemoryEstimate
from arc_ttt.domain.resources.memory_leaks import leak_mb_per_task
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from arc_ttt.domain.solving.statistics import mean, percentile


def training_speed(result: TaskResult) -> float | None:
    """TTT training tokens per second on the task; None where it trained no fresh adapter."""
    training = result.notes.ttt.training if result.notes.ttt is not None else None
    return training.tokens_per_second if training is not None else None


def failure_kind(result: TaskResult) -> str | None:
    """'failed: ValueError', 'out_of_time: batch time budget exhausted', or None for a clean solve."""
    if result.status is TaskStatus.SOLVED and not result.error:
        return None
    head = result.error.split(":", 1)[0].strip() if result.error else ""
    kind = head if head.isidentifier() else (result.error[:60] or "no error message")
    return f"{result.status.value}: {kind}"


def in_batch_order(results: Sequence[TaskResult]) -> list[TaskResult]:
    """Results in the order they ran (the memory note's batch index), else as given."""
    def key(pair: tuple[int, TaskResult]) -> int:
        memory = pair[1].notes.memory
        return memory.batch_index if memory is not None else pair[0]

    return [r for _, r in sorted(enumerate(results), key=key)]


@dataclass(frozen=True, slots=True)
class Stats:
    count: int
    mean: float
    p50: float
    p95: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        return cls(len(values), mean(values), percentile(values, 50), percentile(values, 95), max(values, default=0.0))

    def to_json(self) -> dict[str, float]:
        return {"count": self.count, "mean": self.mean, "p50": self.p50, "p95": self.p95, "max": self.max}


@dataclass(frozen=True, slots=True)
class PerformanceReport:
    tasks: int
    scored_tasks: int
    pass_at_2: float | None
    per_task_score: Mapping[str, float | None]
    seconds: Stats
    peak_rss_bytes: int | None
    peak_cuda_bytes: int | None
    leak_mb_per_task: float | None
    leak_threshold_mb: float
    ttt_tasks: int
    tokens_per_second: Stats | None
    failures: Mapping[str, int]
    status_counts: Mapping[str, int]
    profile: str = ""
    budget_bytes: int | None = None
    estimate: MemoryEstimate | None = None
    hardware: HardwareInfo | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def measured_peak_bytes(self) -> int | None:
        """The peak that counts against the profile: the GPU peak where a GPU was used, else RSS."""
        return self.peak_cuda_bytes if self.peak_cuda_bytes else self.peak_rss_bytes

    @property
    def fits_profile(self) -> bool | None:
        peak = self.measured_peak_bytes
        if peak is None or not self.budget_bytes:
            return None
        return peak <= self.budget_bytes

    @property
    def leaking(self) -> bool:
        return self.leak_mb_per_task is not None and self.leak_mb_per_task > self.leak_threshold_mb

    def to_json(self) -> dict[str, object]:
        est = self.estimate
        peak = self.measured_peak_bytes
        return {
            "tasks": self.tasks,
            "scored_tasks": self.scored_tasks,
            "pass_at_2": self.pass_at_2,
            "per_task_score": dict(self.per_task_score),
            "seconds_per_task": self.seconds.to_json(),
            "memory": {
                "peak_rss_bytes": self.peak_rss_bytes,
                "peak_cuda_bytes": self.peak_cuda_bytes,
                "leak_mb_per_task": self.leak_mb_per_task,
                "leak_threshold_mb_per_task": self.leak_threshold_mb,
                "leaking": self.leaking,
            },
            "ttt": {
                "tasks": self.ttt_tasks,
                "tokens_per_second": self.tokens_per_second.to_json() if self.tokens_per_second else None,
            },
            "failures": dict(self.failures),
            "status_counts": dict(self.status_counts),
            "profile": {
                "name": self.profile,
                "budget_bytes": self.budget_bytes,
                "measured_peak_bytes": peak,
                "fits": self.fits_profile,
                "estimate": est.to_json() if est else None,
                "measured_over_estimate": (peak / est.total_bytes) if est and peak and est.total_bytes else None,
            },
            "hardware": self.hardware.to_json() if self.hardware else None,
            "notes": list(self.notes),
        }


def validate_performance(
    results: Sequence[TaskResult],
    *,
    hardware: HardwareInfo | None = None,
    profile: str = "",
    budget_bytes: int | None = None,
    estimate: MemoryEstimate | None = None,
    leak_threshold_mb: float = 1.0,
) -> PerformanceReport:
    ordered = in_batch_order(results)
    scores = {r.task_id: r.score for r in ordered}
    scored = [s for s in scores.values() if s is not None]
    ran = [r for r in ordered if r.status is not TaskStatus.OUT_OF_TIME]
    memory = [(i, m.sample) for i, r in enumerate(ordered) if (m := r.notes.memory) is not None]
    rss = [(i, sample.rss_bytes) for i, sample in memory]
    cuda = [v for _, sample in memory if (v := sample.cuda_peak_bytes) is not None]
    speeds = [float(v) for r in ordered if (v := training_speed(r)) is not None and math.isfinite(v)]
    notes: list[str] = []
    leak = leak_mb_per_task(rss)
    if leak is not None and leak > leak_threshold_mb:
        notes.append(f"memory grew by {leak:.2f} MB per task (threshold {leak_threshold_mb:g})")
    peak_rss = max((b for _, b in rss), default=None)
    peak_cuda = int(max(cuda)) if cuda else None
    if budget_bytes and (peak_cuda or peak_rss or 0) > budget_bytes:
        notes.append(f"peak memory {(peak_cuda or peak_rss or 0) / MB:.0f} MB is over the profile's "
                     f"{budget_bytes / MB:.0f} MB")
    return PerformanceReport(
        tasks=len(ordered),
        scored_tasks=len(scored),
        pass_at_2=(sum(scored) / len(scored)) if scored else None,
        per_task_score=scores,
        seconds=Stats.of([r.seconds for r in ran]),
        peak_rss_bytes=peak_rss,
        peak_cuda_bytes=peak_cuda,
        leak_mb_per_task=leak,
        leak_threshold_mb=leak_threshold_mb,
        ttt_tasks=len(speeds),
        tokens_per_second=Stats.of(speeds) if speeds else None,
        failures=dict(Counter(k for r in ordered if (k := failure_kind(r)) is not None)),
        status_counts=dict(Counter(r.status.value for r in ordered)),
        profile=profile,
        budget_bytes=budget_bytes,
        estimate=estimate,
        hardware=hardware,
        notes=tuple(notes),
    )
