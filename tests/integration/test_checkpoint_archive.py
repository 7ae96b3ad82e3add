import hashlib
import io
import json
import os
import re
import tarfile
from pathlib import Path

import pytest

from arc_ttt.adapters.storage.checkpoints.archive import export_checkpoints, import_checkpoints
from arc_ttt.adapters.storage.checkpoints.repository import SqlCheckpointRepository, open_checkpoint_repository
from arc_ttt.adapters.storage.engine import sqlite_url
from arc_ttt.domain.checkpoints.ports import CheckpointInfo
from arc_ttt.domain.errors import CheckpointArchiveError
from tests.checkpoint_builders import SAVE_META, weights


def filled(root: Path) -> SqlCheckpointRepository:
    repo = open_checkpoint_repository(root)
    for task, seed, accuracy in [("a", 1, 0.5), ("a", 2, 0.7), ("b", 3, 0.1), ("c", 4, 0.2)]:
        repo.save(task, weights(seed), metrics={"val_accuracy": accuracy, "loss": 0.25}, tags=[task, "run1"],
                  **SAVE_META)
    return repo


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", ["set.tar", "set.tar.gz"])
def test_export_then_import_into_an_empty_store_round_trips_bit_for_bit(tmp_path: Path, name: str) -> None:
    source = filled(tmp_path / "source")
    report = export_checkpoints(source, tmp_path / name, ["a", "b", "zz"])
    assert [(i.task_id, i.version) for i in report.exported] == [("a", 1), ("a", 2), ("b", 1)]
    assert report.unknown_tasks == ("zz",)
    target = open_checkpoint_repository(tmp_path / "target")
    imported = import_checkpoints(target, tmp_path / name)
    assert imported.count("added") == 3
    assert target.find() == source.find("a") + source.find("b")  # every field, created_at included
    copied = files_under(tmp_path / "target" / "adapters")
    original = files_under(tmp_path / "source" / "adapters")
    assert copied == {k: v for k, v in original.items() if not k.startswith("c/")}
    assert target.verify().ok
    assert target.save("a", weights(9), metrics={}, **SAVE_META).version == 3  # numbering carries on


def test_existing_versions_are_skipped_unless_overwrite(tmp_path: Path) -> None:
    source = filled(tmp_path / "source")
    export_checkpoints(source, tmp_path / "all.tar")
    target = open_checkpoint_repository(tmp_path / "target")
    target.save("a", weights(42), metrics={"val_accuracy": 0.0}, **SAVE_META)  # a different a v1
    first = import_checkpoints(target, tmp_path / "all.tar")
    assert [(o.info.task_id, o.info.version, o.action) for o in first.outcomes] == [
        ("a", 1, "skipped"), ("a", 2, "added"), ("b", 1, "added"), ("c", 1, "added")]
    assert "different weights" in first.outcomes[0].reason
    assert target.load(target.get("a", 1)) == weights(42)
    again = import_checkpoints(target, tmp_path / "all.tar")
    assert again.count("skipped") == 4 and "same weights" in again.outcomes[1].reason
    forced = import_checkpoints(target, tmp_path / "all.tar", overwrite=True)
    assert forced.count("replaced") == 4
    assert target.load(target.get("a", 1)) == weights(1) and target.verify().ok


def test_export_leaves_out_damaged_files_and_says_so(tmp_path: Path) -> None:
    source = filled(tmp_path / "source")
    source.files.path("a", 1).write_bytes(weights(99))
    report = export_checkpoints(source, tmp_path / "out.tar")
    assert [(i.task_id, i.version) for i, _ in report.skipped] == [("a", 1)]
    assert "sha256 mismatch" in report.skipped[0][1] and len(report.exported) == 3


def test_export_refuses_an_existing_file_unless_overwrite(tmp_path: Path) -> None:
    source = filled(tmp_path / "source")
    target = tmp_path / "out" / "set.tar"
    target.parent.mkdir()
    target.write_bytes(b"precious")
    with pytest.raises(CheckpointArchiveError, match=r"set\.tar: already exists; use overwrite"):
        export_checkpoints(source, target)
    assert target.read_bytes() == b"precious" and sorted(target.parent.iterdir()) == [target]
    export_checkpoints(source, target, overwrite=True)
    assert import_checkpoints(open_checkpoint_repository(tmp_path / "copy"), target).count("added") == 4


@pytest.mark.parametrize(("kind", "problem"), [
    ("folder", "is a folder"), ("symlink", "is a symbolic link"), ("fifo", "is not a regular file")])
def test_export_with_overwrite_still_replaces_only_a_regular_file(tmp_path: Path, kind: str, problem: str) -> None:
    source = filled(tmp_path / "source")
    target = tmp_path / "target"
    if kind == "folder":
        target.mkdir()
    elif kind == "symlink":
        (tmp_path / "elsewhere").write_bytes(b"kept")
        target.symlink_to(tmp_path / "elsewhere")
    else:
        os.mkfifo(target)  # stands in for a device node: a rename would replace it, not write into it
    with pytest.raises(CheckpointArchiveError, match=f"target: exists and {problem}; only a regular file"):
        export_checkpoints(source, target, overwrite=True)
    assert target.is_dir() if kind == "folder" else target.is_symlink() if kind == "symlink" else target.is_fifo()
    assert not list(tmp_path.glob(".target.*.tmp"))


@pytest.mark.parametrize("inside", ["checkpoints.db", "checkpoints.db-wal", "new.tar", "adapters/a/x.tar", "."])
def test_export_never_writes_into_the_store(tmp_path: Path, inside: str) -> None:
    source = filled(tmp_path / "source")
    before = files_under(tmp_path / "source")
    with pytest.raises(CheckpointArchiveError, match="inside the checkpoint store"):
        export_checkpoints(source, tmp_path / "source" / "adapters" / ".." / inside, overwrite=True)
    after = files_under(tmp_path / "source")  # SQLite's shared-memory file changes with every read
    assert after.keys() == before.keys() and after["checkpoints.db"] == before["checkpoints.db"]
    assert len(source.find()) == 4 and source.verify().ok


def test_export_through_a_symlink_loop_is_an_os_error_not_a_crash(tmp_path: Path) -> None:
    source = filled(tmp_path / "source")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(CheckpointArchiveError, match="is a symbolic link"):
        export_checkpoints(source, loop, overwrite=True)
    with pytest.raises(OSError):  # the command line turns it into one error line
        export_checkpoints(source, loop / "set.tar")


def test_export_never_writes_over_a_database_kept_outside_the_store(tmp_path: Path) -> None:
    database = tmp_path / "db" / "meta.db"
    source = open_checkpoint_repository(tmp_path / "root", sqlite_url(database))
    source.save("a", weights(1), metrics={}, **SAVE_META)
    for name in ("meta.db", "meta.db-wal"):
        with pytest.raises(CheckpointArchiveError, match="inside the checkpoint store"):
            export_checkpoints(source, database.parent / name, overwrite=True)
    assert len(source.find()) == 1
    assert len(export_checkpoints(source, database.parent / "meta.tar").exported) == 1


def test_a_failed_export_leaves_no_partial_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = filled(tmp_path / "source")
    target = tmp_path / "set.tar"
    target.write_bytes(b"the previous archive")
    load = source.load
    calls: list[CheckpointInfo] = []

    def failing_load(info: CheckpointInfo) -> bytes:
        calls.append(info)
        if len(calls) == 2:
            raise OSError("disk gone")
        return load(info)

    monkeypatch.setattr(source, "load", failing_load)
    with pytest.raises(OSError, match="disk gone"):
        export_checkpoints(source, target, overwrite=True)
    assert target.read_bytes() == b"the previous archive" and sorted(tmp_path.iterdir()) == [
        tmp_path / "set.tar", tmp_path / "source"]


def test_a_file_that_appears_during_the_export_is_not_replaced(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    source = filled(tmp_path / "source")
    target = tmp_path / "set.tar"
    load = source.load

    def racing_load(info: CheckpointInfo) -> bytes:
        if not target.exists():
            target.write_bytes(b"written by someone else meanwhile")
        return load(info)

    monkeypatch.setattr(source, "load", racing_load)
    with pytest.raises(CheckpointArchiveError, match="already exists"):
        export_checkpoints(source, target)
    assert target.read_bytes() == b"written by someone else meanwhile"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set.tar", "source"]


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    member = tarfile.TarInfo(name)
    member.size = len(data)
    return member, data


def _link(name: str, kind: bytes, target: str) -> tuple[tarfile.TarInfo, None]:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, target
    return member, None


def _manifest(entries: list[tuple[str, int, bytes]]) -> tuple[tarfile.TarInfo, bytes]:
    rows = [{"task_id": t, "version": v, "base_model": "m", "base_model_hash": "h", "lora_config": {}, "metrics": {},
             "tags": [], "created_at": "2026-01-01", "size_bytes": len(d), "sha256": hashlib.sha256(d).hexdigest(),
             "file": f"adapters/{t}/v{v:06d}.safetensors"} for t, v, d in entries]
    return _file("manifest.json", json.dumps({"format": "arc-ttt-checkpoints", "format_version": 1,
                                              "checkpoints": rows}).encode())


GOOD = weights(1)
HUGE = weights(2, rank=64)
VALID = [_file("adapters/a/v000001.safetensors", GOOD)]
MALICIOUS = {
    "path traversal": [*VALID, _file("adapters/../../../evil.txt", b"owned")],
    "absolute path": [*VALID, _file("/tmp/evil-absolute.txt", b"owned")],
    "symlink": [*VALID, _link("adapters/a/v000002.safetensors", tarfile.SYMTYPE, "/etc/passwd")],
    "hard link": [*VALID, _link("adapters/a/v000002.safetensors", tarfile.LNKTYPE, "/etc/passwd")],
    "device": [*VALID, _link("adapters/a/dev", tarfile.CHRTYPE, "")],
    "huge member": [_file("adapters/a/v000001.safetensors", HUGE)],
    "member not in manifest": [*VALID, _file("adapters/a/v000003.safetensors", GOOD)],
    "hash mismatch": [_file("adapters/a/v000001.safetensors", weights(7))],
    "unsafe task id in manifest": [*VALID],
    "duplicate member": [*VALID, *VALID],
    "not safetensors": [_file("adapters/a/v000001.safetensors", b"\x80\x04pickle")],
}
MANIFESTS = {
    "huge member": [("a", 1, HUGE)],
    "unsafe task id in manifest": [("..", 1, GOOD), ("a", 1, GOOD)],
    "not safetensors": [("a", 1, b"\x80\x04pickle")],
}


WHY = {
    "path traversal": "unsafe member name", "absolute path": "unsafe member name", "symlink": "is a symlink",
    "hard link": "is a hard link", "device": "is a device", "huge member": "over the limit",
    "member not in manifest": "members and manifest disagree", "hash mismatch": "sha256 does not match",
    "unsafe task id in manifest": "manifest.json: unsafe task id", "duplicate member": "appears twice",
    "not safetensors": "not a safetensors payload",
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_a_malicious_archive_is_refused_and_nothing_is_written(tmp_path: Path, case: str) -> None:
    archive = _tar(tmp_path / "bad.tar", [*MALICIOUS[case], _manifest(MANIFESTS.get(case, [("a", 1, GOOD)]))])
    store = open_checkpoint_repository(tmp_path / "deep" / "store")
    before = files_under(tmp_path)
    with pytest.raises(CheckpointArchiveError, match=WHY[case]):
        import_checkpoints(store, archive, max_member_bytes=len(GOOD) + 1000)
    assert files_under(tmp_path).keys() - before.keys() == set()  # not even inside the store
    assert store.find() == [] and not store.files.adapters.exists()
    assert not Path("/tmp/evil-absolute.txt").exists()


@pytest.mark.parametrize(("content", "problem"), [
    ("junk", "not a readable tar archive"),
    ("no manifest", "no manifest.json"),
    ("truncated", "damaged archive"),
])
def test_non_archives_are_refused_with_one_line(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "x.tar.gz"
    if content == "junk":
        path.write_bytes(b"not a tar at all")
    elif content == "no manifest":
        _tar(path, VALID)
    else:
        export_checkpoints(filled(tmp_path / "source"), path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointArchiveError, match=problem) as caught:
        import_checkpoints(open_checkpoint_repository(tmp_path / "s"), path)
    message = str(caught.value)
    assert "\n" not in message and message.count("(") == message.count(")")  # whole, on one line


def _entry(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "task_id": "a", "version": 1, "file": "adapters/a/v000001.safetensors", "base_model": "m",
        "base_model_hash": "h", "lora_config": {}, "metrics": {"acc": 0.5}, "tags": [],
        "created_at": "2026-01-01T00:00:00+00:00", "size_bytes": len(GOOD), "sha256": hashlib.sha256(GOOD).hexdigest()}
    return {**row, **changes}


def _manifest_text(*entries: dict[str, object], number: str = "") -> bytes:
    """A manifest whose "@" strings become `number` verbatim, for numbers json.dumps would not write."""
    text = json.dumps({"format": "arc-ttt-checkpoints", "format_version": 1, "checkpoints": list(entries)})
    return text.replace('"@"', number).encode()


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def _weights_with_header(header: bytes) -> bytes:
    return len(header).to_bytes(8, "little") + header


DEEP_WEIGHTS = _weights_with_header(_deep(100_000))
BIG = 2**63
HOSTILE = {  # name: (members, manifest bytes, what the refusal says)
    "metric of 400 digits": (VALID, _manifest_text(_entry(metrics={"acc": "@"}), number="1" + "0" * 400),
                             "manifest.json: a number written with 401 characters"),
    "number past the int-string limit": (VALID, _manifest_text(_entry(size_bytes="@"), number="1" + "0" * 5000),
                                         "manifest.json: a number written with 5001 characters"),
    "version 2**63": ([_file(f"adapters/a/v{BIG}.safetensors", GOOD)],
                      _manifest_text(_entry(version=BIG, file=f"adapters/a/v{BIG}.safetensors")),
                      "manifest.json: task a: version must be a positive integer up to 9223372036854775807"),
    "deeply nested manifest": ([], _deep(100_000), "manifest.json: nested deeper than 64 levels"),
    "created_at with terminal escapes": (VALID, _manifest_text(_entry(created_at="\x1b[2J\x1b[31mPWNED")),
                                         "manifest.json: task a v1: created_at must be printable text"),
    "created_at with a NUL": (VALID, _manifest_text(_entry(created_at="2026-01-01\x00")),
                              "manifest.json: task a v1: created_at must be printable text"),
    "created_at not a timestamp": (VALID, _manifest_text(_entry(created_at="yesterday")),
                                   "manifest.json: task a v1: created_at must be an ISO-8601 timestamp"),
    "nested below the parser's limit": (
        VALID, _manifest_text(_entry(lora_config={"x": "@"}), number=_deep(500).decode()),
        "manifest.json: nested deeper than 64 levels"),
    "deeply nested safetensors header": (
        [_file("adapters/a/v000001.safetensors", DEEP_WEIGHTS)],
        _manifest_text(_entry(size_bytes=len(DEEP_WEIGHTS), sha256=hashlib.sha256(DEEP_WEIGHTS).hexdigest())),
        "v000001.safetensors: not a safetensors payload: header: nested deeper than 64 levels"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_manifest_is_refused_with_one_archive_error(tmp_path: Path, case: str) -> None:
    members, manifest, why = HOSTILE[case]
    archive = _tar(tmp_path / "bad.tar", [*members, _file("manifest.json", manifest)])
    store = open_checkpoint_repository(tmp_path / "store")
    with pytest.raises(CheckpointArchiveError, match=f"^{re.escape(str(tmp_path / 'bad.tar'))}: .*{re.escape(why)}"):
        import_checkpoints(store, archive)
    assert store.find() == [] and not store.files.adapters.exists()
