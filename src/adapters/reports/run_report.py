"""The facts every report format shows, gathered once from a RunSummary and its meta."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.resources.hardware import HardwareInfo
from arc_ttt.domain.resources.memory_estimate import MemoryEstimate
from arc_ttt.domain.solving.performance import PerformanceReport, in_batch_order, validate_performance
from arc_ttt.domain.solving.ports import RunSummary
from arc_ttt.domain.solving.results import TaskResult
from arc_ttt.domain.solving.run_parts import seconds_by_part, ttt_skips


def _decoded(value: object) -> object:
    """Meta read back from results.db arrives as JSON text; meta handed over in memory does not."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _mapping(value: object) -> Mapping[str, object]:
    value = _decoded(value)
    return value if isinstance(value, Mapping) else {}


def _estimate(raw: Mapping[str, object]) -> MemoryEstimate | None:
    parts = raw.get("parts_bytes")
    if not isinstance(parts, Mapping):
        return None
    try:
        return MemoryEstimate(str(raw.get("model", "")), int(raw.get("params", 0)),  # type: ignore[arg-type]
                              int(raw.get("lora_params", 0)), {str(k): int(v) for k, v in parts.items()})  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class RunReport:
    summary: RunSummary
    performance: PerformanceReport
    ordered: list[TaskResult]  # in the order the batch ran them
    tasks: Mapping[str, Task]  # the tasks that could be loaded (empty when the source is gone)
    profile: Mapping[str, object]
    warnings: list[str]
    stop_reason: str

    @classmethod
    def of(cls, summary: RunSummary) -> RunReport:
        meta = summary.meta or {}
        hardware_raw = _mapping(meta.get("hardware"))
        profile = _mapping(meta.get("profile"))
        budget = profile.get("memory_budget_bytes")
        estimate = _estimate(_mapping(meta.get("estimate")))
        threshold = profile.get("leak_warn_mb_per_task")
        performance = validate_performance(
            summary.results,
            hardware=HardwareInfo.from_json(hardware_raw) if hardware_raw else None,
            profile=str(profile.get("name", "")),
            budget_bytes=int(budget) if isinstance(budget, int | float) else None,
            estimate=estimate,
            leak_threshold_mb=float(threshold) if isinstance(threshold, int | float) else 1.0,
        )
        warnings = _decoded(meta.get("warnings"))
        return cls(
            summary=summary,
            performance=performance,
            ordered=in_batch_order(summary.results),
            tasks={t.id: t for t in summary.tasks},
            profile=profile,
            warnings=[str(w) for w in warnings] if isinstance(warnings, list) else [],
            stop_reason=str(meta.get("stop_reason") or ""),
        )

    @property
    def title(self) -> str:
        return f"arc-ttt run: {self.summary.source} with {self.summary.solver}"

    def headline(self) -> dict[str, object]:
        p = self.performance
        return {
            "source": self.summary.source,
            "solver": self.summary.solver,
            "complete": self.summary.complete,
            "stop_reason": self.stop_reason,
            "warnings": self.warnings,
            "wall_seconds": self.summary.wall_seconds,
            "tasks_in_batch": len(self.summary.tasks) or p.tasks,
            "tasks_finished": p.tasks,
            "tasks_solved": sum(s for s in p.per_task_score.values() if s is not None),
            "seconds_by_part": seconds_by_part(self.summary.results, self.summary.wall_seconds),
            "ttt_skipped": ttt_skips(self.summary.results),
        }

    def task_rows(self) -> list[dict[str, object]]:
        rows = []
        for r in self.ordered:
            rows.append({
                "task_id": r.task_id,
                "status": r.status.value,
                "score": r.score,
                "seconds": r.seconds,
                "solver": r.solver,
                "error": r.error,
                "attempts": [
                    {name: {"source": c.source, "sure": c.sure, "explanation": c.explanation, "score": c.score}
                     for name, c in (("attempt_1", a.attempt_1), ("attempt_2", a.attempt_2))}
                    for a in r.attempts
                ],
                "memory": r.notes.memory.to_json() if r.notes.memory is not None else {},
                "ttt": r.notes.ttt.to_json() if r.notes.ttt is not None else {},
            })
        return rows

    def solved_by(self) -> dict[str, list[str]]:
        """For each source (solver, or solvers that agreed), the tasks where an attempt it made was right.
        This is where an ensemble shows what each half brought, e.g. the tasks only TTT solved."""
        found: dict[str, set[str]] = {}
        for r in self.ordered:
            task = self.tasks.get(r.task_id)
            solutions = task.solutions() if task is not None else None
            if not solutions:
                continue
            for attempts, truth in zip(r.attempts, solutions):
                for c in (attempts.attempt_1, attempts.attempt_2):
                    if c.grid == truth:
                        found.setdefault(c.source, set()).add(r.task_id)
        return {source: sorted(ids) for source, ids in sorted(found.items())}

    def to_json(self) -> dict[str, object]:
        return {
            "run": self.headline(),
            "solved_by": self.solved_by(),
            "performance": self.performance.to_json(),
            "problems": [p.one_line() for p in self.summary.problems],
            "tasks": self.task_rows(),
        }


def parts_line(figures: object, unit: str = "") -> str:
    """`name: value` pairs of a figures dict in one line, names in words (program_search: program search)."""
    assert isinstance(figures, Mapping)
    return ", ".join(f"{str(name).replace('_', ' ')}: {value}{unit}" for name, value in figures.items())
