"""`--solver program`: the domain's program search spread over worker processes, with a hard stop.

Each task's search is split into shards (one per process) that run side by side; the parent merges
and ranks what they found. The search watches its own deadline, and if a worker still overruns it
by `grace_seconds` (a primitive stuck on a huge image), the pool is killed and replaced: the task
gets no program answer, and the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from multiprocessing.pool import Pool

from arc_ttt.domain.arc.solution import TaskSolution
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.programs.fits import Fit
from arc_ttt.domain.programs.program_search import SOURCE, ProgramNote, ProgramSearch, ProgramSearchOptions

PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent dies


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgramPoolConfig:
    """Fields without a default come from the `program` settings, where their defaults are declared once."""

    processes: int  # 0: one per CPU core
    grace_seconds: float = 5.0
    time_limit: float | None  # a cap below the task's time limit, if any
    search: ProgramSearchOptions


def die_with_parent() -> None:
    """Pool initializer: the process is killed when the process that made it dies. A parent killed outright
    (`kill -9`, the OOM killer, a worker of `--workers` that is lost) cannot close its pool; a search
    process in the middle of a task would live on as an orphan, finish, and fail writing its result with a
    traceback. Linux only (prctl); elsewhere the pool keeps multiprocessing's own behaviour."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the call: nothing would signal this process now
        os._exit(1)


def _explore(options: ProgramSearchOptions, task: Task, time_limit: float, shard: tuple[int, int]) -> list[Fit]:
    return ProgramSearch(options).explore(task, time_limit, shard)


class ProgramPoolSolver:
    name = SOURCE

    def __init__(self, config: ProgramPoolConfig) -> None:
        self.config = config
        self.processes = self.config.processes or max(1, len(os.sched_getaffinity(0)))
        self._search = ProgramSearch(self.config.search)
        self._pool: Pool | None = None

    def solve(self, task: Task, time_limit: float) -> TaskSolution[ProgramNote]:
        started = time.monotonic()
        if self.config.time_limit is not None:
            time_limit = min(time_limit, self.config.time_limit)
        if self.processes == 1:
            return self._search.solve(task, time_limit)
        pool = self._ensure_pool()
        shards = [(k, self.processes) for k in range(self.processes)]
        pending = pool.starmap_async(_explore, [(self.config.search, task, time_limit, s) for s in shards])
        try:
            parts = pending.get(timeout=time_limit + self._grace(time_limit))
        except multiprocessing.TimeoutError:
            self.close()
            return TaskSolution.empty(len(task.test), ProgramNote(error="search overran its time limit"))
        fits = [fit for part in parts for fit in part]
        return self._search.rank(task, fits, time.monotonic() - started)

    def _grace(self, time_limit: float) -> float:
        """How long past its limit a search may run before its workers are killed: `grace_seconds`, but no
        more than a quarter of a short limit (at least a second), so that a 3 s limit ends near 3 s, not 8."""
        return min(self.config.grace_seconds, max(1.0, 0.25 * time_limit))

    def _ensure_pool(self) -> Pool:
        if self._pool is None:
            # spawn, not fork: the parent may hold torch threads or database connections
            self._pool = multiprocessing.get_context("spawn").Pool(self.processes, initializer=die_with_parent)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __del__(self) -> None:
        self.close()


