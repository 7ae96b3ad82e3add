"""What solvers return: ranked candidate grids per test input, with where each came from.

A solver may be unsure, wrong or broken; `attempts.choose_attempts` turns whatever it returned into
exactly two valid grids per test input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from arc_ttt.domain.arc.grid import Grid

NotesT = TypeVar("NotesT", covariant=True)
N = TypeVar("N")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One proposed output grid. `sure` means the method that made it fits every train pair."""

    grid: Grid
    source: str
    score: float = 0.0
    sure: bool = False
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class TaskSolution(Generic[NotesT]):
    """Ranked candidates (best first) for each test input of a task, plus the solver's notes for the record.

    The notes are typed by the capability that writes them (program-search facts, TTT training figures, an
    ensemble's notes on its parts); this layer only carries them, so it names none of those types, and the
    solving layer gathers them into a task's result.

    `held_out_exact` is the share of held-out demonstrations (the task's own pairs, kept from the solver
    while it learned) whose outputs the solver reproduced exactly; None when it made no such check. It is
    the evidence an unsure solver can offer that its answers are worth more than plain guesses."""

    candidates: tuple[tuple[Candidate, ...], ...]
    notes: NotesT | None = None
    held_out_exact: float | None = None

    @classmethod
    def empty(cls, num_tests: int, notes: N | None = None) -> TaskSolution[N]:
        """No candidate for any of `num_tests` test inputs (the caller falls back to guesses)."""
        return TaskSolution(tuple(() for _ in range(num_tests)), notes)
