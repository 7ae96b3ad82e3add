"""Use cases that reach storage, files and sources through ports only: the report of a run, the scoring of a
submission, and a worker process, each run against the fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arc_ttt.application.use_cases.evaluate import EvaluateSubmission
from arc_ttt.application.use_cases.render_report import RenderReport
from arc_ttt.application.use_cases.workers import WorkerParts, WorkerSpec, run_worker
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.errors import TaskFormatError
from arc_ttt.domain.solving.ports import RunSummary
from arc_ttt.domain.solving.results import TaskStatus
from tests.builders import symmetry_task
from tests.fakes import (
    FakeClock,
    InMemoryResultStore,
    InMemorySourceSpecs,
    InMemorySubmissions,
    InMemoryTaskSource,
    InMemoryWorkQueues,
    ScriptedSolver,
)
from tests.report_support import sample_summary

TASKS = [symmetry_task(f"t{i}", Dihedral.ROT90, seed=i) for i in range(3)]


class KeepingWriter:
    def __init__(self) -> None:
        self.summaries: list[RunSummary] = []

    def write(self, run_dir: Path, summary: RunSummary) -> list[Path]:
        self.summaries.append(summary)
        return [run_dir / "report.txt"]


def stored_run(source_name: str, *, complete: bool) -> InMemoryResultStore:
    store = InMemoryResultStore()
    for result in sample_summary().results:
        store.record(result)
    store.set_meta("source", source_name)
    store.set_meta("source_spec", json.dumps({"kind": "memory", "name": source_name}))
    store.set_meta("complete", json.dumps(complete))
    return store


def test_a_report_draws_the_tasks_of_the_source_the_run_recorded(tmp_path: Path) -> None:
    summary = sample_summary()
    source = InMemoryTaskSource(list(summary.tasks), name="recorded")
    store = stored_run("recorded", complete=True)
    writer = KeepingWriter()
    render = RenderReport([writer], lambda _d: store, InMemorySourceSpecs([source]))
    assert render(tmp_path) == [tmp_path / "report.txt"]
    (seen,) = writer.summaries
    assert seen.complete and seen.source == "recorded"
    assert [t.id for t in seen.tasks] == ["t1", "t2", "t3"] and len(seen.results) == 3
    assert store.closed


def test_a_report_of_a_source_that_cannot_be_reopened_shows_attempts_only(tmp_path: Path) -> None:
    render = RenderReport([], lambda _d: stored_run("gone", complete=False), InMemorySourceSpecs())
    summary = render.summary(tmp_path)
    assert summary.tasks == () and len(summary.results) == 3 and not summary.complete


def test_a_report_of_a_folder_without_results_is_refused_by_the_opener(tmp_path: Path) -> None:
    def no_run(run_dir: Path) -> InMemoryResultStore:
        raise ValueError(f"{run_dir}: no results here")

    with pytest.raises(ValueError, match="no results here"):
        RenderReport([], no_run, InMemorySourceSpecs()).summary(tmp_path)


def test_a_submission_is_scored_against_the_solutions_of_the_source() -> None:
    right = {"attempt_1": TASKS[0].test[0].output.to_list(), "attempt_2": [[0]]}  # type: ignore[union-attr]
    wrong = {"attempt_1": [[0]], "attempt_2": [[0]]}
    reader = InMemorySubmissions({Path("sub.json"): {"t0": [right], "t1": [wrong], "extra": [wrong]}})
    evaluation = EvaluateSubmission(reader)(Path("sub.json"), InMemoryTaskSource(TASKS))
    assert evaluation.score.score == pytest.approx(1 / 2)
    assert evaluation.unknown_tasks == ("extra",)
    with pytest.raises(TaskFormatError, match=r"missing\.json: file not found"):
        EvaluateSubmission(reader)(Path("missing.json"), InMemoryTaskSource(TASKS))


def test_a_worker_builds_its_parts_and_solves_every_task_the_queue_hands_it(tmp_path: Path) -> None:
    store, queues, clock = InMemoryResultStore(), InMemoryWorkQueues(), FakeClock()
    queues(store).seed([t.id for t in TASKS], reset=True)
    solvers: list[ScriptedSolver] = []

    def new_solver() -> ScriptedSolver:
        solvers.append(ScriptedSolver({}, clock, seconds=1.0))
        return solvers[-1]

    def parts() -> WorkerParts:
        return WorkerParts(new_solver=new_solver, clock=clock, open_store=lambda _d: store, open_queue=queues)

    spec = WorkerSpec(parts, InMemoryTaskSource(TASKS), tmp_path, tuple(t.id for t in TASKS), 100.0, 10.0)
    assert run_worker(spec, "w0") == 3
    assert len(solvers) == 1 and [c[0] for c in solvers[0].calls] == ["t0", "t1", "t2"]
    assert sorted(store.rows) == ["t0", "t1", "t2"] and store.rows["t0"].status is TaskStatus.SOLVED
    assert queues(store).pending() == 0 and store.closed
