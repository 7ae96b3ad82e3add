"""The same behaviour from the SQL repository and the in-memory fake, so unit tests written against the fake
say something true about the real store."""

from collections.abc import Callable
from pathlib import Path

import pytest

from arc_ttt.adapters.storage.checkpoints.repository import open_checkpoint_repository
from arc_ttt.domain.checkpoints.ports import CheckpointRepository
from tests.checkpoint_builders import SAVE_META, weights
from tests.fakes import InMemoryCheckpointRepository

MAKERS: dict[str, Callable[[Path], CheckpointRepository]] = {
    "sql": lambda tmp: open_checkpoint_repository(tmp / "store"),
    "fake": lambda _tmp: InMemoryCheckpointRepository(),
}


@pytest.mark.parametrize("kind", [*sorted(MAKERS), "postgresql"])
def test_repositories_agree(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if kind == "postgresql":  # the same store with its metadata on a real PostgreSQL server, by URL alone
        repo = open_checkpoint_repository(tmp_path / "store", url=request.getfixturevalue("new_pg_database")())
    else:
        repo = MAKERS[kind](tmp_path)
    for seed, (accuracy, model_hash) in enumerate([(0.5, "h1"), (0.9, "h1"), (0.9, "h2"), (0.1, "h2")]):
        meta = {**SAVE_META, "base_model_hash": model_hash}
        repo.save("a", weights(seed), metrics={"val_accuracy": accuracy, "loss": 1.0 - accuracy},
                  tags=["even"] if seed % 2 == 0 else [], **meta)
    repo.save("b", weights(9), metrics={}, **SAVE_META)
    assert [i.version for i in repo.find("a")] == [1, 2, 3, 4]
    assert repo.latest("a").version == 4 and repo.latest("a", "h1").version == 2
    assert repo.best("a", "val_accuracy").version == 3  # a tie goes to the newer version
    assert repo.best("a", "loss", higher_is_better=False).version == 3
    assert repo.best("b", "val_accuracy") is None
    assert [(i.task_id, i.version) for i in repo.find(tag="even")] == [("a", 1), ("a", 3)]
    assert [(i.task_id, i.version) for i in repo.find(base_model_hash="h1")] == [("a", 1), ("a", 2)]
    assert repo.load(repo.get("a", 2)) == weights(1)
    assert repo.load_latest_good("a", "h1")[1] == weights(1)
    assert repo.delete("a", 4) and not repo.delete("a", 4) and repo.get("a", 4) is None
    assert repo.save("a", weights(5), metrics={}, **SAVE_META).version == 5
