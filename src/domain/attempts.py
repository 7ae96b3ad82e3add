"""Two attempts per test input, always: the ARC Prize format, whatever the solver managed to do."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from arc_ttt.domain.grid import Grid
from arc_ttt.domain.prediction import Candidate, TaskSolution
from arc_ttt.domain.task import Task

FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class Attempts:
    attempt_1: Candidate
    attempt_2: Candidate

    @property
    def grids(self) -> tuple[Grid, Grid]:
        return (self.attempt_1.grid, self.attempt_2.grid)

    def to_json(self) -> dict[str, list[list[int]]]:
        return {"attempt_1": self.attempt_1.grid.to_list(), "attempt_2": self.attempt_2.grid.to_list()}


def fallback_candidates(task: Task, test_index: int) -> tuple[Candidate, ...]:
    """Simple guesses used when a solver has nothing (or nothing valid) to say.

    The test input itself is the classic first guess (many ARC outputs are edits of the input);
    the most common train output is the second (tasks whose answer is constant).
    """
    test_input = task.test[test_index].input
    outputs = Counter(ex.output for ex in task.train if ex.output is not None)
    guesses = [Candidate(test_input, FALLBACK, explanation="identity")]
    if outputs:
        guesses.append(Candidate(outputs.most_common(1)[0][0], FALLBACK, explanation="most common train output"))
    guesses.append(Candidate(Grid.filled(*test_input.shape), FALLBACK, explanation="blank grid"))
    return tuple(guesses)


def _distinct_valid(candidates: Iterable[object]) -> list[Candidate]:
    chosen: list[Candidate] = []
    seen: set[Grid] = set()
    for cand in candidates:
        if not isinstance(cand, Candidate) or not isinstance(cand.grid, Grid) or cand.grid in seen:
            continue
        seen.add(cand.grid)
        chosen.append(cand)
    return chosen


def choose_attempts(task: Task, solution: TaskSolution | None) -> tuple[Attempts, ...]:
    """The two best distinct valid candidates per test input, topped up with fallbacks.

    Anything malformed in `solution` (wrong count, non-candidates) is ignored rather than trusted.
    """
    per_test: Sequence[object] = ()
    if isinstance(solution, TaskSolution) and isinstance(solution.candidates, tuple):
        per_test = solution.candidates
    result = []
    for i in range(len(task.test)):
        offered = per_test[i] if i < len(per_test) and isinstance(per_test[i], tuple | list) else ()
        picks = _distinct_valid([*offered, *fallback_candidates(task, i)])  # type: ignore[misc]
        if len(picks) == 1:  # only possible when every guess is the same grid
            picks.append(picks[0])
        result.append(Attempts(picks[0], picks[1]))
    return tuple(result)


def fallback_attempts(task: Task) -> tuple[Attempts, ...]:
    return choose_attempts(task, None)
