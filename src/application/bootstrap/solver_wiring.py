"""Building the program-search solver and the ensemble from settings (the container calls these)."""

from __future__ import annotations

from arc_ttt.adapters.solvers.program_pool import ProgramSolver, ProgramSolverConfig
from arc_ttt.application.config.settings import Settings
from arc_ttt.domain.programs.program_search import ProgramSearchOptions
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.solving.ensemble import EnsemblePolicy, EnsembleSolver
from arc_ttt.domain.solving.ports import Solver


def build_program_solver(settings: Settings) -> ProgramSolver:
    section = settings.program
    options = ProgramSearchOptions(max_depth=section.max_depth, max_states=section.max_states,
                                   sure_max_cost=section.sure_max_cost)
    return ProgramSolver(ProgramSolverConfig(processes=section.processes, time_limit=section.time_limit,
                                             search=options))


def build_ensemble(program: Solver, model: Solver, clock: Clock, settings: Settings) -> EnsembleSolver:
    """Program search first (its sure answers stand), the TTT model for the rest and second attempts."""
    section = settings.ensemble
    policy = EnsemblePolicy(min_second_seconds=section.min_ttt_seconds, always_run_second=section.ttt_when_sure,
                            trust_second_at=section.ttt_trust)
    return EnsembleSolver(program, model, clock, policy)
