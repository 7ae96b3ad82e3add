"""The record of one task's solve: what was answered, how long it took, what went wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from arc_ttt.domain.arc.attempts import Attempts
from arc_ttt.domain.solving.notes import TaskNotes


class TaskStatus(str, Enum):
    SOLVED = "solved"  # the solver ran and returned (its answers may still be wrong)
    FAILED = "failed"  # the solver raised or returned nothing usable; fallback attempts were written
    OUT_OF_TIME = "out_of_time"  # the batch budget ran out before this task; fallback attempts were written

    @property
    def final(self) -> bool:
        """Whether `--resume` keeps this result instead of solving the task again."""
        return self is not TaskStatus.OUT_OF_TIME


@dataclass(frozen=True, slots=True)
class TaskResult:
    task_id: str
    status: TaskStatus
    attempts: tuple[Attempts, ...]
    seconds: float
    solver: str
    error: str = ""
    score: float | None = None  # pass@2 task score when solutions are known
    notes: TaskNotes = field(default_factory=TaskNotes)
    task_hash: str = ""  # content_hash of the task solved ("" in results stored before it was kept)
