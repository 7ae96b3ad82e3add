"""The `ttt` solver: registered in the container, opens its backend once per batch."""

from __future__ import annotations

import pickle
from functools import partial

import pytest

from arc_ttt.adapters.models.backend_factory import open_backend
from arc_ttt.application.bootstrap.container import build_container, solver_names
from arc_ttt.application.config.settings import load_settings
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.errors import ArcTttError
from arc_ttt.domain.ttt.ports import ModelBackend
from arc_ttt.domain.ttt.solver import TTTSolver
from tests.builders import training_policy, ttt_solver_config
from tests.fakes import FakeClock, FakeModelBackend

G = Grid.of([[1, 2], [0, 3]])
TASK = Task("t1", (Example(G, G), Example(G, G)), (Example(G),))


def test_ttt_is_a_registered_solver_configured_from_settings() -> None:
    assert "ttt" in solver_names()
    settings = load_settings(solve={"solver": "ttt"}, ttt={"model": "some/model", "preset": "marc"})
    solver = build_container(settings).solver()
    assert isinstance(solver, TTTSolver) and solver.name == "ttt"
    factory = solver.backend_factory
    assert isinstance(factory, partial) and factory.func is open_backend
    assert factory.keywords["model"] == "some/model" and factory.keywords["options"].lora_rank == 128
    assert pickle.loads(pickle.dumps(factory)).keywords == factory.keywords  # worker processes can take it


def test_the_backend_is_opened_once_for_the_whole_batch() -> None:
    opened: list[ModelBackend] = []

    def factory() -> ModelBackend:
        opened.append(FakeModelBackend())
        return opened[-1]

    solver = TTTSolver(ttt_solver_config(policy=training_policy(max_steps=2)), factory, FakeClock())
    for _ in range(3):
        assert solver.solve(TASK, 10.0).candidates[0][0].grid == G
    assert len(opened) == 1


def test_a_backend_that_cannot_open_fails_every_task_with_the_same_line_without_retrying() -> None:
    tries: list[int] = []

    def factory() -> ModelBackend:
        tries.append(1)
        raise ArcTttError("cannot load model from folder m: broken\n(details)")

    solver = TTTSolver(ttt_solver_config(), factory, FakeClock())
    for _ in range(2):
        with pytest.raises(ArcTttError, match=r"^cannot load model from folder m: broken"):
            solver.solve(TASK, 10.0)
    assert tries == [1]


def test_without_a_model_every_task_fails_with_the_same_clear_reason() -> None:
    settings = load_settings(solve={"solver": "ttt"}, ttt={"model": None})
    solver = build_container(settings).solver()
    for _ in range(2):
        with pytest.raises(ArcTttError, match="no TTT model"):
            solver.solve(TASK, 10.0)


def test_the_ensemble_can_ask_ttt_through_a_gate() -> None:
    """The ensemble recognises a GatedSolver by its shape: TTT must keep that shape, or no decoding is ever spared."""
    from arc_ttt.domain.solving.ports import GatedSolver

    backend = FakeModelBackend()
    solver = TTTSolver(ttt_solver_config(policy=training_policy(max_steps=2)), lambda: backend, FakeClock())
    assert isinstance(solver, GatedSolver)
    task = Task("t", (Example(Grid.of([[1]]), Grid.of([[1]])),) * 3, (Example(Grid.of([[2]])),))
    solution = solver.solve_gated(task, 60.0, lambda held_out_exact: "no")
    assert solution.candidates == ((),) and backend.generated == 0
