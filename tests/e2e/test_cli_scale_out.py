"""Spreading a batch over worker processes or Ray must not change the answers."""

import importlib.util
import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli


def _solve(cli: Cli, out: Path, *extra: str) -> dict:
    result = cli("solve", "--dataset", "arc1/training", "--solver", "baseline", "--limit", "24", "--out", str(out),
                 *extra)
    assert result.returncode == 0, result.stderr
    return json.loads((out / "submission.json").read_text())


def test_two_local_workers_give_the_same_submission_as_one(cli: Cli, tmp_path: Path) -> None:
    single = _solve(cli, tmp_path / "one")
    double = _solve(cli, tmp_path / "two", "--workers", "2")
    assert double == single and len(single) == 24
    summary = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert summary["tasks_finished"] == 24


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed (arc-ttt[ray])")
def test_a_local_ray_cluster_gives_the_same_submission(cli: Cli, tmp_path: Path) -> None:
    single = _solve(cli, tmp_path / "one")
    on_ray = _solve(cli, tmp_path / "ray", "--backend", "ray")
    assert on_ray == single


def test_ranks_of_a_launcher_share_the_batch_and_rank_0_writes_the_submission(cli: Cli, tmp_path: Path) -> None:
    """`accelerate launch -m arc_ttt solve` starts ranks the way torchrun does; torchrun runs here on CPU."""
    import os
    import signal
    import subprocess
    import sys

    from tests.e2e.conftest import cli_env

    single = _solve(cli, tmp_path / "one")
    out = tmp_path / "ranks"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "arc_ttt", "solve", "--dataset", "arc1/training", "--solver", "baseline", "--limit", "24",
               "--out", str(out)]
    # its own process group, so that on a timeout the ranks go too, not only the launcher
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(),
                            cwd=tmp_path, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    result = subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((out / "submission.json").read_text()) == single
    assert result.stdout.count("arc-ttt solve (baseline)") == 1  # only rank 0 closes the run
