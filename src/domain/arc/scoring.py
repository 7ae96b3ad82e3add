"""Scoring as the ARC Prize counts it.

A test output is solved when either of its two attempts equals it exactly. A task scores the
fraction of its test outputs solved; a set scores the mean of its task scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from arc_ttt.domain.arc.grid import Grid


def output_solved(attempts: Sequence[Grid], truth: Grid) -> bool:
    return any(grid == truth for grid in attempts[:2])


def task_score(attempts_per_test: Sequence[Sequence[Grid]], truths: Sequence[Grid]) -> float:
    if not truths:
        return 0.0
    solved = sum(
        output_solved(attempts_per_test[i], truth) if i < len(attempts_per_test) else False
        for i, truth in enumerate(truths)
    )
    return solved / len(truths)


@dataclass(frozen=True, slots=True)
class SetScore:
    per_task: Mapping[str, float]
    missing: tuple[str, ...]  # tasks with known solutions that have no attempts (scored 0 if counted)

    @property
    def score(self) -> float:
        """Mean task score over the tasks that were attempted."""
        return sum(self.per_task.values()) / len(self.per_task) if self.per_task else 0.0

    @property
    def strict_score(self) -> float:
        """Mean task score counting every missing task as 0, as a leaderboard would."""
        total = len(self.per_task) + len(self.missing)
        return sum(self.per_task.values()) / total if total else 0.0

    @property
    def tasks_solved(self) -> float:
        return sum(self.per_task.values())


def score_set(
    attempts: Mapping[str, Sequence[Sequence[Grid]]], solutions: Mapping[str, Sequence[Grid]]
) -> SetScore:
    per_task = {tid: task_score(attempts[tid], truths) for tid, truths in solutions.items() if tid in attempts}
    missing = tuple(sorted(tid for tid in solutions if tid not in attempts))
    return SetScore(per_task, missing)
