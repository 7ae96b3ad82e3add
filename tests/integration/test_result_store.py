import multiprocessing
from pathlib import Path

import pytest

from arc_ttt.adapters.storage.run_store import RESULTS_DB, UnreadableResultsError, open_result_store
from arc_ttt.domain.arc.attempts import choose_attempts
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from tests.builders import grid, symmetry_task


def _result(task_id: str, status: TaskStatus = TaskStatus.SOLVED) -> TaskResult:
    task = symmetry_task(task_id, Dihedral.ROT90)
    sol = TaskSolution(((Candidate(grid("12"), "program", 2.0, True, "rot90 | crop"),),))
    return TaskResult(task_id, status, choose_attempts(task, sol), 1.5, "program", "", 0.5, {"ttt": {"steps": 3}})


def test_results_round_trip_through_a_real_sqlite_file(tmp_path: Path) -> None:
    store = open_result_store(tmp_path)
    original = _result("a1")
    store.record(original)
    store.close()
    reopened = open_result_store(tmp_path)
    (back,) = reopened.results()
    assert back == original
    assert back.attempts[0].attempt_1.explanation == "rot90 | crop" and back.attempts[0].attempt_1.sure
    assert reopened.get_meta("schema_version") == "1"
    with reopened.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize("damage", ["not a database", "truncated"])
def test_an_unreadable_results_db_is_an_error_or_set_aside_for_a_new_run(tmp_path: Path, damage: str) -> None:
    path = tmp_path / RESULTS_DB
    if damage == "truncated":
        store = open_result_store(tmp_path)
        for index in range(40):
            store.record(_result(f"t{index}"))
        store.close()
        path.write_bytes(path.read_bytes()[:3000])
    else:
        path.write_text("these are my notes, not a database")
    (tmp_path / f"{RESULTS_DB}-wal").write_bytes(b"stale log")  # never replayed into the new database
    before = path.read_bytes()

    with pytest.raises(UnreadableResultsError, match=r"results\.db is not a readable results database"):
        open_result_store(tmp_path)  # a reader (arc-ttt report) is told, and nothing moves
    assert path.read_bytes() == before

    store = open_result_store(tmp_path, set_aside_unreadable=True)
    (kept,) = tmp_path.glob(f"{RESULTS_DB}.unreadable-*[0-9]")
    assert kept.read_bytes() == before
    assert len(store.notices) == 1 and kept.name in store.notices[0]
    assert store.results() == []
    store.record(_result("fresh"))
    assert [r.task_id for r in open_result_store(tmp_path).results()] == ["fresh"]


def test_a_readable_results_db_opens_without_notices(tmp_path: Path) -> None:
    open_result_store(tmp_path).record(_result("a"))
    store = open_result_store(tmp_path, set_aside_unreadable=True)
    assert store.notices == () and [r.task_id for r in store.results()] == ["a"]


def test_out_of_time_results_are_not_final(tmp_path: Path) -> None:
    store = open_result_store(tmp_path)
    store.record(_result("a"))
    store.record(_result("b", TaskStatus.OUT_OF_TIME))
    store.record(_result("c", TaskStatus.FAILED))
    assert store.final_task_ids() == {"a", "c"}
    store.record(_result("b"))  # solving it later replaces the placeholder
    assert store.final_task_ids() == {"a", "b", "c"}
    store.clear()
    assert store.results() == []


@pytest.mark.parametrize(("column", "value"), [("notes_json", "[]"), ("attempts_json", "[[null, null]]"),
                                              ("attempts_json", "garbage"), ("status", "weird"),
                                              ("attempts_json", "[" * 5000 + "]" * 5000)])
def test_a_damaged_row_is_left_out_named_once_and_not_final(tmp_path: Path, column: str, value: str) -> None:
    import sqlite3

    store = open_result_store(tmp_path)
    for task_id in ("a", "b", "c"):
        store.record(_result(task_id))
    store.close()
    with sqlite3.connect(tmp_path / RESULTS_DB) as conn:
        conn.execute(f"UPDATE task_results SET {column} = ? WHERE task_id = 'b'", (value,))
    store = open_result_store(tmp_path)
    assert [r.task_id for r in store.results()] == ["a", "c"]
    assert store.final_task_ids() == {"a", "c"}  # a resumed run solves b again
    assert len(store.notices) == 1 and "task 'b' cannot be read" in store.notices[0]
    assert str(tmp_path / RESULTS_DB) in store.notices[0]
    store.record(_result("b"))
    assert store.final_task_ids() == {"a", "b", "c"}


def _writer(folder: str, prefix: str) -> None:
    store = open_result_store(Path(folder))
    for i in range(25):
        store.record(_result(f"{prefix}{i}"))
    store.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    open_result_store(tmp_path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), p)) for p in ("x", "y")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(open_result_store(tmp_path).results()) == 50


@pytest.mark.parametrize("url", ["nosuchdialect://", "postgresql+nosuchdriver://user:pw@host/db"])
def test_a_database_url_nobody_can_open_is_one_clear_error(tmp_path: Path, url: str) -> None:
    from arc_ttt.adapters.storage.engine import DatabaseUrlError

    with pytest.raises(DatabaseUrlError, match="database URL not usable: Can't load plugin"):
        open_result_store(tmp_path, url)
