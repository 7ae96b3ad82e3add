"""Fault injection: `solve` killed with SIGKILL at random moments, startup included, then resumed; the final
submission is the one an uninterrupted run writes, byte for byte, every time (issue #25)."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, cli_command, cli_env
from tests.e2e.test_cli_solve import _heavy_tasks

MOMENTS = 10


@pytest.mark.slow
def test_sigkill_at_ten_random_moments_then_resume_gives_the_uninterrupted_submission(cli: Cli,
                                                                                     tmp_path: Path) -> None:
    tasks = _heavy_tasks(tmp_path / "tasks", 120)
    reference = cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(tmp_path / "ref"))
    assert reference.returncode == 0, reference.stderr
    expected = (tmp_path / "ref" / "submission.json").read_bytes()

    rng = random.Random(25)
    # two moments at startup (before the command's own code, and while it imports), the rest anywhere in a run
    moments = [0.0, 0.15, *sorted(rng.uniform(0.3, 4.0) for _ in range(MOMENTS - 2))]
    rng.shuffle(moments)
    for number, moment in enumerate(moments):
        out = tmp_path / f"killed{number}"
        args = ["solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out)]
        proc = subprocess.Popen(cli_command(*args), env=cli_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(moment)
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
        resumed = cli(*args, "--resume")
        assert resumed.returncode == 0, (moment, resumed.stderr)
        assert "Traceback" not in resumed.stderr
        assert (out / "submission.json").read_bytes() == expected, f"after a kill at {moment:.2f} s"
