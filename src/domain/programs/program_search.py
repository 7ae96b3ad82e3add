"""Program search as a solver: programs that fit all train pairs become ranked candidates.

"Sure" is a promise the ensemble relies on (a sure answer is not second-guessed by TTT), so it is
given only to the cheapest explanation when it is a short composed program (not a learned cell
table), no almost-as-simple program predicts something else, and the task had at least two train
pairs to check it against.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.output_shape import predicted_output_shape
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.programs.dsl.caches import forget_task_caches
from arc_ttt.domain.programs.dsl.catalog import catalog
from arc_ttt.domain.programs.dsl.images import to_grid, to_image
from arc_ttt.domain.programs.fits import Fit
from arc_ttt.domain.programs.search import SearchLimits, search
from arc_ttt.domain.programs.views import color_view
from arc_ttt.domain.records import read_optional

SOURCE = "program"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgramSearchOptions:
    """Fields without a default come from the `program` settings, where their defaults are declared once."""

    max_depth: int
    max_states: int
    candidates_per_test: int = 2
    sure_max_cost: float  # programs at most this costly may be called sure
    rival_margin: float = 0.5  # a program this much costlier that disagrees makes the best one unsure


@dataclass(frozen=True, slots=True)
class ProgramNote:
    """What a program search records about a task: how many programs fit its train pairs, the cheapest
    one, how long the search took; or why it has no answer at all (its workers overran the time limit)."""

    fits: int = 0
    program: str | None = None  # the cheapest fitting program, described; None when none fit
    seconds: float = 0.0
    error: str = ""

    def to_json(self) -> dict[str, object]:
        return {"fits": self.fits, "program": self.program, "seconds": self.seconds,
                **({"error": self.error} if self.error else {})}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> ProgramNote:
        """Figures an overrun search never had (a note of the first format holds only its error) are 0."""
        return cls(read_optional(raw, "fits", int) or 0, read_optional(raw, "program", str),
                   read_optional(raw, "seconds", float) or 0.0, read_optional(raw, "error", str) or "")


def _rank_key(fit: Fit, shapes: Sequence[tuple[int, int] | None]) -> tuple[bool, float, tuple[int, ...], str]:
    """Programs whose test answers have the sizes the train pairs imply first (where they imply one), then
    cost, then catalog order (simpler, commoner steps first), whichever process found it."""
    order = _catalog_order()
    off_size = any(shape is not None and p.shape != shape for p, shape in zip(fit.predictions, shapes))
    return off_size, fit.cost, tuple(order.get(step, len(order)) for step in fit.steps), fit.finish


@cache
def _catalog_order() -> dict[str, int]:
    return {step.name: i for i, step in enumerate(catalog())}


def _elaborates(fit: Fit, simpler: Fit) -> bool:
    """`fit` is `simpler` with steps added (same steps in the same order, same finish): both fit every train
    pair, so the added steps changed nothing training can see, and betting the other attempt on them
    (`flip -> crop(densest)` after `crop(densest)`) wastes it on a guess no pair supports."""
    if fit.finish != simpler.finish or len(fit.steps) <= len(simpler.steps):
        return False
    rest = iter(fit.steps)
    return all(step in rest for step in simpler.steps)


class ProgramSearch:
    name = SOURCE

    def __init__(self, options: ProgramSearchOptions, now: Callable[[], float] = time.monotonic) -> None:
        self.options = options
        self.now = now

    def solve(self, task: Task, time_limit: float) -> TaskSolution[ProgramNote]:
        started = self.now()
        return self.rank(task, self.explore(task, time_limit), self.now() - started)

    def explore(self, task: Task, time_limit: float, shard: tuple[int, int] = (0, 1)) -> list[Fit]:
        """The fitting programs of one share of the search (all of it by default)."""
        started = self.now()
        train = [(to_image(ex.input), to_image(ex.output)) for ex in task.train if ex.output is not None]
        tests = [to_image(ex.input) for ex in task.test]
        if not train:
            return []
        limits = SearchLimits(self.options.max_depth, self.options.max_states)
        view = color_view(train, tests)
        try:
            if view is None:
                return search(train, tests, started + time_limit, limits, self.now, shard)
            # the task as given first, with half the time; the renamed task with what is left
            fits = search(train, tests, started + time_limit / 2, limits, self.now, shard)
            seen_train, seen_tests = view.task(train, tests)
            return fits + [view.answer(fit) for fit in search(seen_train, seen_tests, started + time_limit,
                                                              limits, self.now, shard)]
        finally:
            forget_task_caches()

    def rank(self, task: Task, fits: list[Fit], seconds: float) -> TaskSolution[ProgramNote]:
        """Candidates from the cheapest fitting programs, two distinct grids per test input; a program that
        only adds steps to one already chosen gives none."""
        shapes = [predicted_output_shape(task.train, example.input) for example in task.test]
        fits = sorted(fits, key=lambda fit: _rank_key(fit, shapes))
        train_pairs = sum(ex.output is not None for ex in task.train)
        candidates = tuple(self._candidates(fits, i, train_pairs) for i in range(len(task.test)))
        best = fits[0].describe() if fits else None
        return TaskSolution(candidates, ProgramNote(len(fits), best, round(seconds, 3)))

    def _candidates(self, fits: list[Fit], test_index: int, train_pairs: int) -> tuple[Candidate, ...]:
        chosen: dict[Grid, Candidate] = {}
        given: list[Fit] = []
        for rank, fit in enumerate(fits):
            grid = to_grid(fit.predictions[test_index])
            if grid is None or grid in chosen or any(_elaborates(fit, other) for other in given):
                continue
            given.append(fit)
            sure = rank == 0 and train_pairs >= 2 and self._unrivalled(fit, fits, test_index)
            chosen[grid] = Candidate(grid, SOURCE, score=1.0 / (1.0 + fit.cost), sure=sure, explanation=fit.describe())
            if len(chosen) == self.options.candidates_per_test:
                break
        return tuple(chosen.values())

    def _unrivalled(self, best: Fit, fits: list[Fit], test_index: int) -> bool:
        """Short, a real program, and no almost-as-simple program disagrees about this test input."""
        if best.learned_cells or best.cost > self.options.sure_max_cost:
            return False
        answer = best.predictions[test_index]
        return all(np.array_equal(f.predictions[test_index], answer) for f in fits
                   if f.cost <= best.cost + self.options.rival_margin)
