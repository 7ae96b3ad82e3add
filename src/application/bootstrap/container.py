"""The composition root: the one place that decides which adapter stands behind each port.

Swap an adapter in your own code or tests with `container.solver.override(providers.Object(mine))`.
Worker processes and Ray workers build their own parts with `worker_parts`, which the runners receive
wrapped with the settings (picklable), so no use case needs to know this module.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from functools import partial

from dependency_injector import containers, providers

from arc_ttt.adapters.datasets.arckit_sets import ArckitSource
from arc_ttt.adapters.datasets.reopen import ReopenableSources
from arc_ttt.adapters.datasets.task_files import JsonSubmissionReader
from arc_ttt.adapters.durable_files import AtomicFileWriter
from arc_ttt.adapters.models.lift_records import MarkerLiftRecords
from arc_ttt.adapters.models.pretraining import PretrainingFolders
from arc_ttt.adapters.reports.html_report import HtmlReportWriter
from arc_ttt.adapters.reports.summary import SummaryWriter
from arc_ttt.adapters.reports.writers import JsonReportWriter, MarkdownReportWriter
from arc_ttt.adapters.solvers.baseline import SymmetryBaselineSolver
from arc_ttt.adapters.storage.checkpoints.archive import export_checkpoints, import_checkpoints
from arc_ttt.adapters.storage.checkpoints.repository import (
    open_checkpoint_repository,
    open_existing_checkpoint_repository,
)
from arc_ttt.adapters.storage.run_lock import FileRunLock
from arc_ttt.adapters.storage.run_store import RESULTS_DB, open_result_store, open_run_results
from arc_ttt.adapters.storage.work_queue import open_work_queue
from arc_ttt.adapters.system.clock import MonotonicClock
from arc_ttt.adapters.system.probes import ProcessMemoryProbe, PsutilHardwareProbe
from arc_ttt.application.bootstrap.solver_wiring import build_ensemble, build_program_solver, ensemble_ttt_off
from arc_ttt.application.bootstrap.ttt_wiring import build_ttt_solver
from arc_ttt.application.config.hardware_profiles import describe_run, memory_levels
from arc_ttt.application.config.settings import Settings, load_settings
from arc_ttt.application.use_cases.cleanup_checkpoints import CleanupCheckpoints
from arc_ttt.application.use_cases.evaluate import EvaluateSubmission
from arc_ttt.application.use_cases.pretrain import EVALUATION_SETS, TRAINING_SETS, Pretrain
from arc_ttt.application.use_cases.render_report import RenderReport
from arc_ttt.application.use_cases.runners import (
    BatchRunner,
    LaunchedRankRunner,
    LocalProcessRunner,
    RayRunner,
    launched_rank,
)
from arc_ttt.application.use_cases.solve_batch import SolveBatch
from arc_ttt.application.use_cases.workers import WorkerParts
from arc_ttt.domain.resources.memory_leaks import LeakMonitor
from arc_ttt.domain.resources.memory_pressure import MemoryPressureGuard
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.solving.ports import Solver, WorkQueueOpener


def _solver_name(settings: Settings) -> str:
    return settings.solve.solver


def _runner(settings: Settings, clock: Clock, solver: Solver, open_queue: WorkQueueOpener) -> BatchRunner | None:
    """How the batch is spread: in-process (None), local worker processes, or Ray. Other processes get
    `worker_parts` bound to the settings: picklable, and built again on the other side."""
    parts = partial(worker_parts, settings)
    if settings.solve.backend == "ray":
        return RayRunner(parts, settings.solve.ray_address)
    rank, world_size, local_rank = launched_rank()
    if world_size > 1:
        return LaunchedRankRunner(rank, world_size, local_rank, clock, solver, open_queue)
    if settings.solve.workers > 1:
        return LocalProcessRunner(partial(worker_parts, shared_cores(settings)), settings.solve.workers, clock, solver,
                                  open_queue)
    return None


def shared_cores(settings: Settings) -> Settings:
    """Settings for one of `solve.workers` local workers: program search's "one process per core" becomes one
    per the worker's share of the cores, so that N workers start about as many search processes as there are
    cores, not N times that (6 workers on a 6-core machine started 42 processes)."""
    if settings.program.processes != 0:
        return settings
    share = max(1, len(os.sched_getaffinity(0)) // settings.solve.workers)
    return settings.model_copy(update={"program": settings.program.model_copy(update={"processes": share})})


def _embedded_sets(names: Sequence[str]) -> list[ArckitSource]:
    return [ArckitSource(name) for name in names]


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(MonotonicClock)

    checkpoints = providers.Singleton(
        open_checkpoint_repository, root=settings.provided.checkpoints.root, url=settings.provided.checkpoints.url
    )

    # what a model folder records about TTT's lift over program search (read before the ensemble loads the model)
    lift_records = providers.Singleton(MarkerLiftRecords)
    # why the ensemble gives TTT no time in this run (None: it may run); the CLI asks before checking the model
    ensemble_ttt_off = providers.Callable(ensemble_ttt_off, settings, lift_records)

    solver = providers.Selector(
        providers.Callable(_solver_name, settings),
        baseline=providers.Factory(SymmetryBaselineSolver),
        ttt=providers.Factory(build_ttt_solver, settings, clock, checkpoints.provider),
        program=providers.Factory(build_program_solver, settings),
        ensemble=providers.Factory(
            build_ensemble,
            providers.Factory(build_program_solver, settings),
            # the provider itself: the ensemble builds the TTT solver only when the run gives TTT time
            providers.Factory(build_ttt_solver, settings, clock, checkpoints.provider).provider,
            clock,
            settings,
            lift_records,
        ),
    )

    # The checkpoint commands: a store that must exist already (only `import` may create one), and the archive
    checkpoint_store = providers.Factory(
        open_existing_checkpoint_repository, root=settings.provided.checkpoints.root,
        url=settings.provided.checkpoints.url,
    )
    export_checkpoints = providers.Callable(export_checkpoints, repository=checkpoint_store)
    # the store is opened (and made, in a new root) only once the archive has passed its checks
    import_checkpoints = providers.Callable(
        import_checkpoints, checkpoints.provider,
        max_member_bytes=settings.provided.checkpoints.max_import_member_size,
    )

    result_store = providers.Factory(open_result_store, url=settings.provided.store.url, set_aside_unreadable=True,
                                     busy_timeout=settings.provided.store.busy_timeout)
    run_results = providers.Callable(open_run_results)
    work_queue = providers.Callable(open_work_queue)
    run_files = providers.Singleton(AtomicFileWriter)
    source_specs = providers.Singleton(ReopenableSources)

    hardware_probe = providers.Singleton(PsutilHardwareProbe)
    memory_probe = providers.Singleton(ProcessMemoryProbe)
    pressure_guard = providers.Factory(
        MemoryPressureGuard,
        probe=memory_probe,
        levels=providers.Callable(memory_levels, settings.provided.hardware),
        sleep=providers.Object(time.sleep),
    )
    leak_monitor = providers.Factory(
        LeakMonitor, threshold_mb_per_task=settings.provided.hardware.leak_warn_mb_per_task
    )
    run_meta = providers.Callable(describe_run, hardware_probe, settings.provided.hardware)

    report_writers = providers.List(
        providers.Factory(SummaryWriter),
        providers.Factory(JsonReportWriter),
        providers.Factory(MarkdownReportWriter),
        providers.Factory(HtmlReportWriter),
    )

    cleanup_checkpoints = providers.Factory(CleanupCheckpoints, repository=checkpoints)

    runner = providers.Factory(_runner, settings, clock, solver, work_queue.provider)

    solve_batch = providers.Factory(
        SolveBatch,
        solver=solver,
        store_factory=result_store.provider,
        clock=clock,
        report_writers=report_writers,
        memory_probe=memory_probe,
        pressure_guard=pressure_guard,
        leak_monitor=leak_monitor,
        run_meta=run_meta,
        runner=runner,
        run_files=run_files,
        source_specs=source_specs,
        store_files=providers.Object((RESULTS_DB,)),
        folder_lock=providers.Singleton(FileRunLock),
    )

    render_report = providers.Factory(
        RenderReport, report_writers=report_writers, open_run=run_results.provider, source_specs=source_specs
    )

    evaluate_submission = providers.Factory(EvaluateSubmission, reader=providers.Singleton(JsonSubmissionReader))

    pretrain = providers.Factory(
        Pretrain,
        training=providers.Callable(_embedded_sets, TRAINING_SETS),
        evaluation=providers.Callable(_embedded_sets, EVALUATION_SETS),
        clock=clock,
        backend=providers.Singleton(PretrainingFolders),
    )


def solver_names() -> list[str]:
    return sorted(Container.solver.providers)


def build_container(settings: Settings | None = None, overlays: Sequence[str] = ()) -> Container:
    """A container for these settings. Settings that are not a `Settings`, or that name a solver the
    container does not have, are refused here with a plain error, not later by dependency-injector."""
    chosen = settings if settings is not None else load_settings(overlays)
    if not isinstance(chosen, Settings):
        raise TypeError(f"build_container wants Settings (arc_ttt.load_settings(...)), got {type(chosen).__name__}")
    if chosen.solve.solver not in solver_names():
        raise ValueError(f"unknown solver {chosen.solve.solver!r}; known: {', '.join(solver_names())}")
    return build_tool_container(chosen)


def build_tool_container(settings: Settings | None = None) -> Container:
    """A container for the commands that solve nothing (checkpoints, evaluate, pretrain): the solver setting is
    not theirs to refuse. Without settings (commands that read none) only providers that need none work."""
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container


_WORKER_CONTAINERS: dict[str, Container] = {}


def worker_parts(settings: Settings) -> WorkerParts:
    """What a worker process (a local worker, a Ray worker) solves with, from one container per process and
    settings: a Ray worker that solves many tasks builds the container (its clock, its stores) once, and only
    the solver again for each task (`new_solver`)."""
    key = settings.model_dump_json()
    container = _WORKER_CONTAINERS.get(key)
    if container is None:
        container = _WORKER_CONTAINERS[key] = build_container(settings)
    return WorkerParts(new_solver=container.solver, clock=container.clock(), open_store=container.result_store,
                       open_queue=container.work_queue)
