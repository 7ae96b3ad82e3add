"""The performance commands through the real command line, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def arc_ttt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arc_ttt", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, check=False, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def test_solve_with_a_profile_then_report(tmp_path: Path) -> None:
    run = tmp_path / "run"
    # the default solver: the ensemble (program search; the shipped model records no TTT lift, so no TTT)
    solved = arc_ttt("solve", "--dataset", "arc1/evaluation", "--limit", "3", "--out", str(run),
                     "--profile", "cpu", "--time-budget", "75s", cwd=tmp_path)
    assert solved.returncode == 0, solved.stderr
    assert "hardware profile: cpu" in solved.stdout and "arc-ttt solve (ensemble)" in solved.stdout
    assert (run / "report.html").is_file()
    (run / "report.html").unlink()
    reported = arc_ttt("report", str(run), cwd=tmp_path)
    assert reported.returncode == 0, reported.stderr
    assert (run / "report.html").is_file() and "report.html" in reported.stdout


def test_estimate_and_bad_input(tmp_path: Path) -> None:
    est = arc_ttt("estimate", "--model", "llama-3.2-1b", "--profile", "gpu-16gb", "--seq-len", "8192", cwd=tmp_path)
    assert est.returncode == 0, est.stderr
    assert "total" in est.stdout and "10 GB target" in est.stdout and "16 GB GPU" in est.stdout
    bad = arc_ttt("solve", "--dataset", "arc1/evaluation", "--limit", "1", "--profile", "gpu-17gb",
                  "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert bad.returncode == 2 and "unknown hardware profile" in bad.stderr and "Traceback" not in bad.stderr
    missing = arc_ttt("report", str(tmp_path / "nothing"), cwd=tmp_path)
    assert missing.returncode == 2 and "no results.db" in missing.stderr and "Traceback" not in missing.stderr


def test_validate_runs_a_short_benchmark(tmp_path: Path) -> None:
    done = arc_ttt("validate", "--limit", "3", "--out", str(tmp_path / "v"), "--model", "llama-3.2-1b", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for figure in ("pass@2", "seconds per task", "peak RSS", "memory growth", "hardware", "estimate"):
        assert figure in done.stdout


def test_validate_into_a_file_is_one_error_line(tmp_path: Path) -> None:
    from tests.e2e.conftest import cli_command, cli_env

    a_file = tmp_path / "some_file.json"
    a_file.write_text("{}")
    result = subprocess.run(cli_command("validate", "--limit", "1", "--out", str(a_file)), capture_output=True,
                            text=True, cwd=tmp_path, timeout=300, env={**cli_env(), "COLUMNS": "300"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"error: run folder {a_file} is a file, not a folder"]
    assert a_file.read_text() == "{}"
