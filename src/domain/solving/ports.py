"""Ports of solving a batch: the solver, the durable result store and how a run folder's store is opened,
the work queue shared by workers, the run's own files, progress, and the report writers that read a run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from arc_ttt.domain.arc.solution import TaskSolution
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.errors import TaskFormatError
from arc_ttt.domain.solving.results import TaskResult


@runtime_checkable
class Solver(Protocol):
    """Proposes ranked candidates per test input. It sees tasks without test outputs and should
    return within `time_limit` seconds; the caller guards against it raising or returning garbage."""

    @property
    def name(self) -> str: ...

    def solve(self, task: Task, time_limit: float) -> TaskSolution[object]: ...


@runtime_checkable
class GatedSolver(Solver, Protocol):
    """A solver that prepares before it answers (TTT fits an adapter, then decodes) and can stop in between:
    after preparing it asks `gate` with its own held-out exact share (None: no held-out check) and, when the gate
    gives a reason, returns no candidates, saying why in its notes. The ensemble uses it to spend no decoding on
    answers that could not reach the attempts."""

    def solve_gated(self, task: Task, time_limit: float,
                    gate: Callable[[float | None], str]) -> TaskSolution[object]: ...

class ResultStore(Protocol):
    """Durable per-task results of a run: each result is committed as soon as it is recorded."""

    notices: tuple[str, ...]  # what opening the store had to do that the user should hear about

    def record(self, result: TaskResult) -> None: ...

    def results(self) -> list[TaskResult]: ...

    def final_task_ids(self) -> set[str]: ...

    def clear(self) -> None:
        """Forget every result (a fresh run in the same place, not a resumed one)."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Keep one fact about the run (its source, settings) for a later report."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A fact kept by `set_meta` (None when there is none), for a report drawn after the run."""
        ...

    def close(self) -> None: ...

class ResultStoreOpener(Protocol):
    """Opens the result store of a run folder for a run about to write into it. Every process of a run (the
    batch, its workers, its ranks) opens the same store, so results land in one place however work is spread."""

    def __call__(self, run_dir: Path, /) -> ResultStore: ...

class ExistingRunOpener(Protocol):
    """Opens the result store an earlier run (finished or not) left in its folder, to read it for a report."""

    def __call__(self, run_dir: Path, /) -> ResultStore:
        """The store of the run in `run_dir`; a ValueError naming the folder when it holds no results."""
        ...

class ProgressListener(Protocol):
    def started(self, total: int, already_done: int) -> None: ...

    def task_done(self, result: TaskResult) -> None: ...

    def finished(self) -> None: ...

class WorkQueue(Protocol):
    """Hands out a batch's tasks to any number of workers, each task to one worker at a time.

    A claim is a lease: it expires unless renewed, so a task whose worker died goes back to the queue.
    """

    def seed(self, task_ids: Sequence[str], *, reset: bool) -> None: ...

    def claim(self, owner: str, lease_seconds: float) -> str | None: ...

    def renew(self, owner: str, task_id: str, lease_seconds: float) -> bool: ...

    def complete(self, owner: str, task_id: str) -> None: ...

    def pending(self) -> int:
        """Tasks not yet completed (unclaimed or leased)."""
        ...

    def release_leases(self) -> int:
        """Put every leased task back to pending, for when all workers are known to be gone; returns how many."""
        ...

class WorkQueueOpener(Protocol):
    """Opens the work queue kept with a run's results, so that every process holding that run's store shares
    one queue (the queue lives in the same database; a store of another kind is refused)."""

    def __call__(self, store: ResultStore, /) -> WorkQueue: ...

class RunFolderLock(Protocol):
    """Claims a run folder for one run at a time. `claim` raises RunFolderBusyError (naming the other run)
    when another process holds it; the claim ends when the context exits, or when its process dies, however."""

    def claim(self, run_dir: Path, /) -> AbstractContextManager[object]: ...

class RunFileWriter(Protocol):
    """Writes the files a run leaves in its folder (the submission) whole: a reader, or a crash, never sees
    half of one."""

    def write_json(self, path: Path, data: object) -> None: ...

@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a finished (or interrupted) batch hands to report writers."""

    source: str
    solver: str
    tasks: tuple[Task, ...]
    results: tuple[TaskResult, ...]
    problems: tuple[TaskFormatError, ...]
    wall_seconds: float
    complete: bool
    meta: Mapping[str, object] = field(default_factory=dict)  # hardware, profile, memory warnings, stop reason

class ReportWriter(Protocol):
    def write(self, run_dir: Path, summary: RunSummary) -> list[Path]:
        """Write report files into `run_dir`; return their paths."""
        ...
