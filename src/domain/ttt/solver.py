"""`--solver ttt`: the TTT model service behind the Solver port.

The backend (the base model with a LoRA adapter) is opened by a factory the composition root gives, on
the first task, and kept for the whole batch; each task gets a fresh adapter on it. A backend that
cannot be opened fails every task with the same one-line reason, without trying again for each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from arc_ttt.domain.arc.solution import TaskSolution
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.checkpoints.ports import CheckpointRepository
from arc_ttt.domain.errors import ArcTttError, message_line
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.ttt.mit_strategy import MitTTTOptions, MitTTTStrategy
from arc_ttt.domain.ttt.ports import ModelBackend
from arc_ttt.domain.ttt.service import DecodeGate, ServiceOptions, TTTModelService
from arc_ttt.domain.ttt.training import TrainingPolicy


@dataclass(frozen=True, slots=True)
class TTTSolverConfig:
    """No defaults here: built from the `ttt` settings, where they are declared once."""

    strategy: MitTTTOptions
    policy: TrainingPolicy
    service: ServiceOptions


class TTTSolver:
    name = "ttt"

    def __init__(self, config: TTTSolverConfig, backend_factory: Callable[[], ModelBackend], clock: Clock,
                 checkpoints: CheckpointRepository | None = None) -> None:
        self.config = config
        self.backend_factory = backend_factory
        self.clock = clock
        self.checkpoints = checkpoints
        self._service: TTTModelService | None = None
        self._load_error: str | None = None

    def _ensure_service(self) -> TTTModelService:
        """The service, built on the first call; an ArcTttError while opening the backend is kept as the
        reason every later call fails with (opening a model is slow, and would fail the same way again)."""
        if self._service is not None:
            return self._service
        if self._load_error is not None:
            raise ArcTttError(self._load_error)
        try:
            self._service = TTTModelService(self.backend_factory(), MitTTTStrategy(self.config.strategy),
                                            self.config.policy, self.clock, checkpoints=self.checkpoints,
                                            options=self.config.service)
        except ArcTttError as exc:
            self._load_error = message_line(exc)
            raise
        return self._service

    def solve(self, task: Task, time_limit: float) -> TaskSolution:
        return self._ensure_service().solve(task, time_limit)

    def solve_gated(self, task: Task, time_limit: float, gate: DecodeGate) -> TaskSolution:
        """`solve`, asking `gate` after the fit whether to decode the test inputs (see `GatedSolver`)."""
        return self._ensure_service().solve(task, time_limit, gate)
