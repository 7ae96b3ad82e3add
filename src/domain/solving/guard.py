"""Solving one task so that nothing a solver does can cost the batch its submission."""

from __future__ import annotations

from arc_ttt.domain.arc.attempts import choose_attempts, fallback_attempts
from arc_ttt.domain.arc.scoring import task_score
from arc_ttt.domain.arc.solution import TaskSolution
from arc_ttt.domain.arc.task import Task, content_hash
from arc_ttt.domain.errors import error_line
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.solving.notes import TaskNotes
from arc_ttt.domain.solving.ports import Solver
from arc_ttt.domain.solving.results import TaskResult, TaskStatus


def _score(task: Task, result_attempts: tuple) -> float | None:
    truths = task.solutions()
    if truths is None:
        return None
    return task_score([a.grids for a in result_attempts], truths)


def solve_task(solver: Solver, task: Task, *, time_limit: float, clock: Clock) -> TaskResult:
    """Run `solver` on `task` (test outputs hidden) and always come back with two attempts per test.

    A solver that raises is recorded as FAILED with its error in one line; a solver that returns
    something that is not a TaskSolution, or too few valid grids, is topped up with fallbacks.
    """
    start = clock.now()
    error = ""
    status = TaskStatus.SOLVED
    solution: TaskSolution[object] | None = None
    try:
        answer = solver.solve(task.without_solutions(), time_limit)
        if isinstance(answer, TaskSolution):
            solution = answer
        else:
            status, error = TaskStatus.FAILED, f"solver returned {type(answer).__name__}, not a TaskSolution"
    except MemoryError:
        status, error = TaskStatus.FAILED, "out of memory"
    except Exception as exc:  # a solver bug must not end the batch
        status, error = TaskStatus.FAILED, error_line(exc)[:500]
    attempts = choose_attempts(task, solution)
    return TaskResult(
        task_id=task.id,
        status=status,
        attempts=attempts,
        seconds=clock.now() - start,
        solver=solver.name,
        error=error,
        score=_score(task, attempts),
        notes=TaskNotes.of(solution.notes if solution is not None else None),
        task_hash=content_hash(task),
    )


def out_of_time_result(task: Task, solver_name: str) -> TaskResult:
    """The record of a task the batch budget left no time for: fallback attempts, kept complete."""
    attempts = fallback_attempts(task)
    return TaskResult(
        task_id=task.id,
        status=TaskStatus.OUT_OF_TIME,
        attempts=attempts,
        seconds=0.0,
        solver=solver_name,
        error="batch time budget exhausted",
        score=_score(task, attempts),
        task_hash=content_hash(task),
    )
