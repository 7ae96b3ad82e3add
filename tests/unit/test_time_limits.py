"""Work done around a solver's time limit stays small and linear, so a limit holds for a task of thousands
of large pairs (issue #25, item 1): the fallbacks are read once per task and only when needed; TTT's
up-front prompt check stops at the deadline; a TTT episode is encoded in time linear in its length."""

from __future__ import annotations

import random
from dataclasses import dataclass

from arc_ttt.domain.arc.attempts import choose_attempts, fallback_attempts
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.examples import TTTExample
from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
from arc_ttt.domain.ttt.service import TTTModelService
from tests.builders import data_options, notes_of, service_options, training_policy
from tests.fakes import FakeClock, FakeModelBackend

HASHED = [0]


@dataclass(frozen=True, slots=True, eq=False)
class CountedGrid(Grid):
    """A grid that counts how often it is hashed: the work the fallbacks do on a task's train outputs."""

    def __hash__(self) -> int:
        HASHED[0] += 1
        return Grid.__hash__(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grid) and self.rows == other.rows


def big_task(pairs: int, tests: int, side: int = 30, seed: int = 0) -> Task:
    rng = random.Random(seed)

    def rows() -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(rng.randrange(10) for _ in range(side)) for _ in range(side))

    train = tuple(Example(Grid(rows()), CountedGrid(rows())) for _ in range(pairs))
    return Task("big", train, tuple(Example(Grid(rows())) for _ in range(tests)))


def test_fallbacks_read_the_train_outputs_once_per_task_not_once_per_test_input() -> None:
    task = big_task(pairs=300, tests=100)
    HASHED[0] = 0
    attempts = fallback_attempts(task)
    assert len(attempts) == 100
    # counted once, then a few guesses per test input; it was all 300 for each of the 100 test inputs
    assert HASHED[0] <= 300 + 100 * 8, HASHED[0]


def test_a_solver_with_two_answers_per_test_input_costs_no_fallback_work() -> None:
    task = big_task(pairs=300, tests=20)
    answers = tuple((Candidate(Grid.filled(1, 1, 1), "x"), Candidate(Grid.filled(1, 1, 2), "x"))
                    for _ in task.test)
    HASHED[0] = 0
    choose_attempts(task, TaskSolution(answers))
    assert HASHED[0] == 0


def test_ttt_prompt_check_stops_at_the_deadline() -> None:
    """No prompt fits and every check costs a second of the fake clock: the check ends at the time limit,
    not after every view of every test input."""
    checked: list[TTTExample] = []

    def fits(prompt: TTTExample) -> bool:
        checked.append(prompt)
        clock.advance(1.0)
        return False

    clock = FakeClock()
    backend = FakeModelBackend(fits=fits)
    rng = random.Random(0)
    task = Task("t", tuple(Example(Grid.filled(1, 1, rng.randrange(10)), Grid.filled(1, 1, 1)) for _ in range(50)),
                tuple(Example(Grid.filled(2, 2)) for _ in range(20)))
    strategy = MitTTTStrategy(data_options(inference_transforms=8, inference_samples=4))
    service = TTTModelService(backend, strategy, training_policy(max_steps=1), clock,
                              options=service_options(generation_batch=4))
    solution = service.solve(task, time_limit=10)
    assert "time ran out" in (notes_of(solution).skipped or "")
    assert len(checked) <= 10 + 4 + 20  # the plain prompts, then one batch past the deadline


def test_ttt_works_on_the_demonstrations_its_context_can_show() -> None:
    """A task of many pairs whose prompts keep only the latest few: training and prediction see twice that
    many, not all of them."""
    seen: list[int] = []

    def fits(prompt: TTTExample) -> bool:
        seen.append(len(prompt.demonstrations))
        return True

    backend = FakeModelBackend(fits=fits)
    kept = backend.demonstrations_kept
    backend.demonstrations_kept = lambda prompts: [min(5, n) for n in kept(prompts)]  # type: ignore[method-assign]
    task = Task("t", tuple(Example(Grid.filled(1, 1, i % 10), Grid.filled(1, 1, 1)) for i in range(2_000)),
                (Example(Grid.filled(1, 1)),))
    strategy = MitTTTStrategy(data_options(inference_transforms=2, inference_samples=1))
    TTTModelService(backend, strategy, training_policy(max_steps=1), FakeClock(),
                    options=service_options()).solve(task, time_limit=60)
    assert len(seen) > 1 and max(seen[1:]) == 10  # the first is the check of the plain prompt itself


def test_leave_one_out_builds_only_the_base_tasks_training_can_take() -> None:
    from arc_ttt.domain.ttt import mit_strategy

    pairs = tuple(Example(Grid.filled(1, 1, i % 10), Grid.filled(1, 1, 1)) for i in range(500))
    assert len(mit_strategy.leave_one_out(pairs, 16)) == 16
    small = pairs[:5]
    options = data_options(max_examples=64)
    dataset = MitTTTStrategy(options).dataset(Task("s", small, (Example(Grid.filled(1, 1)),)))
    assert len(dataset.train) > 0  # fewer pairs than the budget: every base task, as before
