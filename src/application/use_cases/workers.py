"""Workers: claim tasks from the shared queue, solve them, record them; one loop for every way of scaling.

The same loop runs in the solving process, in `--workers N` child processes, and in each rank of an
`accelerate launch`; every result lands in the shared result store the moment it is done. A worker process
builds its own solver, clock, store and queue with a picklable factory that the composition root hands over
(`WorkerParts`), so this module knows the ports only.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from arc_ttt.domain.arc.ports import TaskSource
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.solving.guard import out_of_time_result, solve_task
from arc_ttt.domain.solving.ports import ResultStore, ResultStoreOpener, Solver, WorkQueue, WorkQueueOpener
from arc_ttt.domain.solving.results import TaskResult

DEFAULT_LEASE_SECONDS = 120.0


def worker_name(label: str = "") -> str:
    return f"{socket.gethostname()}:{os.getpid()}{':' + label if label else ''}"


class LeaseKeeper:
    """Renews the lease of the task being solved every third of its length, from a daemon thread."""

    def __init__(self, queue: WorkQueue, owner: str, lease_seconds: float) -> None:
        self.queue, self.owner, self.lease_seconds = queue, owner, lease_seconds

    @contextmanager
    def holding(self, task_id: str):  # type: ignore[no-untyped-def]
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.lease_seconds / 3):
                try:
                    self.queue.renew(self.owner, task_id, self.lease_seconds)
                except Exception:  # a missed renewal only risks a duplicate solve, never lost work
                    continue

        thread = threading.Thread(target=renew, name=f"lease-{task_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(5)


def work_loop(
    *,
    owner: str,
    solver: Solver,
    store: ResultStore,
    queue: WorkQueue,
    clock: Clock,
    tasks: Mapping[str, Task],
    deadline: float,
    task_time_limit: float,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    on_result: Callable[[TaskResult], None] | None = None,
    linger: bool = False,
    poll_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Claim and solve until the queue is empty; returns how many tasks this worker finished.

    With `linger`, a worker that finds nothing to claim waits while other workers still hold leases, and
    takes over any lease that expires (its worker died): the batch then ends only when every task is done.
    """
    keeper = LeaseKeeper(queue, owner, lease_seconds)
    finished = 0
    while True:
        task_id = queue.claim(owner, lease_seconds)
        if task_id is None:
            if linger and queue.pending():
                sleep(poll_seconds)
                continue
            return finished
        task = tasks.get(task_id)
        if task is None:  # not a task of this batch (a stale queue row): give it up
            queue.complete(owner, task_id)
            continue
        with keeper.holding(task_id):
            remaining = deadline - clock.now()
            if remaining <= 0:
                result = out_of_time_result(task, solver.name)
            else:
                result = solve_task(solver, task, time_limit=min(task_time_limit, remaining), clock=clock)
            store.record(result)
        queue.complete(owner, task_id)
        finished += 1
        if on_result is not None:
            on_result(result)


@dataclass(frozen=True)
class WorkerParts:
    """What a worker process builds for itself: a solver maker (a Ray worker makes one per task, a local
    worker one in all), the clock, and openers of the run's result store and of its work queue."""

    new_solver: Callable[[], Solver]
    clock: Clock
    open_store: ResultStoreOpener
    open_queue: WorkQueueOpener


WorkerPartsFactory = Callable[[], WorkerParts]
"""Builds a worker's parts inside the worker process; picklable (the composition root's function and the
settings), since it crosses into child processes and Ray workers."""


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs to build its own solver and store (picklable)."""

    parts: WorkerPartsFactory
    source: TaskSource
    out_dir: Path
    task_ids: tuple[str, ...]
    budget_seconds: float
    task_time_limit: float
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    device_index: int | None = None


def run_worker(spec: WorkerSpec, label: str = "") -> int:
    """Entry point of a worker process: its own parts (after choosing its GPU), the shared store and queue,
    the loop."""
    if spec.device_index is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(spec.device_index)
    parts = spec.parts()
    clock = parts.clock
    deadline = clock.now() + spec.budget_seconds
    wanted = set(spec.task_ids)
    tasks = {t.id: t for t in spec.source.load().tasks if t.id in wanted}
    store = parts.open_store(spec.out_dir)
    try:
        return work_loop(owner=worker_name(label), solver=parts.new_solver(), store=store,
                         queue=parts.open_queue(store), clock=clock, tasks=tasks, deadline=deadline,
                         task_time_limit=spec.task_time_limit, lease_seconds=spec.lease_seconds)
    finally:
        store.close()
