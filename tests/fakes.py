"""Small honest fakes of the ports, for unit tests of the domain and the use cases only."""

from __future__ import annotations

from arc_ttt.domain.errors import TaskFormatError
from arc_ttt.domain.ports import TaskLoad
from arc_ttt.domain.prediction import TaskSolution
from arc_ttt.domain.results import TaskResult, TaskStatus
from arc_ttt.domain.task import Task


class FakeClock:
    """A clock that only moves when told to (or by `tick` on every reading)."""

    def __init__(self, start: float = 0.0, tick: float = 0.0) -> None:
        self.time = start
        self.tick = tick

    def now(self) -> float:
        self.time += self.tick
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds

    def sleep(self, seconds: float) -> None:
        self.time += seconds


class InMemoryTaskSource:
    def __init__(self, tasks: list[Task], problems: list[TaskFormatError] | None = None, name: str = "memory") -> None:
        self._tasks = tasks
        self._problems = problems or []
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def load(self) -> TaskLoad:
        return TaskLoad(tuple(self._tasks), tuple(self._problems))


class InMemoryResultStore:
    def __init__(self) -> None:
        self.rows: dict[str, TaskResult] = {}
        self.closed = False

    def record(self, result: TaskResult) -> None:
        self.rows[result.task_id] = result

    def results(self) -> list[TaskResult]:
        return [self.rows[k] for k in sorted(self.rows)]

    def final_task_ids(self) -> set[str]:
        return {k for k, r in self.rows.items() if r.status is not TaskStatus.OUT_OF_TIME}

    def clear(self) -> None:
        self.rows.clear()

    def close(self) -> None:
        self.closed = True


class ScriptedSolver:
    """Answers from a script: a TaskSolution, an exception to raise, or anything else to return as is.
    It also advances a fake clock, so budget policies can be tested without waiting."""

    def __init__(self, answers: dict[str, object], clock: FakeClock | None = None, seconds: float = 0.0,
                 name: str = "scripted") -> None:
        self.answers = answers
        self.clock = clock
        self.seconds = seconds
        self.name = name
        self.calls: list[tuple[str, float]] = []

    def solve(self, task: Task, time_limit: float) -> TaskSolution:
        self.calls.append((task.id, time_limit))
        if self.clock is not None:
            self.clock.advance(self.seconds)
        answer = self.answers.get(task.id, TaskSolution.empty(len(task.test)))
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[return-value]
