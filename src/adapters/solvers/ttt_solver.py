"""`--solver ttt`: the TTT model service behind the Solver port, on a transformers + peft backend.

The base model is loaded on the first task and kept for the whole batch; each task gets a fresh
adapter on it. A model that cannot be loaded fails every task with the same one-line reason, without
trying again for each.
"""

from __future__ import annotations

from dataclasses import dataclass

from arc_ttt.adapters.models.backend import BackendOptions
from arc_ttt.domain.arc.solution import TaskSolution
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.checkpoints.ports import CheckpointRepository
from arc_ttt.domain.errors import ArcTttError, message_line
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.ttt.mit_strategy import MitTTTOptions, MitTTTStrategy
from arc_ttt.domain.ttt.service import ServiceOptions, TTTModelService
from arc_ttt.domain.ttt.training import TrainingPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class TTTSolverConfig:
    """No defaults here: built from the `ttt` settings, where they are declared once."""

    model: str | None
    quantization: str
    offline: bool
    grid_format: str
    cpu_threads: int | None
    backend: BackendOptions
    strategy: MitTTTOptions
    policy: TrainingPolicy
    service: ServiceOptions


class TTTSolver:
    name = "ttt"

    def __init__(self, config: TTTSolverConfig, clock: Clock, checkpoints: CheckpointRepository | None = None) -> None:
        self.config = config
        self.clock = clock
        self.checkpoints = checkpoints
        self._service: TTTModelService | None = None
        self._load_error: str | None = None

    def _ensure_service(self) -> TTTModelService:
        if self._service is not None:
            return self._service
        if self._load_error is not None:
            raise ArcTttError(self._load_error)
        if not self.config.model:
            self._load_error = ("no TTT model: pass --model DIR or set ttt.model "
                                "(`arc-ttt init-model DIR` writes a small one)")
            raise ArcTttError(self._load_error)
        try:
            self._service = self._build()
        except ArcTttError as exc:
            self._load_error = message_line(exc)
            raise
        return self._service

    def _build(self) -> TTTModelService:
        from arc_ttt.adapters.models.backend import TransformersBackend
        from arc_ttt.adapters.models.model_loading import load_model

        if self.config.cpu_threads:
            import torch

            torch.set_num_threads(self.config.cpu_threads)
        assert self.config.model is not None
        loaded = load_model(self.config.model, quantization=self.config.quantization,  # type: ignore[arg-type]
                            offline=self.config.offline, grid_format=self.config.grid_format)
        backend = TransformersBackend(loaded, self.config.backend)
        return TTTModelService(backend, MitTTTStrategy(self.config.strategy), self.config.policy, self.clock,
                               checkpoints=self.checkpoints, options=self.config.service)

    def solve(self, task: Task, time_limit: float) -> TaskSolution:
        return self._ensure_service().solve(task, time_limit)
