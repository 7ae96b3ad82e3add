"""The result store under hostile conditions (issue #25), each fault made for real: a page of results.db
damaged on disk, a write lock held by another process, a folder or file the run may not use, a server that
refuses connections, file names that carry control characters."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from arc_ttt.domain.arc.geometry import Dihedral
from tests.builders import symmetry_task, write_task_dir
from tests.e2e.conftest import Cli, cli_command, cli_env
from tests.e2e.test_cli_faults import noise_tasks, wait_for
from tests.e2e.test_cli_solve import _heavy_tasks, _rows

HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(300)
"""


def env_with(**settings: str) -> dict[str, str]:
    return {**cli_env(), **{f"ARC_TTT_{key.upper()}": value for key, value in settings.items()}}


def hold_write_lock(db: Path) -> subprocess.Popen:
    """A second process holding `BEGIN EXCLUSIVE` on the database until it is killed."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def damage(db: Path, page: int, fill: bytes) -> None:
    """Overwrite 64 bytes in the middle of `page` (1-based) of the file, the header left valid."""
    with sqlite3.connect(db) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("r+b") as handle:
        handle.seek((page - 1) * size + 200)
        handle.write(fill * 64)


def page_of(db: Path, *, index: bool) -> int:
    """The root page of the results' primary-key index, or the first overflow page (a row's long JSON text)."""
    with sqlite3.connect(db) as conn:
        if index:
            return conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_task_results_1'"
                                ).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = db.read_bytes()
    return next(n + 1 for n in range(2, len(data) // size) if data[n * size] == 0)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A finished run of 121 tasks and its task folder, copied by each test that damages it."""
    root = tmp_path_factory.mktemp("finished")
    tasks = _heavy_tasks(root / "tasks", 120)
    done = subprocess.run(cli_command("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out",
                                      str(root / "run")), env=cli_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return tasks, root / "run"


@pytest.mark.parametrize("where", ["index page", "text of a row"])
def test_a_damaged_page_is_found_and_resume_still_gives_the_full_submission(cli: Cli, tmp_path: Path,
                                                                            finished_run: tuple[Path, Path],
                                                                            where: str) -> None:
    tasks, reference = finished_run
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    db = out / "results.db"
    damage(db, page_of(db, index=where == "index page"), b"\xff")
    report = cli("report", str(out))
    assert report.returncode in (0, 2) and "Traceback" not in report.stderr and "internal error" not in report.stderr
    resumed = cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    if where == "index page":  # SQLite's check finds it on open: the file is set aside, never deleted
        assert "results.db was not a readable results database (damaged" in resumed.stderr
        assert len(list(out.glob("results.db.unreadable-*"))) == 1
    else:  # the row is named, left out, and solved again
        assert "cannot be read" in resumed.stderr and "not UTF-8" in resumed.stderr
    assert (out / "submission.json").read_bytes() == (reference / "submission.json").read_bytes()
    assert cli("report", str(out)).returncode == 0


def test_a_write_lock_that_does_not_clear_ends_the_run_with_a_submission_of_what_is_finished(
        tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = subprocess.Popen(cli_command("solve", "--tasks-dir", str(noise_tasks(tmp_path / "noise", 3)), "--solver",
                                       "program", "--task-time-limit", "3s", "--out", str(out)),
                           env=env_with(store__busy_timeout="2s"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
    wait_for(lambda: _rows(out / "results.db") >= 1, run, 180)
    holder = hold_write_lock(out / "results.db")
    try:
        _, stderr = run.communicate(timeout=180)
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 2, stderr
    assert "results.db: locked by another process" in stderr and "Traceback" not in stderr
    assert "holds the 2 tasks finished" in stderr or "holds the 3 tasks finished" in stderr, stderr
    submission = json.loads((out / "submission.json").read_text())
    assert sorted(submission) == ["noise0", "noise1", "noise2"]


def test_a_store_locked_from_the_start_is_one_line_and_keeps_the_earlier_submission(cli: Cli,
                                                                                   tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task(f"t{i}", Dihedral.ROT90, seed=i) for i in range(2)])
    out = tmp_path / "run"
    assert cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out)).returncode == 0
    before = (out / "submission.json").read_bytes()
    holder = hold_write_lock(out / "results.db")
    try:
        locked = subprocess.run(cli_command("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out",
                                            str(out), "--resume"), env=env_with(store__busy_timeout="1s"),
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert locked.returncode == 2, locked.stderr
    assert f"error: {out / 'results.db'}: locked by another process" in locked.stderr
    assert "Traceback" not in locked.stderr
    assert (out / "submission.json").read_bytes() == before


def unprivileged(command: list[str]) -> list[str]:
    """The command without the power to ignore permissions: as it is for a user; as root, in a user namespace
    of its own (where file modes apply again); skipped where neither is possible."""
    if os.geteuid() != 0:
        return command
    probe = subprocess.run(["unshare", "--user", "true"], capture_output=True) if shutil.which("unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("running as root without user namespaces: permissions cannot be taken away")
    return ["unshare", "--user", *command]


def run_unprivileged(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(unprivileged(cli_command(*args)), env=env_with(**settings), capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)


def test_a_tasks_folder_that_cannot_be_read_is_exit_2_with_its_path(tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task("t0", Dihedral.ROT90)])
    tasks.chmod(0)
    try:
        result = run_unprivileged(tmp_path, "solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out",
                                  str(tmp_path / "run"))
    finally:
        tasks.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert f"{tasks}: cannot read the folder: Permission denied" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("read_only", ["folder", "results.db"])
def test_a_read_only_run_folder_or_store_is_exit_2_with_its_path(cli: Cli, tmp_path: Path, read_only: str) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task("t0", Dihedral.ROT90)])
    out = tmp_path / "run"
    assert cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out)).returncode == 0
    target = out if read_only == "folder" else out / "results.db"
    target.chmod(0o555 if read_only == "folder" else 0o444)
    try:
        result = run_unprivileged(tmp_path, "solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out",
                                  str(out), "--resume")
    finally:
        target.chmod(0o755 if read_only == "folder" else 0o644)
    assert result.returncode == 2, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert str(out) in result.stderr and ("Permission denied" in result.stderr or "read-only" in result.stderr)


def test_a_store_server_that_refuses_connections_is_exit_2_with_its_url(cli: Cli, tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task("t0", Dihedral.ROT90)])
    result = subprocess.run(cli_command("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out",
                                        str(tmp_path / "run")), capture_output=True, text=True, timeout=120,
                            env=env_with(store__url="postgresql+psycopg://me:secret@127.0.0.1:9/none",
                                         store__busy_timeout="2s"))
    assert result.returncode == 2, result.stderr
    assert "error: postgresql+psycopg://me:***@127.0.0.1:9/none: the database server cannot be reached" in result.stderr
    assert "secret" not in result.stderr and "internal error" not in result.stderr


def test_paths_with_a_newline_or_an_escape_are_printed_escaped_on_one_line(cli: Cli, tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task("good", Dihedral.ROT90)])
    (tasks / "two\nlines.json").write_text("{not json")
    (tasks / "red\x1b[31m.json").write_text("{not json")
    out = tmp_path / "out\x1b]0;title\x07"
    result = cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 2, result.stderr
    assert any("two\\nlines.json: invalid JSON" in line for line in skipped)
    assert any("red\\x1b[31m.json: invalid JSON" in line for line in skipped)
    assert "out\\x1b]0;title\\x07" in result.stdout.replace("\n", "").replace(" ", "").replace("│", "") or \
        "out\\x1b]0;title\\x07" in result.stdout
