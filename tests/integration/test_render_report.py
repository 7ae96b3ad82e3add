"""`solve` then `report` on a real SQLite run folder: reports from results.db, tasks reloaded from the
source the run recorded, attempts only once that source is gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from arc_ttt.adapters.datasets.json_folder import JsonFolderSource
from arc_ttt.application.bootstrap.container import build_container
from arc_ttt.application.config.settings import load_settings
from arc_ttt.application.use_cases.solve_batch import SolveRequest
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from tests.report_support import PageStructure, check_structure


def write_tasks(folder: Path) -> None:
    folder.mkdir(parents=True)
    a, b = Grid.of([[1, 2], [3, 4]]), Grid.of([[2, 1], [4, 3]])
    for i in range(4):
        task = Task(f"task{i}", (Example(a, b), Example(b, a)), (Example(a, b),))
        (folder / f"{task.id}.json").write_text(json.dumps({
            "train": [{"input": e.input.to_list(), "output": e.output.to_list()} for e in task.train],  # type: ignore[union-attr]
            "test": [{"input": a.to_list(), "output": b.to_list()}],
        }))


def test_solve_records_meta_and_report_redraws_then_degrades(tmp_path: Path) -> None:
    tasks_dir, run_dir = tmp_path / "tasks", tmp_path / "run"
    write_tasks(tasks_dir)
    container = build_container(load_settings(["hardware/cpu"]))
    outcome = container.solve_batch()(SolveRequest(JsonFolderSource(tasks_dir), run_dir, 600, 60))
    assert {p.name for p in outcome.reports} >= {"report.json", "report.md", "report.html"}
    solved = json.loads((run_dir / "report.json").read_text())
    assert solved["performance"]["memory"]["peak_rss_bytes"] > 0
    assert solved["performance"]["profile"]["name"] == "cpu"
    assert solved["solved_by"] == {"program": ["task0", "task1", "task2", "task3"]}  # the ensemble's program half
    assert "## Solved by" in (run_dir / "report.md").read_text()
    # where the time went, in every format: the shipped model records no lift, so TTT got none of it
    parts = solved["run"]["seconds_by_part"]
    assert parts["program_search"] > 0 and parts["ttt_training"] == 0
    assert solved["run"]["ttt_skipped"] == {"no_recorded_lift": 4}
    assert "| time by part | program search:" in (run_dir / "report.md").read_text()
    assert "time by part" in (run_dir / "report.html").read_text()
    assert all(t["memory"]["rss_bytes"] > 0 for t in solved["tasks"])

    for name in ("report.json", "report.md", "report.html"):
        (run_dir / name).unlink()
    written = container.render_report()(run_dir)
    assert {p.name for p in written} >= {"report.json", "report.md", "report.html"}
    again = json.loads((run_dir / "report.json").read_text())
    assert again["performance"]["pass_at_2"] == solved["performance"]["pass_at_2"]
    assert again["run"]["complete"] is True and again["performance"]["hardware"]["cpu_cores"] >= 1
    check_structure(PageStructure((run_dir / "report.html").read_text()), tasks=4)

    shutil.rmtree(tasks_dir)
    container.render_report()(run_dir)
    page = PageStructure((run_dir / "report.html").read_text())
    check_structure(page, tasks=4, drawn=False)
    assert page.classes["figure.attempt"] == 8


def test_a_partial_run_killed_mid_batch_still_gets_reports(tmp_path: Path) -> None:
    from arc_ttt.adapters.storage.run_store import open_result_store
    from tests.report_support import sample_summary

    store = open_result_store(tmp_path)  # what a killed run leaves: start meta and two finished rows
    store.set_meta("source", "arc1/evaluation")
    store.set_meta("source_spec", json.dumps({"kind": "dataset", "dataset": "arc1/evaluation"}))
    for result in sample_summary().results[:2]:
        store.record(result)
    store.close()
    container = build_container(load_settings(["hardware/cpu"]))
    summary = container.render_report(report_writers=[]).summary(tmp_path)
    assert summary.complete is False and len(summary.results) == 2
    assert summary.tasks == ()  # t1, t2 are not arc1/evaluation ids: nothing to draw, attempts only
    container.render_report()(tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["run"]["complete"] is False and data["run"]["tasks_finished"] == 2
    check_structure(PageStructure((tmp_path / "report.html").read_text()), tasks=2, drawn=False)
