"""SolveBatch with fakes: guarded solving, budgets, resume, complete submissions."""

import json
from pathlib import Path

import pytest

from arc_ttt.application.use_cases.solve_batch import SolveBatch, SolveRequest
from arc_ttt.domain.arc.attempts import FALLBACK
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.solving.notes import PartNote, PartOutcome, TaskNotes
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from tests.builders import symmetry_task
from tests.fakes import (
    FakeClock,
    InMemoryResultStore,
    InMemoryRunFiles,
    InMemorySourceSpecs,
    InMemoryTaskSource,
    ScriptedSolver,
)

TASKS = [symmetry_task(f"t{i}", Dihedral.ROT90, seed=i) for i in range(4)]


def _right(task_index: int) -> TaskSolution:
    truth = TASKS[task_index].test[0].output
    return TaskSolution(((Candidate(truth, "scripted"),),))


def _batch(solver: ScriptedSolver, clock: FakeClock, store: InMemoryResultStore,
           files: InMemoryRunFiles | None = None, **kw: object) -> SolveBatch:
    return SolveBatch(solver, lambda _d: store, clock, run_files=files or InMemoryRunFiles(),
                      source_specs=InMemorySourceSpecs(), **kw)  # type: ignore[arg-type]


def _run(tmp_path: Path, solver: ScriptedSolver, clock: FakeClock, store: InMemoryResultStore,
         files: InMemoryRunFiles | None = None, **kw: object):
    use_case = _batch(solver, clock, store, files)
    request = SolveRequest(InMemoryTaskSource(TASKS), tmp_path, time_budget=kw.pop("budget", 100.0),
                           task_time_limit=10.0, **kw)  # type: ignore[arg-type]
    return use_case(request)


def test_every_task_gets_two_attempts_even_when_the_solver_breaks(tmp_path: Path) -> None:
    clock = FakeClock()
    solver = ScriptedSolver({"t0": _right(0), "t1": RuntimeError("boom\nsecond line"), "t2": "garbage"}, clock)
    files = InMemoryRunFiles()
    outcome = _run(tmp_path, solver, clock, InMemoryResultStore(), files)
    by_id = {r.task_id: r for r in outcome.results}
    assert by_id["t0"].status is TaskStatus.SOLVED and by_id["t0"].score == 1.0
    assert by_id["t1"].status is TaskStatus.FAILED and by_id["t1"].error == "RuntimeError: boom"
    assert by_id["t2"].status is TaskStatus.FAILED and "not a TaskSolution" in by_id["t2"].error
    submission = files.read_json(tmp_path / "submission.json")
    assert isinstance(submission, dict)
    assert sorted(submission) == ["t0", "t1", "t2", "t3"]
    assert all(set(entry[0]) == {"attempt_1", "attempt_2"} for entry in submission.values())
    assert outcome.score is not None and outcome.score.score == 0.25
    assert outcome.warnings == ["the solver failed on 2 of 4 tasks (they have fallback guesses); first: t1: "
                                "RuntimeError: boom"]


def test_the_solver_never_sees_test_outputs(tmp_path: Path) -> None:
    seen = []

    class Peeking(ScriptedSolver):
        def solve(self, task, time_limit):  # type: ignore[no-untyped-def]
            seen.append(task.has_solutions)
            return super().solve(task, time_limit)

    _run(tmp_path, Peeking({}), FakeClock(), InMemoryResultStore())
    assert seen == [False] * 4


def test_budget_exhaustion_leaves_fallbacks_and_resume_redoes_only_those(tmp_path: Path) -> None:
    clock = FakeClock()
    store = InMemoryResultStore()
    slow = ScriptedSolver({f"t{i}": _right(i) for i in range(4)}, clock, seconds=40.0)
    outcome = _run(tmp_path, slow, clock, store, budget=100.0)
    statuses = [r.status for r in outcome.results]
    assert statuses == [TaskStatus.SOLVED] * 3 + [TaskStatus.OUT_OF_TIME]
    assert [limit for _, limit in slow.calls] == [10.0, 10.0, 10.0]
    assert outcome.results[3].attempts[0].attempt_1.source == FALLBACK

    again = ScriptedSolver({f"t{i}": _right(i) for i in range(4)}, clock)
    resumed = _run(tmp_path, again, clock, store, resume=True)
    assert [tid for tid, _ in again.calls] == ["t3"]
    assert resumed.score is not None and resumed.score.score == 1.0


def test_time_limit_shrinks_to_what_the_budget_has_left(tmp_path: Path) -> None:
    clock = FakeClock()
    solver = ScriptedSolver({}, clock, seconds=7.0)
    outcome = _run(tmp_path, solver, clock, InMemoryResultStore(), budget=24.0, pace=False)
    assert [round(limit, 6) for _, limit in solver.calls] == [10.0, 10.0, 10.0, 3.0]
    assert all(r.status is TaskStatus.SOLVED for r in outcome.results)


def test_pacing_gives_each_task_a_fair_share_of_what_is_left(tmp_path: Path) -> None:
    clock = FakeClock()
    solver = ScriptedSolver({}, clock, seconds=4.0)
    _run(tmp_path, solver, clock, InMemoryResultStore(), budget=24.0)
    # 24/4, then (24-4)/3, (24-8)/2 and 12/1 capped by the task limit of 10
    assert [round(limit, 6) for _, limit in solver.calls] == [6.0, round(20 / 3, 6), 8.0, 10.0]


def test_without_resume_earlier_results_are_discarded(tmp_path: Path) -> None:
    store = InMemoryResultStore()
    _run(tmp_path, ScriptedSolver({"t0": _right(0)}), FakeClock(), store)
    solver = ScriptedSolver({})
    _run(tmp_path, solver, FakeClock(), store)
    assert len(solver.calls) == 4


def test_limit_and_task_selection(tmp_path: Path) -> None:
    solver = ScriptedSolver({})
    outcome = _run(tmp_path, solver, FakeClock(), InMemoryResultStore(), limit=2)
    assert [r.task_id for r in outcome.results] == ["t0", "t1"]
    with pytest.raises(ValueError, match="nope"):
        _run(tmp_path, ScriptedSolver({}), FakeClock(), InMemoryResultStore(), task_ids=["nope"])


def test_an_interrupt_keeps_finished_work_and_a_complete_submission(tmp_path: Path) -> None:
    store, files = InMemoryResultStore(), InMemoryRunFiles()
    outcome = _run(tmp_path, ScriptedSolver({"t0": _right(0), "t1": KeyboardInterrupt()}), FakeClock(), store, files)
    assert not outcome.complete
    assert [r.task_id for r in outcome.results] == ["t0"]
    assert sorted(files.read_json(tmp_path / "submission.json")) == ["t0", "t1", "t2", "t3"]  # type: ignore[arg-type]


def test_a_part_of_the_solver_that_failed_is_one_warning_for_the_batch(tmp_path: Path) -> None:
    clock = FakeClock()
    failed = TaskNotes(parts=(PartNote("ttt", PartOutcome.FAILED, "ModelLoadError: cannot load model from hub id x"),))
    silent = TaskNotes(parts=(PartNote("program", PartOutcome.FAILED, ""),))
    solver = ScriptedSolver({"t0": TaskSolution(_right(0).candidates, failed), "t2": TaskSolution.empty(1, failed),
                             "t3": TaskSolution.empty(1, silent)}, clock)
    outcome = _run(tmp_path, solver, clock, InMemoryResultStore())
    assert outcome.warnings == ["ttt failed on 2 of 4 tasks (their answers come from the other solvers); "
                                "first: ModelLoadError: cannot load model from hub id x"]
    assert _run(tmp_path, ScriptedSolver({}, clock), clock, InMemoryResultStore()).warnings == []


def test_the_store_hears_the_run_facts_and_its_notices_become_warnings(tmp_path: Path) -> None:
    store = InMemoryResultStore()
    store.notices = ("results.db was set aside",)
    store.record(TaskResult("old", TaskStatus.SOLVED, (), 1.0, "scripted"))
    outcome = _run(tmp_path, ScriptedSolver({}), FakeClock(), store)
    assert store.meta["source"] == "memory" and store.meta["solver"] == "scripted"
    assert json.loads(store.meta["complete"]) is True
    assert "old" not in store.rows  # a run without --resume starts from an empty store
    assert "results.db was set aside" in outcome.warnings
    assert json.loads(store.meta["source_spec"]) == {"kind": "memory", "name": "memory"}  # for a later report


def test_a_folder_where_the_run_writes_a_file_stops_the_run_before_any_work(tmp_path: Path) -> None:
    from arc_ttt.domain.errors import RunFolderError

    (tmp_path / "results.db").mkdir()
    solver = ScriptedSolver({})
    use_case = _batch(solver, FakeClock(), InMemoryResultStore(), store_files=("results.db",))
    with pytest.raises(RunFolderError, match=r"results\.db is in the way"):
        use_case(SolveRequest(InMemoryTaskSource(TASKS), tmp_path, time_budget=100.0, task_time_limit=10.0))
    assert solver.calls == []


def test_a_report_that_cannot_be_written_is_a_warning_after_the_submission(tmp_path: Path) -> None:
    class Refusing:
        def write(self, run_dir: Path, summary: object) -> list[Path]:
            raise IsADirectoryError(21, "Is a directory", str(run_dir / "report.md"))

    files = InMemoryRunFiles()
    use_case = _batch(ScriptedSolver({"t0": _right(0)}), FakeClock(), InMemoryResultStore(), files,
                      report_writers=[Refusing()])
    outcome = use_case(SolveRequest(InMemoryTaskSource(TASKS), tmp_path, time_budget=100.0, task_time_limit=10.0))
    assert sorted(files.read_json(tmp_path / "submission.json")) == [t.id for t in TASKS]  # type: ignore[arg-type]
    assert outcome.warnings == [f"a report could not be written in {tmp_path}: Is a directory "
                                f"({tmp_path / 'report.md'})"]


def test_an_error_message_that_starts_with_a_newline_keeps_its_first_words(tmp_path: Path) -> None:
    solver = ScriptedSolver({"t0": RuntimeError("\n        An attempt has been made to start a new process"),
                             "t1": RuntimeError()})
    by_id = {r.task_id: r for r in _run(tmp_path, solver, FakeClock(), InMemoryResultStore()).results}
    assert by_id["t0"].error == "RuntimeError: An attempt has been made to start a new process"
    assert by_id["t1"].error == "RuntimeError"


def test_a_request_that_could_only_fail_later_is_refused_when_made(tmp_path: Path) -> None:
    source = InMemoryTaskSource(TASKS)
    with pytest.raises(TypeError, match="source must be a TaskSource"):
        SolveRequest("tasks", tmp_path, 60.0, 10.0)  # type: ignore[arg-type]
    for bad in ({"time_budget": "1m"}, {"task_time_limit": -5}, {"time_budget": float("nan")}, {"limit": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            SolveRequest(source, tmp_path, **{"time_budget": 60.0, "task_time_limit": 10.0, **bad})  # type: ignore[arg-type]
    assert SolveRequest(source, tmp_path, float("inf"), 0, limit=0).limit == 0
