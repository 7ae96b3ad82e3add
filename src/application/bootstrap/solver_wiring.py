"""Building the program-search solver and the ensemble from settings (the container calls these)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from arc_ttt.adapters.solvers.program_pool import ProgramPoolConfig, ProgramPoolSolver
from arc_ttt.application.config.settings import EnsembleSettings, ProgramSettings, Settings, locate_model
from arc_ttt.domain.programs.program_search import ProgramSearchOptions
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.solving.ensemble import EnsemblePolicy, EnsembleSolver
from arc_ttt.domain.solving.ports import Solver
from arc_ttt.domain.solving.ttt_time import ttt_switched_off
from arc_ttt.domain.ttt.ports import LiftRecords

if TYPE_CHECKING:  # a value the wiring passes on, not a dataclass it builds from settings
    from arc_ttt.domain.solving.ensemble import SwitchedOff

# Program knobs the process pool applies; the others configure the search itself.
POOL_KNOBS = frozenset({"processes", "time_limit"})


def program_search_options(section: ProgramSettings) -> ProgramSearchOptions:
    return ProgramSearchOptions(**section.model_dump(exclude=POOL_KNOBS))


def program_solver_config(section: ProgramSettings) -> ProgramPoolConfig:
    return ProgramPoolConfig(**section.model_dump(include=POOL_KNOBS), search=program_search_options(section))


def ensemble_policy(section: EnsembleSettings) -> EnsemblePolicy:
    """The domain's ensemble knows its solvers as first and second; the settings name them (program, then TTT)."""
    return EnsemblePolicy(min_second_seconds=section.min_ttt_seconds, always_run_second=section.ttt_when_sure,
                          trust_second_at=section.ttt_trust)


def build_program_solver(settings: Settings) -> ProgramPoolSolver:
    return ProgramPoolSolver(program_solver_config(settings.program))


def ensemble_ttt_off(settings: Settings, lifts: LiftRecords) -> SwitchedOff | None:
    """Why this run's ensemble gives TTT no time (None: it may run); the model's record is read only for `auto`,
    and only where the wiring will look for the model (an ArcTttError when the record is damaged)."""
    mode = settings.ensemble.ttt
    model = locate_model(settings.ttt.model) or ""
    return ttt_switched_off(mode, model, lifts.lift_of(model) if mode == "auto" and model else None)


def build_ensemble(program: Solver, model: Callable[[], Solver], clock: Clock, settings: Settings,
                   lifts: LiftRecords) -> EnsembleSolver:
    """Program search first (its sure answers stand), the TTT model for the rest and second attempts. `model`
    builds the TTT solver, and is called only when the run gives TTT time: otherwise neither it, its checkpoint
    store nor torch is touched."""
    off = ensemble_ttt_off(settings, lifts)
    return EnsembleSolver(program, off if off is not None else model(), clock, ensemble_policy(settings.ensemble))
