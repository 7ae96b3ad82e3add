"""The `ttt` solver: registered in the container, loads its base model once per batch."""

from __future__ import annotations

import pytest

from arc_ttt.adapters.solvers.ttt_solver import TTTSolver
from arc_ttt.application.bootstrap.container import build_container, solver_names
from arc_ttt.application.config.settings import load_settings
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.errors import ArcTttError
from arc_ttt.domain.ttt.service import TTTModelService
from tests.builders import data_options, service_options, training_policy, ttt_solver_config
from tests.fakes import FakeClock, FakeModelBackend

G = Grid.of([[1, 2], [0, 3]])
TASK = Task("t1", (Example(G, G), Example(G, G)), (Example(G),))


def test_ttt_is_a_registered_solver_configured_from_settings() -> None:
    assert "ttt" in solver_names()
    settings = load_settings(solve={"solver": "ttt"}, ttt={"model": "some/model", "preset": "marc"})
    solver = build_container(settings).solver()
    assert isinstance(solver, TTTSolver) and solver.name == "ttt"
    assert solver.config.model == "some/model" and solver.config.backend.lora_rank == 128


def test_the_base_model_is_loaded_once_for_the_whole_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    builds = []

    def build(self: TTTSolver) -> TTTModelService:
        builds.append(1)
        from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy

        return TTTModelService(FakeModelBackend(), MitTTTStrategy(data_options()), training_policy(max_steps=2),
                               FakeClock(), options=service_options())

    monkeypatch.setattr(TTTSolver, "_build", build)
    solver = TTTSolver(ttt_solver_config(model="m"), FakeClock())
    for _ in range(3):
        assert solver.solve(TASK, 10.0).candidates[0][0].grid == G
    assert builds == [1]


def test_without_a_model_every_task_fails_with_the_same_clear_reason() -> None:
    solver = TTTSolver(ttt_solver_config(model=None), FakeClock())
    for _ in range(2):
        with pytest.raises(ArcTttError, match="no TTT model"):
            solver.solve(TASK, 10.0)
