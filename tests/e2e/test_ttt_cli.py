"""`arc-ttt init-model` then `arc-ttt solve --solver ttt --model DIR --limit 5`, in a subprocess, on CPU."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from arc_ttt.domain.arc.grid import is_valid_grid

SMALL_BUDGET = {
    "OMP_NUM_THREADS": "1",
    "ARC_TTT_TTT__CPU_THREADS": "1",
    "ARC_TTT_TTT__PRESET": "cpu",
    "ARC_TTT_TTT__TRAINING__MAX_STEPS": "2",
    "ARC_TTT_TTT__DATA__MAX_EXAMPLES": "4",
    "ARC_TTT_TTT__BACKEND__MAX_LENGTH": "2048",
    "ARC_TTT_TTT__INFERENCE__TRANSFORMS": "2",
    "ARC_TTT_TTT__INFERENCE__SAMPLES": "1",
}


def arc_ttt(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arc_ttt", *args], capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def test_solve_with_ttt_writes_a_valid_submission(tmp_path: Path) -> None:
    # a checkpoint store of its own: one left in the working directory by an earlier run would be reused
    env = {**os.environ, **SMALL_BUDGET, "ARC_TTT_CHECKPOINTS__ROOT": str(tmp_path / "checkpoints")}
    model_dir = tmp_path / "model"
    made = arc_ttt("init-model", str(model_dir), "--size", "tiny", env=env)
    assert made.returncode == 0, made.stderr
    assert (model_dir / "model.safetensors").is_file() and (model_dir / "tokenizer.json").is_file()

    run_dir = tmp_path / "run"
    solved = arc_ttt("solve", "--solver", "ttt", "--model", str(model_dir), "--limit", "5", "--out", str(run_dir),
                     "--task-time-limit", "20s", env=env)
    assert solved.returncode == 0, solved.stderr[-2000:]
    submission = json.loads((run_dir / "submission.json").read_text())
    assert len(submission) == 5
    for attempts in submission.values():
        assert attempts and all(is_valid_grid(a["attempt_1"]) and is_valid_grid(a["attempt_2"]) for a in attempts)

    with sqlite3.connect(run_dir / "results.db") as db:
        rows = db.execute("select status, notes_json from task_results").fetchall()
    assert [status for status, _ in rows] == ["solved"] * 5
    figures = [json.loads(notes)["ttt"] for _, notes in rows]
    # 05a7bcf2's 30x30 test prompts keep no demonstration in 2,048 tokens: that task is left untrained
    skipped = [f for f in figures if "skipped" in f]
    assert len(skipped) == 1 and skipped[0]["predictions"] == 0
    trained = [f for f in figures if "skipped" not in f]
    assert all(f["steps"] >= 1 and f["train_tokens"] > 0 and f["tokens_per_second"] > 0 for f in trained)


def test_solve_with_ttt_and_no_model_is_one_clear_error(tmp_path: Path) -> None:
    result = arc_ttt("solve", "--solver", "ttt", "--limit", "1", "--out", str(tmp_path / "run"),
                     env={**os.environ, "ARC_TTT_TTT__MODEL": ""})
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "needs a model" in message and "Traceback" not in message


def test_a_missing_model_folder_is_refused_before_the_batch(tmp_path: Path) -> None:
    result = arc_ttt("solve", "--solver", "ttt", "--model", str(tmp_path / "absent"), "--limit", "1",
                     "--out", str(tmp_path / "run"), env=dict(os.environ))
    message = " ".join(result.stderr.split())  # the console wraps long lines
    assert result.returncode == 2 and "does not exist" in message and "Traceback" not in message


def test_a_model_folder_that_cannot_load_is_refused_before_the_batch(tmp_path: Path) -> None:
    model_dir = tmp_path / "pickled"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (model_dir / "pytorch_model.bin").write_bytes(b"not loaded, ever")
    # the ensemble loads (and so checks) the model only when it gives TTT time: here because it is asked to
    result = arc_ttt("solve", "--solver", "ensemble", "--model", str(model_dir), "--limit", "1",
                     "--out", str(tmp_path / "run"), env={**os.environ, "ARC_TTT_ENSEMBLE__TTT": "always"})
    message = " ".join(result.stderr.split())
    assert result.returncode == 2 and "Traceback" not in message
    assert "has no .safetensors weights (found pytorch_model.bin" in message
    assert not (tmp_path / "run").exists()


def test_an_uncached_hub_id_is_refused_before_the_batch_when_offline(tmp_path: Path) -> None:
    result = arc_ttt("solve", "--solver", "ttt", "--model", "nobody/no-such-model", "--limit", "2",
                     "--out", str(tmp_path / "run"), env=dict(os.environ))
    message = " ".join(result.stderr.split())
    assert result.returncode == 2 and "hub id nobody/no-such-model is not in the local cache" in message
    assert "Traceback" not in message and not (tmp_path / "run" / "results.db").exists()


def test_a_model_that_fails_to_load_in_the_tasks_fails_them_not_the_batch(tmp_path: Path) -> None:
    # online (ttt.offline false) the up-front check leaves hub ids to the hub, which this machine cannot reach
    result = arc_ttt("solve", "--solver", "ttt", "--model", "nobody/no-such-model", "--limit", "2",
                     "--out", str(tmp_path / "run"),
                     env={**os.environ, "HF_HUB_OFFLINE": "1", "ARC_TTT_TTT__OFFLINE": "false"})
    assert result.returncode == 0 and "Traceback" not in result.stderr
    with sqlite3.connect(tmp_path / "run" / "results.db") as db:
        errors = [row[0] for row in db.execute("select error from task_results")]
    assert len(errors) == 2 and all("cannot load model from hub id nobody/no-such-model" in e for e in errors)
    assert len(json.loads((tmp_path / "run" / "submission.json").read_text())) == 2
    assert "the solver failed on 2 of 2 tasks" in " ".join(result.stderr.split())


def test_an_unknown_preset_is_one_clear_error(tmp_path: Path) -> None:
    model_dir = tmp_path / "m"
    assert arc_ttt("init-model", str(model_dir), "--size", "tiny", env=dict(os.environ)).returncode == 0
    result = arc_ttt("solve", "--solver", "ttt", "--model", str(model_dir), "--limit", "1", "--out",
                     str(tmp_path / "run"), env={**os.environ, "ARC_TTT_TTT__PRESET": "nope"})
    message = " ".join(result.stderr.split())
    assert result.returncode == 2 and "unknown ttt preset 'nope'" in message and "Traceback" not in message


def test_init_model_refuses_a_path_under_a_file_and_a_seed_out_of_range_in_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "some_file.json"
    a_file.write_text("{}")
    cases = (([str(a_file / "sub")], f"error: cannot write a model to {a_file / 'sub'}: Not a directory"),
             ([str(tmp_path / "m"), "--seed", "99999999999999999999999"],
              "error: --seed 99999999999999999999999 is out of range; use 0 <= seed < 2**63"),
             ([str(tmp_path / "m"), "--seed", "-1"], "error: --seed -1 is out of range; use 0 <= seed < 2**63"))
    for args, message in cases:
        result = arc_ttt("init-model", *args, env={**os.environ, "COLUMNS": "300"})
        assert result.returncode == 2 and result.stderr.splitlines() == [message], result.stderr
    largest = arc_ttt("init-model", str(tmp_path / "m"), "--seed", str(2**63 - 1), env=dict(os.environ))
    assert largest.returncode == 0, largest.stderr


def test_pretrain_refuses_a_seed_out_of_range_in_one_line(tmp_path: Path) -> None:
    result = arc_ttt("pretrain", "--out", str(tmp_path / "pt"), "--smoke", "--seed", str(2**63),
                     env={**os.environ, "COLUMNS": "300"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: --seed {2**63} is out of range; use 0 <= seed < 2**63"]
    assert not (tmp_path / "pt").exists()


UNSURE_TASKS = 2  # random pairs: no program fits them, so program search is sure of nothing


def _unsure_tasks(folder: Path) -> Path:
    import random

    from arc_ttt.domain.arc.task import Example, Task
    from tests.builders import random_grid, write_task_dir

    rng = random.Random(7)
    tasks = [Task(f"u{i}", tuple(Example(random_grid(rng, 3, 3), random_grid(rng, 3, 3)) for _ in range(3)),
                  (Example(random_grid(rng, 3, 3)),)) for i in range(UNSURE_TASKS)]
    return write_task_dir(folder, tasks)


def _ensemble_run(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict, list[dict]]:
    env = {**os.environ, **SMALL_BUDGET, "ARC_TTT_CHECKPOINTS__ROOT": str(tmp_path / "checkpoints"),
           "ARC_TTT_PROGRAM__TIME_LIMIT": "3s", "ARC_TTT_PROGRAM__PROCESSES": "1",
           "ARC_TTT_ENSEMBLE__MIN_TTT_SECONDS": "0"}
    run_dir = tmp_path / "run"
    solved = arc_ttt("solve", "--solver", "ensemble", "--tasks-dir", str(_unsure_tasks(tmp_path / "tasks")),
                     "--out", str(run_dir), *extra, env=env)
    assert solved.returncode == 0, solved.stderr
    with sqlite3.connect(run_dir / "results.db") as db:
        notes = [json.loads(row[0]) for row in db.execute("select notes_json from task_results")]
    return solved, json.loads((run_dir / "summary.json").read_text()), notes


def test_the_default_ensemble_gives_the_shipped_model_no_ttt_time_and_says_why(tmp_path: Path) -> None:
    _, summary, notes = _ensemble_run(tmp_path)
    assert summary["ttt_skipped"] == {"no_recorded_lift": UNSURE_TASKS}
    assert summary["seconds_by_part"]["ttt_training"] == 0 and summary["seconds_by_part"]["ttt_answering"] == 0
    assert all("ttt" not in note for note in notes)  # the TTT solver never ran
    assert "TTT skipped (tasks) | no recorded lift: 2" in (tmp_path / "run" / "summary.md").read_text()


def test_a_model_that_records_a_lift_gets_ttt_time_by_default(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    assert arc_ttt("init-model", str(model_dir), "--size", "tiny", env=dict(os.environ)).returncode == 0
    marker = model_dir / "arc_ttt_model.json"
    record = {"dataset": "arc1/training", "tasks": 10, "right_program": 1, "right_with_ttt": 2,
              "command": "a measurement for this test only"}
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "ttt_lift": record}))
    _, summary, notes = _ensemble_run(tmp_path, "--model", str(model_dir))
    assert "no_recorded_lift" not in summary["ttt_skipped"]
    assert all("ttt" in note for note in notes) and summary["seconds_by_part"]["ttt_training"] > 0


def test_measure_lift_records_what_ttt_added_in_the_model_folder(tmp_path: Path) -> None:
    # TTT also where program search is sure, so that the second run trains and answers on every task
    env = {**os.environ, **SMALL_BUDGET, "ARC_TTT_CHECKPOINTS__ROOT": str(tmp_path / "checkpoints"),
           "ARC_TTT_PROGRAM__TIME_LIMIT": "2", "ARC_TTT_ENSEMBLE__TTT_WHEN_SURE": "true"}
    model_dir = tmp_path / "model"
    assert arc_ttt("init-model", str(model_dir), "--size", "tiny", env=env).returncode == 0
    measured = arc_ttt("measure-lift", "--model", str(model_dir), "--limit", "2", "--out", str(tmp_path / "lift"),
                       "--record", env=env)
    assert measured.returncode == 0, measured.stderr[-2000:]
    lift = json.loads((model_dir / "arc_ttt_model.json").read_text())["ttt_lift"]
    assert lift["dataset"] == "arc1/training" and lift["tasks"] == 2 and "measure-lift" in lift["command"]
    runs = {name: json.loads((tmp_path / "lift" / name / "report.json").read_text())["run"]
            for name in ("program", "with-ttt")}
    assert runs["program"]["seconds_by_part"]["ttt_training"] == 0
    assert runs["with-ttt"]["seconds_by_part"]["ttt_training"] > 0  # the ensemble gave TTT time (ensemble.ttt: always)
    right = {name: sum(t["score"] == 1 for t in json.loads((tmp_path / "lift" / name / "report.json").read_text())
                       ["tasks"]) for name in runs}
    assert (lift["right_program"], lift["right_with_ttt"]) == (right["program"], right["with-ttt"])


def test_measure_lift_refuses_an_evaluation_set(tmp_path: Path) -> None:
    result = arc_ttt("measure-lift", "--model", str(tmp_path), "--dataset", "arc1/evaluation",
                     "--out", str(tmp_path / "lift"), env=dict(os.environ))
    message = " ".join(result.stderr.split())
    assert result.returncode == 2 and "not a training set" in message and not (tmp_path / "lift").exists()
