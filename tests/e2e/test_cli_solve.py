"""The command line in a subprocess, as a user runs it."""

import json
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from arc_ttt.domain.arc.geometry import Dihedral
from tests.builders import random_grid, symmetry_task, write_broken_files, write_task_dir
from tests.e2e.conftest import Cli, cli_command, cli_env


def test_solve_the_embedded_evaluation_set_and_evaluate_it_to_the_same_score(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "run"
    solved = cli("solve", "--dataset", "arc1/evaluation", "--solver", "baseline", "--out", str(out))
    assert solved.returncode == 0, solved.stderr
    submission = json.loads((out / "submission.json").read_text())
    assert len(submission) == 400
    assert all(len(entry) >= 1 and set(entry[0]) == {"attempt_1", "attempt_2"} for entry in submission.values())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["tasks"] == 400 and summary["complete"] is True
    assert (out / "results.db").exists() and (out / "summary.md").exists()

    evaluated = cli("evaluate", str(out / "submission.json"), "--dataset", "arc1/evaluation")
    assert evaluated.returncode == 0, evaluated.stderr
    percent = float(re.search(r"pass@2: ([\d.]+)%", evaluated.stdout).group(1))
    assert percent == round(100 * summary["pass_at_2"], 2)
    assert f"pass@2: {percent:.2f}%" in solved.stdout.replace("\n", " ") or f"{percent:.2f}%" in solved.stdout


def test_a_folder_of_broken_files_gives_one_line_each_and_a_submission_for_the_rest(cli: Cli,
                                                                                    tmp_path: Path) -> None:
    tasks = tmp_path / "tasks"
    broken = write_broken_files(tasks)
    write_task_dir(tasks, [symmetry_task("good1", Dihedral.ROT90), symmetry_task("good2", Dihedral.TRANSPOSE)])
    result = cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == len(broken)
    for name, word in broken.items():
        assert sum(name in line and word in line for line in skipped) == 1, name
    submission = json.loads((tmp_path / "run" / "submission.json").read_text())
    assert sorted(submission) == ["good1", "good2"]


def test_bad_usage_exits_2_with_one_line(cli: Cli, tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    in_the_way = tmp_path / "in_the_way"
    (in_the_way / "submission.json").mkdir(parents=True)
    no_tasks = tmp_path / "empty_challenges.json"
    no_tasks.write_text("{}")
    for args in (["solve", "--dataset", "arc7/evaluation"], ["solve", "--solver", "nope"],
                 ["solve", "--dataset", "arc1/evaluation", "--solver", "baseline", "--out", str(a_file)],
                 ["solve", "--dataset", "arc1/evaluation", "--solver", "baseline", "--out", str(a_file / "run")],
                 ["solve", "--dataset", "arc1/evaluation", "--time-budget", "soon"],
                 ["evaluate", str(tmp_path / "missing.json"), "--dataset", "arc1/evaluation"],
                 ["solve", "--solutions", str(a_file), "--solver", "baseline", "--out", str(tmp_path / "s")],
                 ["solve", "--dataset", "arc1/evaluation", "--time-budget", ""],
                 ["solve", "--dataset", "arc1/evaluation", "--solver", "baseline", "--out", str(in_the_way)],
                 ["evaluate", str(a_file), "--solutions", str(a_file), "--tasks-dir", str(tmp_path)]):
        result = cli(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("solve", "--tasks-dir", str(empty), "--out", str(tmp_path / "r")).returncode == 2
    no_tasks_run = cli("solve", "--challenges", str(no_tasks), "--solver", "baseline", "--out", str(tmp_path / "e"))
    assert no_tasks_run.returncode == 2 and "no tasks in the file" in no_tasks_run.stderr


def test_an_empty_path_is_a_usage_error_not_the_current_folder(cli: Cli, tmp_path: Path) -> None:
    for args in (["solve", "--dataset", "arc1/evaluation", "--solver", "baseline", "--limit", "1", "--out", ""],
                 ["solve", "--tasks-dir", " ", "--solver", "baseline"], ["evaluate", ""], ["report", ""],
                 ["init-model", ""], ["checkpoints", "--root", "", "list"]):
        result = cli(*args)
        assert result.returncode == 2 and "an empty path" in result.stderr, (args, result.stderr)
    assert not (tmp_path / "results.db").exists() and not (tmp_path / "submission.json").exists()  # cli's cwd


def test_bad_settings_exit_2_with_one_line_per_problem_naming_its_source(cli: Cli, tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task("good1", Dihedral.ROT90)])
    (tmp_path / "typo.yaml").write_text("solve:\n  time_budjet: 30m\n  workers: 0\n")
    (tmp_path / "broken.yaml").write_text("solve: [1,2\n")
    (tmp_path / "tag.yaml").write_text("solve: !!python/object/apply:os.getcwd []\n")
    run = ["solve", "--tasks-dir", str(tasks), "--out", str(tmp_path / "run"), "--solver", "baseline"]
    expected = {
        "typo.yaml": ["error: typo.yaml: solve.time_budjet: extra inputs are not permitted",
                      "error: typo.yaml: solve.workers: input should be greater than or equal to 1"],
        "broken.yaml": ["error: broken.yaml: not valid YAML: expected ',' or ']', but got '<stream end>' "
                        "(line 2, column 1)"],
        "tag.yaml": ["error: tag.yaml: not valid YAML: could not determine a constructor for the tag "
                     "'tag:yaml.org,2002:python/object/apply:os.getcwd' (line 1, column 8)"],
    }
    for name, lines in expected.items():
        result = cli(*run, "--config", name)
        assert result.returncode == 2, result.stderr
        assert sorted(result.stderr.splitlines()) == lines
    environment = subprocess.run(cli_command(*run), capture_output=True, text=True, timeout=300, cwd=tmp_path,
                                 env={**cli_env(), "ARC_TTT_SOLVE__WORKERS": "0"})
    assert environment.returncode == 2, environment.stderr
    assert environment.stderr.splitlines() == [
        "error: ARC_TTT_SOLVE__WORKERS: solve.workers: input should be greater than or equal to 1"]


def test_a_profile_from_the_environment_is_applied_or_refused_like_the_option(tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task("good1", Dihedral.ROT90)])
    out = tmp_path / "run"

    def solve(profile: str) -> subprocess.CompletedProcess[str]:
        command = cli_command("solve", "--tasks-dir", str(tasks), "--out", str(out), "--solver", "baseline")
        return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                              env={**cli_env(), "ARC_TTT_HARDWARE__PROFILE": profile})

    named = solve("gpu-16gb")
    assert named.returncode == 0, named.stderr
    assert "hardware profile: gpu-16gb" in named.stdout
    assert "gpu-16gb: budget 14,336 MB" in (out / "report.md").read_text()  # the profile's 14 GB, not the default
    unknown = solve("nonsense")
    assert unknown.returncode == 2
    assert unknown.stderr.splitlines() == ["error: unknown hardware profile 'nonsense'; known: cpu, gpu-16gb, "
                                           "gpu-24gb, gpu-40gb, gpu-80gb, or auto"]


def _heavy_tasks(folder: Path, count: int) -> Path:
    """Large generated tasks, so that a batch takes long enough to be killed in the middle."""
    import random

    tasks = []
    for i in range(count):
        task = symmetry_task(f"gen{i:03d}", list(Dihedral)[i % 8], seed=i, pairs=8, size=(30, 30))
        tasks.append(task)
    write_task_dir(folder, tasks)
    # a few tasks nobody can solve, so fallbacks take part in the comparison too
    write_task_dir(folder, [symmetry_task("zz_noise", Dihedral.ROT90, seed=99)])
    noise = json.loads((folder / "zz_noise.json").read_text())
    noise["train"][0]["output"] = random_grid(random.Random(1), 3, 3).to_list()
    (folder / "zz_noise.json").write_text(json.dumps(noise))
    return folder


def _rows(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM task_results").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_mid_batch_then_resume_gives_the_same_submission(cli: Cli, tmp_path: Path) -> None:
    tasks = _heavy_tasks(tmp_path / "tasks", 120)
    reference = cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(tmp_path / "ref"))
    assert reference.returncode == 0, reference.stderr

    out = tmp_path / "killed"
    proc = subprocess.Popen(cli_command("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out",
                                        str(out)), env=cli_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _rows(out / "results.db") < 10 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    finished_before = _rows(out / "results.db")
    assert 10 <= finished_before < 121, "the batch must be killed in the middle"

    resumed = cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {finished_before} of 121" in resumed.stdout
    assert (out / "submission.json").read_bytes() == (tmp_path / "ref" / "submission.json").read_bytes()


def test_sigterm_mid_batch_saves_and_writes_a_complete_submission(tmp_path: Path) -> None:
    tasks = _heavy_tasks(tmp_path / "tasks", 120)
    out = tmp_path / "stopped"
    proc = subprocess.Popen(cli_command("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out",
                                        str(out)), env=cli_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _rows(out / "results.db") < 10 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    finished = _rows(out / "results.db")
    assert 10 <= finished < 121, "the batch must be stopped in the middle"
    assert len(json.loads((out / "submission.json").read_text())) == 121  # every task, fallbacks for the rest


def test_a_reader_that_goes_away_does_not_stop_the_batch(tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task(f"t{i}", Dihedral.ROT90, seed=i) for i in range(3)])
    out = tmp_path / "run"
    proc = subprocess.Popen(cli_command("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out",
                                        str(out)), env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `arc-ttt solve ... | head -1` does once it has its line
    stderr = proc.stderr.read().decode()
    assert proc.wait(120) == 0, stderr
    assert sorted(json.loads((out / "submission.json").read_text())) == ["t0", "t1", "t2"]
    assert (out / "report.md").is_file()


def test_a_damaged_results_db_is_set_aside_and_the_run_goes_on(cli: Cli, tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task("good1", Dihedral.ROT90)])
    out = tmp_path / "run"
    out.mkdir()
    (out / "results.db").write_text("not a database")
    result = cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out), "--resume")
    assert result.returncode == 0, result.stderr
    assert "was not a readable results database" in result.stderr and "Traceback" not in result.stderr
    assert sorted(json.loads((out / "submission.json").read_text())) == ["good1"]
    (kept,) = out.glob("results.db.unreadable-*")
    assert kept.read_text() == "not a database"
    report = cli("report", str(out))
    assert report.returncode == 0, report.stderr


def test_a_damaged_row_is_reported_and_solved_again_on_resume(cli: Cli, tmp_path: Path) -> None:
    tasks = write_task_dir(tmp_path / "tasks", [symmetry_task(f"t{i}", Dihedral.ROT90, seed=i) for i in range(3)])
    out = tmp_path / "run"
    assert cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out)).returncode == 0
    with sqlite3.connect(out / "results.db") as conn:
        conn.execute("UPDATE task_results SET notes_json = '[]' WHERE task_id = 't1'")
    report = cli("report", str(out))
    assert report.returncode == 0, report.stderr
    assert "task 't1' cannot be read" in report.stderr and "Traceback" not in report.stderr
    resumed = cli("solve", "--tasks-dir", str(tasks), "--solver", "baseline", "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.count("task 't1' cannot be read") == 1  # one warning line, not a log line as well
    assert json.loads((out / "summary.json").read_text())["status_counts"] == {"solved": 3}
    assert cli("report", str(out)).stderr == ""  # solved again, the row is whole


def test_program_search_solves_the_example_tasks_and_reports_its_programs(cli: Cli, tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "data" / "examples"
    out = tmp_path / "run"
    result = cli("solve", "--challenges", str(examples / "example_challenges.json"),
                 "--solutions", str(examples / "example_solutions.json"), "--solver", "program", "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    solved = [t for t in report["tasks"] if t["score"] == 1.0]
    assert solved, report["tasks"]
    for task in solved:
        first = task["attempts"][0]["attempt_1"]
        assert first["source"] == "program" and first["explanation"]
    assert solved[0]["attempts"][0]["attempt_1"]["explanation"] in (out / "report.md").read_text()
