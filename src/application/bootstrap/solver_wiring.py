"""Building the program-search solver and the ensemble from settings (the container calls these)."""

from __future__ import annotations

from arc_ttt.adapters.solvers.program_pool import ProgramPoolConfig, ProgramPoolSolver
from arc_ttt.application.config.settings import EnsembleSettings, ProgramSettings, Settings
from arc_ttt.domain.programs.program_search import ProgramSearchOptions
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.solving.ensemble import EnsemblePolicy, EnsembleSolver
from arc_ttt.domain.solving.ports import Solver

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


def build_ensemble(program: Solver, model: Solver, clock: Clock, settings: Settings) -> EnsembleSolver:
    """Program search first (its sure answers stand), the TTT model for the rest and second attempts."""
    return EnsembleSolver(program, model, clock, ensemble_policy(settings.ensemble))
