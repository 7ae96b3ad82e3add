"""`arc-ttt checkpoints ...` as a user runs it (in-process through typer's runner, and once as a real process)."""

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arc_ttt.adapters.storage.checkpoints.repository import open_checkpoint_repository
from arc_ttt.application.cli.main import app
from tests.checkpoint_builders import SAVE_META, weights

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    repo = open_checkpoint_repository(tmp_path / "store")
    for task, seed, accuracy in [("a", 1, 0.2), ("a", 2, 0.9), ("a", 3, 0.5), ("b", 4, 0.4)]:
        repo.save(task, weights(seed), metrics={"val_accuracy": accuracy}, tags=["nightly"] if task == "b" else [],
                  **SAVE_META)
    repo.close()
    return tmp_path / "store"


def cli(store: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["checkpoints", "--root", str(store), *args])


def rows(table: str) -> list[tuple[str, str]]:
    """(task, version) of each table row; the first two cells of a line that has a task id."""
    cells = [line.split("│")[1:3] for line in table.splitlines() if line.startswith("│")]
    return [(t.strip(), v.strip()) for t, v in cells if t.strip()]


def test_list_show_and_best(store: Path) -> None:
    listed = cli(store, "list", "--tag", "nightly")
    assert listed.exit_code == 0 and "1 checkpoints" in listed.stdout
    best = cli(store, "list", "--best")
    assert best.exit_code == 0 and "2 checkpoints" in best.stdout
    by_loss = cli(store, "list", "--best", "--metric", "val_accuracy", "--lower-is-better")
    assert by_loss.exit_code == 0
    assert rows(best.stdout) == [("a", "2"), ("b", "1")] and rows(by_loss.stdout) == [("a", "1"), ("b", "1")]
    shown = cli(store, "show", "a", "--version", "2")
    assert shown.exit_code == 0 and "val_accuracy" in shown.stdout and "v000002.safetensors" in shown.stdout


def test_verify_reports_problems_with_exit_code_1(store: Path) -> None:
    assert cli(store, "verify").exit_code == 0
    (store / "adapters/a/v000001.safetensors").unlink()
    (store / "adapters/a/v000002.safetensors").write_bytes(weights(7))
    (store / "adapters/b/v000009.safetensors").write_bytes(weights(9))
    result = cli(store, "verify")
    assert result.exit_code == 1
    assert "corrupted: task a v2: sha256 mismatch" in result.stdout
    assert "missing: task a v1: file not found" in result.stdout
    assert "v000009.safetensors: no row for this file" in result.stdout
    assert "4 checkpoints checked: 1 corrupted, 1 missing, 1 stray files (0 removed)" in result.stdout
    young = cli(store, "verify", "--task", "b", "--remove-strays")  # too new to be a crash leftover
    assert young.exit_code == 1 and "0 removed" in young.stdout
    assert (store / "adapters/b/v000009.safetensors").exists()
    removed = cli(store, "verify", "--task", "b", "--remove-strays", "--grace", "0s")
    assert removed.exit_code == 0 and "removed stray:" in removed.stdout
    assert not (store / "adapters/b/v000009.safetensors").exists()


def test_cleanup_dry_run_then_for_real(store: Path) -> None:
    dry = cli(store, "cleanup", "--keep-best", "1", "--dry-run")
    assert dry.exit_code == 0 and "would delete: task a v1" in dry.stdout and "would delete: task a v3" in dry.stdout
    assert len(open_checkpoint_repository(store).find()) == 4
    done = cli(store, "cleanup", "--keep-best", "1")
    assert done.exit_code == 0 and "deleted 2 checkpoints, kept 2" in done.stdout
    assert [i.version for i in open_checkpoint_repository(store).find("a")] == [2]


def test_export_import_and_force(store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    assert cli(store, "export", str(archive), "--task", "a").exit_code == 0
    other = tmp_path / "other"
    first = cli(other, "import", str(archive))
    assert first.exit_code == 0 and "imported 3 checkpoints, replaced 0, skipped 0" in first.stdout
    again = cli(other, "import", str(archive))
    assert again.exit_code == 0 and "skipped 3" in again.stdout and "already stored" in again.stderr
    forced = cli(other, "import", str(archive), "--force")
    assert "replaced 3" in forced.stdout


def test_export_refuses_what_exists_unless_force_and_never_the_store(store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    archive.write_bytes(b"an older archive")
    refused = cli(store, "export", str(archive))
    assert refused.exit_code == 2 and refused.stderr.startswith(f"error: {archive}: already exists")
    assert archive.read_bytes() == b"an older archive"
    assert cli(store, "export", str(archive), "--force").exit_code == 0 and tarfile.is_tarfile(archive)
    (tmp_path / "folder").mkdir()
    assert cli(store, "export", str(tmp_path / "folder"), "--force").exit_code == 2
    database = store / "checkpoints.db"
    for args in ([str(database)], [str(database), "--force"], [str(store / "new.tar")]):
        result = cli(store, "export", *args)
        assert result.exit_code == 2 and "inside the checkpoint store" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert cli(store, "list").exit_code == 0 and len(open_checkpoint_repository(store).find()) == 4


@pytest.mark.parametrize("args", [
    ["show", "../etc"], ["show", "zzz"], ["import", "/nonexistent.tar"], ["cleanup", "--max-size", "lots"],
    ["verify", "--task", "a/b"], ["show", "a", "--version", str(2**63)],
])
def test_bad_input_is_one_line_and_exit_code_2(store: Path, args: list[str]) -> None:
    result = cli(store, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_hostile_archive_is_one_line_naming_its_manifest(store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "deep.tar"
    with tarfile.open(archive, "w") as tar:
        manifest = b"[" * 100_000 + b"]" * 100_000
        member = tarfile.TarInfo("manifest.json")
        member.size = len(manifest)
        tar.addfile(member, io.BytesIO(manifest))
    result = cli(store, "import", str(archive))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: {archive}: manifest.json: nested deeper than")


def test_stored_text_is_printed_as_it_is_never_as_rich_markup(tmp_path: Path) -> None:
    root = tmp_path / "[/red]"  # a path, a base model, a tag and a metric name that rich would read as tags
    repo = open_checkpoint_repository(root)
    repo.save("a", weights(1), base_model="[/red]", base_model_hash="[bold]h", lora_config={},
              metrics={"[/b]": 1.0}, tags=["[/]"])
    repo.close()
    shown = cli(root, "show", "a")
    assert shown.exit_code == 0 and "base_model:      [/red]" in shown.stdout and "[bold]h" in shown.stdout
    listed = cli(root, "list")
    assert listed.exit_code == 0 and "[/red]" in listed.stdout and "[/]" in listed.stdout
    exported = cli(root, "export", str(tmp_path / "[/x].tar"))
    assert exported.exit_code == 0 and "[/x].tar" in exported.stdout
    refused = cli(root, "import", str(tmp_path / "[/nothing].tar"))
    assert refused.exit_code == 2 and refused.stderr.startswith(f"error: {tmp_path}/[/nothing].tar: no such file")


def test_a_refused_import_does_not_create_a_store(tmp_path: Path) -> None:
    archive = tmp_path / "not-an-archive.tar"
    archive.write_bytes(b"plain text")
    for path in (archive, tmp_path / "missing.tar"):
        result = cli(tmp_path / "new", "import", str(path))
        assert result.exit_code == 2 and result.stderr.startswith(f"error: {path}:")
    assert not (tmp_path / "new").exists()


def test_read_commands_do_not_create_a_store(tmp_path: Path) -> None:
    for args in (["list"], ["verify"], ["cleanup"], ["export", str(tmp_path / "x.tar")]):
        result = cli(tmp_path / "typo", *args)
        assert result.exit_code == 2 and "no checkpoint store at" in result.stderr
    assert not (tmp_path / "typo").exists()


def test_a_bad_database_url_is_one_line_too(tmp_path: Path) -> None:
    result = runner.invoke(app, ["checkpoints", "--url", "nosuchdb://x", "list"])
    assert result.exit_code == 2 and result.stderr.startswith("error: database URL not usable: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_installed_command_runs_as_a_real_process(store: Path) -> None:
    (store / "adapters/b/v000001.safetensors").unlink()
    done = subprocess.run([sys.executable, "-m", "arc_ttt", "checkpoints", "--root", str(store), "verify"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "missing: task b v1" in done.stdout
