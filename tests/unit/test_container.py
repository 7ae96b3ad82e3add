"""The container is the one place that picks adapters; swapping one must reach the use case."""

import json
from pathlib import Path

import pytest
from dependency_injector import providers

from arc_ttt.application.bootstrap.container import build_container, solver_names
from arc_ttt.application.config.settings import load_settings
from arc_ttt.application.use_cases.solve_batch import SolveRequest
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from tests.builders import grid, symmetry_task
from tests.fakes import InMemoryResultStore, InMemoryTaskSource, ScriptedSolver


def test_the_default_solver_comes_from_settings() -> None:
    container = build_container(load_settings(solve={"solver": "baseline"}))
    assert container.solver().name == "baseline"
    assert "baseline" in solver_names()


def test_settings_the_container_cannot_use_are_refused_plainly() -> None:
    with pytest.raises(ValueError, match="unknown solver 'nope'; known: "):
        build_container(load_settings(solve={"solver": "nope"}))
    with pytest.raises(TypeError, match="wants Settings"):
        build_container({"solve": {}})  # type: ignore[arg-type]


def test_overriding_the_solver_and_store_reaches_solve_batch(tmp_path: Path) -> None:
    container = build_container(load_settings())
    task = symmetry_task("t0", Dihedral.FLIP_V)
    scripted = ScriptedSolver({"t0": TaskSolution(((Candidate(grid("5"), "scripted"),),))}, name="scripted")
    store = InMemoryResultStore()
    with container.solver.override(providers.Object(scripted)), \
            container.result_store.override(providers.Object(store)):
        outcome = container.solve_batch()(SolveRequest(InMemoryTaskSource([task]), tmp_path, 60.0, 10.0))
    assert scripted.calls == [("t0", 10.0)]
    assert store.rows["t0"].solver == "scripted"
    assert json.loads((tmp_path / "submission.json").read_text())["t0"][0]["attempt_1"] == [[5]]
    assert outcome.score is not None and outcome.score.score == 0.0


def test_ensemble_settings_reach_its_policy() -> None:
    from arc_ttt.application.bootstrap.solver_wiring import build_ensemble
    from tests.fakes import FakeClock, InMemoryLiftRecords

    def policy(**section: object) -> object:
        solver = ScriptedSolver({})
        return build_ensemble(solver, lambda: solver, FakeClock(), load_settings(ensemble=section),
                              InMemoryLiftRecords()).policy

    assert policy().trust_second_at == 0.5 and policy(ttt_trust=None).trust_second_at is None
    assert policy(min_ttt_seconds="1m").min_second_seconds == 60.0


def test_worker_parts_cross_into_another_process_and_share_the_runs_store_and_queue(tmp_path: Path) -> None:
    """What `--workers N` and Ray send to other processes: a picklable factory from the composition root."""
    import pickle
    from functools import partial

    from arc_ttt.application.bootstrap.container import worker_parts

    factory = pickle.loads(pickle.dumps(partial(worker_parts, load_settings(solve={"solver": "baseline"}))))
    parts = factory()
    assert parts.new_solver().name == "baseline" and parts.new_solver() is not parts.new_solver()
    assert factory().clock is parts.clock  # one container per process and settings
    store = parts.open_store(tmp_path)
    try:
        queue = parts.open_queue(store)
        queue.seed(["a", "b"], reset=True)
        assert queue.claim("w", 60.0) == "a" and queue.release_leases() == 1 and queue.pending() == 2
    finally:
        store.close()


def test_the_checkpoint_commands_store_must_exist_but_import_may_create_it(tmp_path: Path) -> None:
    from arc_ttt.adapters.storage.checkpoints.repository import CheckpointStoreMissingError
    from arc_ttt.application.bootstrap.container import build_tool_container

    container = build_tool_container(load_settings(checkpoints={"root": tmp_path / "store"}))
    with pytest.raises(CheckpointStoreMissingError, match="no checkpoint store at"):
        container.checkpoint_store()
    assert not (tmp_path / "store").exists()
    container.checkpoints()  # what `import` opens once an archive has passed its checks
    assert container.checkpoint_store().find() == []


def test_commands_that_read_no_settings_get_their_use_cases_without_them() -> None:
    from arc_ttt.application.bootstrap.container import build_tool_container
    from arc_ttt.application.use_cases.evaluate import EvaluateSubmission
    from arc_ttt.application.use_cases.pretrain import EVALUATION_SETS, TRAINING_SETS, Pretrain

    container = build_tool_container()
    assert isinstance(container.evaluate_submission(), EvaluateSubmission)
    pretrain = container.pretrain()
    assert isinstance(pretrain, Pretrain)
    assert [s.name for s in pretrain.training] == list(TRAINING_SETS)
    assert [s.name for s in pretrain.evaluation] == list(EVALUATION_SETS)
