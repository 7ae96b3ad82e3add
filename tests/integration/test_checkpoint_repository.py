import dataclasses
import math
import os
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from arc_ttt.adapters.storage.checkpoints.repository import SqlCheckpointRepository, open_checkpoint_repository
from arc_ttt.adapters.storage.checkpoints.schema import SchemaVersionError, ensure_schema
from arc_ttt.application.use_cases.cleanup_checkpoints import CleanupCheckpoints
from arc_ttt.domain.checkpoints.policy import CleanupPolicy
from arc_ttt.domain.errors import CheckpointFormatError, CheckpointIntegrityError, UnsafeTaskIdError
from tests.checkpoint_builders import SAVE_META, weights


def save(repo: SqlCheckpointRepository, task: str, seed: int, accuracy: float | None = None, **extra):
    metrics = {"loss": 1.0 / (seed + 1), "steps": 10.0, "seconds": 2.5}
    if accuracy is not None:
        metrics["val_accuracy"] = accuracy
    meta = {**SAVE_META, **extra}
    return repo.save(task, weights(seed), metrics=metrics, **meta)


@pytest.fixture
def repo(tmp_path: Path) -> SqlCheckpointRepository:
    return open_checkpoint_repository(tmp_path / "store")


def test_versions_count_per_task_and_metadata_round_trips(repo: SqlCheckpointRepository, tmp_path: Path) -> None:
    a1 = save(repo, "a", 1, 0.5, tags=["exp1", "exp1", "baseline"])
    a2 = save(repo, "a", 2, 0.7)
    b1 = save(repo, "b", 3)
    assert (a1.version, a2.version, b1.version) == (1, 2, 1)
    reopened = open_checkpoint_repository(tmp_path / "store")
    got = reopened.get("a", 1)
    assert got == a1
    assert got.lora_config == {"alpha": 16, "r": 4} and got.tags == ("baseline", "exp1")
    assert got.metrics == {"loss": 0.5, "seconds": 2.5, "steps": 10.0, "val_accuracy": 0.5}
    assert got.size_bytes == len(weights(1)) and len(got.sha256) == 64 and got.created_at.startswith("20")
    assert reopened.load(got) == weights(1)
    assert (tmp_path / "store/adapters/a/v000002.safetensors").read_bytes() == weights(2)
    assert reopened.schema_version() == 1
    with reopened.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_latest_best_and_filters(repo: SqlCheckpointRepository) -> None:
    save(repo, "a", 1, 0.9)
    save(repo, "a", 2, 0.4, base_model_hash="sha256:new", tags=["x"])
    save(repo, "a", 3, 0.6)
    save(repo, "b", 4, 0.1, base_model="other", tags=["x"])
    assert repo.latest("a").version == 3
    assert repo.latest("a", base_model_hash="sha256:new").version == 2
    assert repo.latest("nope") is None
    assert repo.best("a", "val_accuracy").version == 1
    assert repo.best("a", "loss", higher_is_better=False).version == 3
    assert repo.best("a", "bleu") is None
    assert [(i.task_id, i.version) for i in repo.find(tag="x")] == [("a", 2), ("b", 1)]
    assert [(i.task_id, i.version) for i in repo.find(base_model="other")] == [("b", 1)]
    assert repo.task_ids() == ["a", "b"]


def test_a_flipped_byte_is_detected_and_load_latest_good_falls_back(repo: SqlCheckpointRepository) -> None:
    save(repo, "a", 1)
    save(repo, "a", 2)
    v3 = save(repo, "a", 3)
    path = repo.files.path("a", 3)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointIntegrityError, match=r"task a v3: sha256 mismatch"):
        repo.load(v3)
    repo.files.path("a", 2).unlink()
    info, loaded = repo.load_latest_good("a")
    assert info.version == 1 and loaded == weights(1)
    report = repo.verify()
    assert [(i.version, why) for i, why in report.corrupted] == [(3, "sha256 mismatch")]
    assert [i.version for i in report.missing] == [2] and report.stray == () and not report.ok


def test_a_missing_file_is_a_clear_error(repo: SqlCheckpointRepository) -> None:
    info = save(repo, "a", 1)
    repo.files.path("a", 1).unlink()
    with pytest.raises(CheckpointIntegrityError, match=r"task a v1: file missing"):
        repo.load(info)
    assert repo.load_latest_good("a") is None


def test_verify_reports_stray_files_and_odd_entries(repo: SqlCheckpointRepository) -> None:
    save(repo, "a", 1)
    folder = repo.files.adapters
    (folder / "a" / "v000009.safetensors").write_bytes(weights(9))
    (folder / "a" / ".v000010.safetensors.x1.tmp").write_bytes(b"partial")
    (folder / "a" / "notes.txt").write_text("hi")
    (folder / "a" / "v000011.safetensors").symlink_to(folder / "a" / "v000001.safetensors")
    (folder / "b").mkdir()
    (folder / "b" / "v000001.safetensors").write_bytes(weights(2))
    report = repo.verify()
    found = {(p.path.relative_to(folder).as_posix(), p.reason) for p in report.stray}
    assert found == {
        ("a/v000009.safetensors", "no row for this file"),
        ("a/.v000010.safetensors.x1.tmp", "temporary file left by an interrupted write"),
        ("a/notes.txt", "unexpected file name"),
        ("a/v000011.safetensors", "not a regular file"),
        ("b/v000001.safetensors", "no row for this file"),
    }
    assert report.checked == 1 and not report.corrupted and not report.missing
    assert {p.path.name for p in repo.verify("b").stray} == {"v000001.safetensors"}
    assert repo.remove_strays(older_than_seconds=3600) == []  # all of them are too young
    old = (folder / "a" / "v000009.safetensors")
    os.utime(old, (1_000_000, 1_000_000))
    assert [s.path for s in repo.remove_strays(older_than_seconds=3600)] == [old] and not old.exists()
    assert (folder / "b").is_dir() and len(repo.verify().stray) == 4
    # a stray in the way of the next version is never overwritten: that number is skipped
    assert repo.files.path("a", 2).exists() is False
    (folder / "a" / "v000002.safetensors").write_bytes(b"junk")
    assert save(repo, "a", 5).version == 3 and (folder / "a" / "v000002.safetensors").read_bytes() == b"junk"


@pytest.mark.parametrize(("change", "problem"), [
    ({"weights": b"\x80\x04\x95pickle"}, "not a safetensors payload"),
    ({"metrics": {"loss": math.nan}}, "metric 'loss' must be a finite number"),
    ({"metrics": {"loss": "low"}}, "must be a finite number"),
    ({"tags": "single"}, "tags must be a list"),
    ({"tags": [""]}, "tag must be printable"),
    ({"base_model": ""}, "base_model must be"),
    ({"lora_config": {"target": object()}}, "lora_config is not plain JSON"),
    ({"metrics": {"loss": np.float32("inf")}}, "must be a finite number"),
    ({"metrics": {"loss": 10**400}}, "metric 'loss' must be a finite number, got 1000"),  # overflows a float
    ({"metrics": {"loss": 10**5000}}, "got a value too long to print"),  # past Python's int-string limit
])
def test_bad_payloads_and_metadata_are_refused_and_nothing_is_written(repo: SqlCheckpointRepository, change,
                                                                      problem: str) -> None:
    args = {"weights": weights(0), "metrics": {}, "tags": (), **SAVE_META, **change}
    with pytest.raises(CheckpointFormatError, match=problem):
        repo.save("a", **args)
    assert repo.find() == [] and not repo.files.adapters.exists()


def test_a_version_no_row_can_hold_is_simply_not_there(repo: SqlCheckpointRepository) -> None:
    save(repo, "a", 1)
    assert repo.get("a", 2**63) is None and repo.get("a", 0) is None
    assert repo.delete("a", 2**63) is False and repo.get("a", 1) is not None


@pytest.mark.parametrize("created_at", ["\x1b[2J\x1b[31mPWNED", "2026-01-01\x00", "yesterday", "2026-01-01" * 5])
def test_restore_refuses_a_creation_time_that_is_not_a_printable_timestamp(repo: SqlCheckpointRepository,
                                                                           created_at: str) -> None:
    saved = save(repo, "a", 1)
    archived = dataclasses.replace(saved, version=2, created_at=created_at)
    with pytest.raises(CheckpointFormatError, match="created_at must be"):
        repo.restore(archived, weights(1))
    assert repo.get("a", 2) is None
    restored = repo.restore(dataclasses.replace(archived, created_at="2026-01-01T00:00:00+00:00"), weights(1))
    assert restored.action == "added" and restored.info.created_at == "2026-01-01T00:00:00+00:00"


def test_unsafe_task_ids_never_reach_a_path(repo: SqlCheckpointRepository) -> None:
    for bad in ("../evil", "/abs", "a/b", "..", ""):
        with pytest.raises(UnsafeTaskIdError):
            repo.save(bad, weights(0), metrics={}, **SAVE_META)
    assert not repo.files.adapters.exists()


def test_cleanup_keeps_the_best_deletes_files_and_never_reuses_a_version(repo: SqlCheckpointRepository) -> None:
    for seed, accuracy in enumerate([0.2, 0.9, 0.5, 0.1]):
        save(repo, "a", seed, accuracy)
    save(repo, "b", 9, 0.3)
    outcome = CleanupCheckpoints(repo)(CleanupPolicy(keep_best=1))
    assert [(i.task_id, i.version) for i in outcome.deleted] == [("a", 1), ("a", 3), ("a", 4)]
    assert [(i.task_id, i.version) for i in repo.find()] == [("a", 2), ("b", 1)]
    assert sorted(p.name for p in (repo.files.adapters / "a").iterdir()) == ["v000002.safetensors"]
    assert repo.verify().ok
    assert save(repo, "a", 10).version == 5  # v4 was deleted, but its number stays spent
    capped = CleanupCheckpoints(repo)(CleanupPolicy(max_total_bytes=0))
    assert [(i.task_id, i.version) for i in repo.find()] == [("a", 2), ("b", 1)] and not capped.plan.cap_met


def test_schema_migrations_run_in_order_and_a_newer_store_is_refused(tmp_path: Path) -> None:
    repo = open_checkpoint_repository(tmp_path)
    save(repo, "a", 1)
    calls: list[int] = []

    def add_notes(conn) -> None:
        calls.append(2)
        conn.execute(text("ALTER TABLE checkpoints ADD COLUMN notes TEXT DEFAULT ''"))

    with repo.engine.begin() as conn:
        assert ensure_schema(conn, target=2, migrations={2: add_notes}) == 1
    with repo.engine.begin() as conn:
        assert ensure_schema(conn, target=2, migrations={2: add_notes}) == 2
        assert conn.execute(text("SELECT notes FROM checkpoints")).scalar() == ""
    assert calls == [2] and repo.schema_version() == 2
    with pytest.raises(SchemaVersionError, match="schema version 2 is newer than this program understands"):
        open_checkpoint_repository(tmp_path)
    with repo.engine.begin() as conn, pytest.raises(SchemaVersionError, match="no migration"):
        ensure_schema(conn, target=3, migrations={})


def test_the_container_builds_the_store_from_settings(tmp_path: Path) -> None:
    from arc_ttt.application.bootstrap.container import build_container
    from arc_ttt.application.config.settings import load_settings

    container = build_container(load_settings(checkpoints={"root": tmp_path / "ck"}))
    repo = container.checkpoints()
    assert isinstance(repo, SqlCheckpointRepository) and repo is container.checkpoints()
    save(repo, "a", 1)
    assert (tmp_path / "ck" / "checkpoints.db").exists() and (tmp_path / "ck/adapters/a/v000001.safetensors").exists()
    other = build_container(load_settings(checkpoints={"root": tmp_path / "ck2",
                                                       "url": f"sqlite:///{tmp_path / 'meta.db'}"})).checkpoints()
    assert other.find() == [] and (tmp_path / "meta.db").exists()


def test_adapters_saved_by_torch_round_trip(repo: SqlCheckpointRepository) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.torch import load
    from safetensors.torch import save as save_tensors

    state = {"layers.0.q_proj.lora_A.weight": torch.randn(4, 32, dtype=torch.bfloat16),
             "layers.0.q_proj.lora_B.weight": torch.zeros(32, 4), "scale": torch.tensor(2.0)}
    info = repo.save("torch-task", save_tensors(state), metrics={"val_accuracy": 1.0}, **SAVE_META)
    back = load(repo.load_latest_good("torch-task")[1])
    assert info.version == 1 and back.keys() == state.keys()
    assert all(torch.equal(back[k], state[k]) for k in state)


def test_a_stray_whose_row_appears_meanwhile_is_not_removed(repo: SqlCheckpointRepository) -> None:
    from arc_ttt.adapters.storage.checkpoints.verification import remove_strays

    save(repo, "a", 1)
    late = repo.files.path("a", 2)
    late.write_bytes(weights(2))
    os.utime(late, (1_000_000, 1_000_000))
    assert remove_strays(repo.files, repo.find, lambda t, v: (t, v) == ("a", 2), older_than_seconds=0) == []
    assert late.exists()
    assert repo.files.parse(late) == ("a", 2) and repo.files.parse(late.with_name("v2.safetensors")) is None


def test_values_as_training_code_produces_them_are_accepted(repo: SqlCheckpointRepository) -> None:
    info = repo.save("a", weights(1), base_model="m", base_model_hash="h",
                     lora_config={"r": 8, "target_modules": {"v_proj", "q_proj"}, "dropout": 0.05},
                     metrics={"loss": np.float32(0.5), "steps": np.int64(96), "seconds": 12})
    assert info.lora_config == {"dropout": 0.05, "r": 8, "target_modules": ["q_proj", "v_proj"]}
    assert info.metrics == {"loss": 0.5, "seconds": 12.0, "steps": 96.0}
    assert all(type(v) is float for v in repo.get("a", 1).metrics.values())
