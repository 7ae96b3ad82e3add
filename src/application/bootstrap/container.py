"""The composition root: the one place that decides which adapter stands behind each port.

Swap an adapter in your own code or tests with `container.solver.override(providers.Object(mine))`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from dependency_injector import containers, providers

from arc_ttt.adapters.reports.html_report import HtmlReportWriter
from arc_ttt.adapters.reports.summary import SummaryWriter
from arc_ttt.adapters.reports.writers import JsonReportWriter, MarkdownReportWriter
from arc_ttt.adapters.solvers.baseline import SymmetryBaselineSolver
from arc_ttt.adapters.storage.checkpoints.repository import open_checkpoint_repository
from arc_ttt.adapters.storage.run_store import open_result_store
from arc_ttt.adapters.system.clock import MonotonicClock
from arc_ttt.adapters.system.probes import ProcessMemoryProbe, PsutilHardwareProbe
from arc_ttt.application.bootstrap.solver_wiring import build_ensemble, build_program_solver
from arc_ttt.application.bootstrap.ttt_wiring import build_ttt_solver
from arc_ttt.application.config.hardware_profiles import describe_run, memory_levels
from arc_ttt.application.config.settings import Settings, load_settings
from arc_ttt.application.use_cases.cleanup_checkpoints import CleanupCheckpoints
from arc_ttt.application.use_cases.evaluate import EvaluateSubmission
from arc_ttt.application.use_cases.runners import (
    BatchRunner,
    LaunchedRankRunner,
    LocalProcessRunner,
    RayRunner,
    launched_rank,
)
from arc_ttt.application.use_cases.solve_batch import SolveBatch
from arc_ttt.domain.resources.memory_leaks import LeakMonitor
from arc_ttt.domain.resources.memory_pressure import MemoryPressureGuard


def _solver_name(settings: Settings) -> str:
    return settings.solve.solver


def _runner(settings: Settings, clock: MonotonicClock, solver: object) -> BatchRunner | None:
    """How the batch is spread: in-process (None), local worker processes, or Ray."""
    if settings.solve.backend == "ray":
        return RayRunner(settings, settings.solve.ray_address)
    rank, world_size, local_rank = launched_rank()
    if world_size > 1:
        return LaunchedRankRunner(rank, world_size, local_rank, clock, solver)  # type: ignore[arg-type]
    if settings.solve.workers > 1:
        return LocalProcessRunner(settings, settings.solve.workers, clock, solver)  # type: ignore[arg-type]
    return None


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(MonotonicClock)

    checkpoints = providers.Singleton(
        open_checkpoint_repository, root=settings.provided.checkpoints.root, url=settings.provided.checkpoints.url
    )

    solver = providers.Selector(
        providers.Callable(_solver_name, settings),
        baseline=providers.Factory(SymmetryBaselineSolver),
        ttt=providers.Factory(build_ttt_solver, settings, clock, checkpoints.provider),
        program=providers.Factory(build_program_solver, settings),
        ensemble=providers.Factory(
            build_ensemble,
            providers.Factory(build_program_solver, settings),
            providers.Factory(build_ttt_solver, settings, clock, checkpoints.provider),
            clock,
            settings,
        ),
    )

    result_store = providers.Factory(open_result_store, url=settings.provided.store.url, set_aside_unreadable=True)

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

    runner = providers.Factory(_runner, settings, clock, solver)

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
    )

    evaluate_submission = providers.Factory(EvaluateSubmission)


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
    container = Container()
    container.settings.override(providers.Object(chosen))
    return container
