"""Ways to spread a batch over more than one process: local worker processes, or a Ray cluster.

Both leave the same rows in the same result store as a single-process run, so the submission and report
that SolveBatch writes afterwards do not depend on how the work was spread. Processes other than this one
build their own solver and store with the `WorkerPartsFactory` the composition root hands to the runner.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from arc_ttt.application.use_cases.workers import WorkerPartsFactory, WorkerSpec, run_worker, work_loop, worker_name
from arc_ttt.domain.arc.ports import TaskSource
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.solving.guard import out_of_time_result, solve_task
from arc_ttt.domain.solving.ports import ProgressListener, ResultStore, Solver, WorkQueueOpener
from arc_ttt.domain.solving.results import TaskResult


@dataclass(frozen=True)
class BatchWork:
    source: TaskSource
    out_dir: Path
    todo: Sequence[Task]
    budget_seconds: float
    task_time_limit: float


class BatchRunner(Protocol):
    def run(self, work: BatchWork, store: ResultStore, progress: ProgressListener) -> None: ...


def _report_new(store: ResultStore, todo_ids: set[str], seen: set[str], progress: ProgressListener) -> None:
    for result in store.results():
        if result.task_id in todo_ids and result.task_id not in seen:
            seen.add(result.task_id)
            progress.task_done(result)


def worker_count(requested: int, tasks: int, cpus: int, gpus: int) -> int:
    """The workers worth starting: no more than the tasks to do, nor than the machine has devices to give them
    (a GPU each, else a CPU core each); more would only share the same cores and memory."""
    return max(0, min(requested, tasks, gpus or cpus))


def _cuda_devices() -> int:
    try:
        import torch  # heavy and optional: imported only when a batch is spread over local processes

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        return 0


class LocalProcessRunner:
    """N worker processes on this machine (one per GPU when there are GPUs), sharing the run's store."""

    def __init__(self, worker_parts: WorkerPartsFactory, workers: int, clock: Clock, solver: Solver,
                 open_queue: WorkQueueOpener, lease_seconds: float = 120.0, poll_seconds: float = 0.5) -> None:
        self.worker_parts, self.workers, self.clock, self.solver = worker_parts, workers, clock, solver
        self.open_queue, self.lease_seconds, self.poll_seconds = open_queue, lease_seconds, poll_seconds

    def run(self, work: BatchWork, store: ResultStore, progress: ProgressListener) -> None:
        queue = self.open_queue(store)
        todo_ids = {t.id for t in work.todo}
        queue.seed(sorted(todo_ids), reset=True)
        started = self.clock.now()
        gpus = _cuda_devices()
        ctx = multiprocessing.get_context("spawn")
        procs = []
        for i in range(worker_count(self.workers, len(todo_ids), os.cpu_count() or 1, gpus)):
            spec = WorkerSpec(self.worker_parts, work.source, work.out_dir, tuple(sorted(todo_ids)),
                              work.budget_seconds, work.task_time_limit, self.lease_seconds,
                              device_index=(i % gpus) if gpus else None)
            proc = ctx.Process(target=run_worker, args=(spec, f"w{i}"), name=f"arc-ttt-worker-{i}")
            proc.start()
            procs.append(proc)
        seen: set[str] = set()
        try:
            while any(p.is_alive() for p in procs):
                _report_new(store, todo_ids, seen, progress)
                time.sleep(self.poll_seconds)
        except KeyboardInterrupt:
            for proc in procs:
                proc.terminate()
            raise
        finally:
            for proc in procs:
                proc.join(10)
        _report_new(store, todo_ids, seen, progress)
        if queue.pending():  # a worker died: finish its tasks here rather than leave them unsolved
            queue.release_leases()
            tasks = {t.id: t for t in work.todo}
            work_loop(owner=worker_name("finisher"), solver=self.solver, store=store, queue=queue, clock=self.clock,
                      tasks=tasks, deadline=started + work.budget_seconds, task_time_limit=work.task_time_limit,
                      lease_seconds=self.lease_seconds, on_result=progress.task_done)


def _ray_solve_one(worker_parts: WorkerPartsFactory, task: Task, wall_deadline: float,
                   task_time_limit: float) -> TaskResult:
    """Runs inside a Ray worker process, with the parts a local run uses (the factory builds them once per
    process and settings), and a fresh solver for each task."""
    parts = worker_parts()
    solver = parts.new_solver()
    remaining = wall_deadline - time.time()
    if remaining <= 0:
        return out_of_time_result(task, solver.name)
    return solve_task(solver, task, time_limit=min(task_time_limit, remaining), clock=parts.clock)


class RayRunner:
    """One Ray task per ARC task (one GPU each where the cluster has GPUs); the driver records results."""

    def __init__(self, worker_parts: WorkerPartsFactory, address: str | None, num_cpus: int | None = None) -> None:
        self.worker_parts, self.address, self.num_cpus = worker_parts, address, num_cpus

    def run(self, work: BatchWork, store: ResultStore, progress: ProgressListener) -> None:
        try:
            import ray  # here, not at the top: Ray is an optional extra, needed by this backend alone
        except ImportError as exc:
            raise ValueError("the ray backend needs Ray: pip install 'arc-ttt[ray]'") from exc
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address or None, num_cpus=self.num_cpus, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        try:
            gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
            remote = ray.remote(num_gpus=gpus, max_retries=2)(_ray_solve_one)
            parts_ref = ray.put(self.worker_parts)
            wall_deadline = time.time() + work.budget_seconds
            pending = [remote.remote(parts_ref, task, wall_deadline, work.task_time_limit) for task in work.todo]
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                result = ray.get(done[0])
                store.record(result)
                progress.task_done(result)
        finally:
            if started_here:
                ray.shutdown()


def launched_rank() -> tuple[int, int, int]:
    """(rank, world size, local rank) under `accelerate launch` or `torchrun`; (0, 1, 0) otherwise."""
    import os

    try:
        env = os.environ
        return int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0))
    except ValueError:
        return 0, 1, 0


class LaunchedRankRunner:
    """One rank of `accelerate launch -m arc_ttt solve ...` (or torchrun): every rank claims tasks from the
    shared queue; rank 0 seeds it and, after all ranks are done, alone writes the submission and report."""

    def __init__(self, rank: int, world_size: int, local_rank: int, clock: Clock, solver: Solver,
                 open_queue: WorkQueueOpener, lease_seconds: float = 120.0) -> None:
        self.rank, self.world_size, self.local_rank = rank, world_size, local_rank
        self.clock, self.solver, self.open_queue, self.lease_seconds = clock, solver, open_queue, lease_seconds

    @property
    def primary(self) -> bool:
        return self.rank == 0

    def run(self, work: BatchWork, store: ResultStore, progress: ProgressListener) -> None:
        # here, not at the top: only a run under `accelerate launch` or torchrun needs torch.distributed
        import torch
        import torch.distributed as dist

        if torch.cuda.is_available():
            torch.cuda.set_device(self.local_rank % torch.cuda.device_count())
        if not dist.is_initialized():
            dist.init_process_group("gloo")
        queue = self.open_queue(store)
        if self.primary:
            queue.seed(sorted(t.id for t in work.todo), reset=True)
        dist.barrier()  # nobody claims before the queue is seeded
        started = self.clock.now()
        work_loop(owner=worker_name(f"rank{self.rank}"), solver=self.solver, store=store, queue=queue,
                  clock=self.clock, tasks={t.id: t for t in work.todo}, deadline=started + work.budget_seconds,
                  task_time_limit=work.task_time_limit, lease_seconds=self.lease_seconds, linger=True,
                  on_result=progress.task_done if self.primary else None)
        dist.barrier()  # every rank's results are stored before rank 0 writes the submission
        dist.destroy_process_group()
