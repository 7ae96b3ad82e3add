"""The composition root: the one place that decides which adapter stands behind each port.

Swap an adapter in your own code or tests with `container.solver.override(providers.Object(mine))`.
"""

from __future__ import annotations

from collections.abc import Sequence

from dependency_injector import containers, providers

from arc_ttt.adapters.clock import MonotonicClock
from arc_ttt.adapters.persistence.run_store import open_result_store
from arc_ttt.adapters.reports.summary import SummaryWriter
from arc_ttt.adapters.strategies.baseline import SymmetryBaselineSolver
from arc_ttt.application.settings import Settings, load_settings
from arc_ttt.application.ttt_wiring import build_ttt_solver
from arc_ttt.application.use_cases.evaluate import EvaluateSubmission
from arc_ttt.application.use_cases.solve_batch import SolveBatch


def _solver_name(settings: Settings) -> str:
    return settings.solve.solver


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(MonotonicClock)

    solver = providers.Selector(
        providers.Callable(_solver_name, settings),
        baseline=providers.Factory(SymmetryBaselineSolver),
        ttt=providers.Factory(build_ttt_solver, settings, clock),
    )

    result_store = providers.Factory(open_result_store, url=settings.provided.store.url)

    report_writers = providers.List(providers.Factory(SummaryWriter))

    solve_batch = providers.Factory(
        SolveBatch,
        solver=solver,
        store_factory=result_store.provider,
        clock=clock,
        report_writers=report_writers,
    )

    evaluate_submission = providers.Factory(EvaluateSubmission)


def solver_names() -> list[str]:
    return sorted(Container.solver.providers)


def build_container(settings: Settings | None = None, overlays: Sequence[str] = ()) -> Container:
    container = Container()
    container.settings.override(providers.Object(settings or load_settings(overlays)))
    return container
