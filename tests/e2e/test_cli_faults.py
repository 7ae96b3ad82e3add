"""Hostile moments for `arc-ttt solve` (issue #25), each made for real in subprocesses: two runs into one
folder, a task file changed before --resume, a signal at startup and at other moments."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.task import Task
from tests.builders import symmetry_task, task_json, write_task_dir
from tests.e2e.conftest import Cli, cli_command, cli_env


def noise_tasks(folder: Path, count: int) -> Path:
    """Tasks of random 30x30 grids: program search finds nothing and spends its whole time limit on each."""
    rng = random.Random(0)

    def grid() -> list[list[int]]:
        return [[rng.randrange(10) for _ in range(30)] for _ in range(30)]

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        task = {"train": [{"input": grid(), "output": grid()} for _ in range(3)], "test": [{"input": grid()}]}
        (folder / f"noise{i}.json").write_text(json.dumps(task))
    return folder


def wait_for(condition, proc: subprocess.Popen, seconds: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, "the run ended before the moment the test waits for"
        assert time.monotonic() < deadline, "the moment never came"
        time.sleep(0.01)


def test_a_second_run_into_a_folder_in_use_is_refused_and_the_first_keeps_its_results(cli: Cli,
                                                                                       tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = subprocess.Popen(cli_command("solve", "--tasks-dir", str(noise_tasks(tmp_path / "noise", 3)), "--solver",
                                         "program", "--task-time-limit", "4s", "--out", str(out)),
                             env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lock = out / "run.lock"
    wait_for(lambda: lock.is_file() and lock.read_text().strip() == str(first.pid), first)
    other = write_task_dir(tmp_path / "other", [symmetry_task("b0", Dihedral.ROT90)])
    second = cli("solve", "--tasks-dir", str(other), "--solver", "baseline", "--out", str(out))
    assert first.poll() is None, "the first run must still hold the folder when the second starts"
    assert second.returncode == 2, second.stderr
    assert f"in use by another arc-ttt run (pid {first.pid})" in second.stderr and "Traceback" not in second.stderr
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert sorted(json.loads((out / "submission.json").read_text())) == ["noise0", "noise1", "noise2"]
    assert json.loads((out / "summary.json").read_text())["tasks"] == 3
    again = cli("solve", "--tasks-dir", str(other), "--solver", "baseline", "--out", str(out))
    assert again.returncode == 0, again.stderr  # the folder is free once the first run has ended


def test_resume_solves_again_a_task_whose_file_changed(cli: Cli, tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task(f"t{i}", Dihedral.ROT90, seed=i) for i in range(3)])
    out = tmp_path / "run"
    assert cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out)).returncode == 0
    t1 = symmetry_task("t1", Dihedral.ROT90, seed=1)
    extra = [symmetry_task("x", Dihedral.ROT90, seed=s).test[0] for s in (7, 8)]
    grown = Task("t1", t1.train, (*t1.test, *extra))  # 1 test input became 3
    (tasks / "t1.json").write_text(json.dumps(task_json(grown)))
    resumed = cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "1 tasks changed since their results were stored ('t1')" in resumed.stderr
    submission = json.loads((out / "submission.json").read_text())
    assert len(submission["t1"]) == 3 and len(submission["t0"]) == 1
    assert json.loads((out / "summary.json").read_text())["status_counts"] == {"solved": 3}


def handles_sigterm(pid: int) -> bool:
    """Whether the process has installed its own SIGTERM handler yet (/proc's mask of caught signals)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
@pytest.mark.parametrize("moment", [0.0, 0.3, 1.0, 2.5])
def test_a_signal_at_startup_ends_with_130_and_says_what_was_written(tmp_path: Path, signum: int,
                                                                    moment: float) -> None:
    """From the moment the command's own code runs (its handler is installed) to the end, a signal gives
    exit 130 and either a complete submission or a line saying that nothing was written."""
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task(f"t{i}", Dihedral.ROT90, seed=i) for i in range(3)])
    out = tmp_path / "run"
    proc = subprocess.Popen(cli_command("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out",
                                        str(out)), env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    wait_for(lambda: handles_sigterm(proc.pid), proc, 60)
    time.sleep(moment)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    if proc.returncode == 0:  # the run ended before the signal came: nothing to check at this moment
        return
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr and "Aborted" not in stderr
    if (out / "submission.json").is_file():
        assert sorted(json.loads((out / "submission.json").read_text())) == ["t0", "t1", "t2"]
    else:
        assert "nothing was written" in stderr, stderr


@pytest.mark.slow
def test_a_task_of_ten_thousand_large_pairs_keeps_its_time_limit(cli: Cli, tmp_path: Path) -> None:
    """10,000 pairs of 30x30 grids and 200 test inputs with a 3 s limit: the task took 75 s, the time going to
    fallback guesses computed after the limit (the limit must end well under a minute here)."""
    rng = random.Random(1)

    def grid() -> list[list[int]]:
        return [[rng.randrange(10) for _ in range(30)] for _ in range(30)]

    folder = tmp_path / "tasks"
    folder.mkdir()
    (folder / "huge.json").write_text(json.dumps({"train": [{"input": grid(), "output": grid()} for _ in range(10_000)],
                                                  "test": [{"input": grid()} for _ in range(200)]}))
    result = cli("solve", "--tasks-dir", str(folder), "--solver", "program", "--task-time-limit", "3s", "--out",
                 str(tmp_path / "run"), timeout=900)
    assert result.returncode == 0, result.stderr
    (task,) = json.loads((tmp_path / "run" / "report.json").read_text())["tasks"]
    assert task["seconds"] < 30, task["seconds"]
    assert len(json.loads((tmp_path / "run" / "submission.json").read_text())["huge"]) == 200
