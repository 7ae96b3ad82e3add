"""What solvers return: ranked candidate grids per test input, with where each came from.

A solver may be unsure, wrong or broken; `attempts.choose_attempts` turns whatever it returned into
exactly two valid grids per test input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from arc_ttt.domain.arc.grid import Grid

_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Candidate:
    """One proposed output grid. `sure` means the method that made it fits every train pair."""

    grid: Grid
    source: str
    score: float = 0.0
    sure: bool = False
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class TaskSolution:
    """Ranked candidates (best first) for each test input of a task, plus solver notes for the record.

    `held_out_exact` is the share of held-out demonstrations (the task's own pairs, kept from the solver
    while it learned) whose outputs the solver reproduced exactly; None when it made no such check. It is
    the evidence an unsure solver can offer that its answers are worth more than plain guesses."""

    candidates: tuple[tuple[Candidate, ...], ...]
    notes: Mapping[str, object] = field(default_factory=lambda: _EMPTY)
    held_out_exact: float | None = None

    @classmethod
    def empty(cls, num_tests: int, **notes: object) -> TaskSolution:
        return cls(tuple(() for _ in range(num_tests)), MappingProxyType(dict(notes)))
