import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from arc_ttt.adapters.storage.run_store import RESULTS_DB, UnreadableResultsError, open_result_store
from arc_ttt.domain.arc.attempts import choose_attempts
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.solving.notes import TaskNotes
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from tests.builders import full_notes, grid, reused_notes, symmetry_task


def _result(task_id: str, status: TaskStatus = TaskStatus.SOLVED, notes: TaskNotes | None = None) -> TaskResult:
    task = symmetry_task(task_id, Dihedral.ROT90)
    sol = TaskSolution(((Candidate(grid("12"), "program", 2.0, True, "rot90 | crop"),),))
    return TaskResult(task_id, status, choose_attempts(task, sol), 1.5, "program", "", 0.5,
                      full_notes() if notes is None else notes)


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


# Notes as the first layout kept them (taken from results.db files it wrote): each ensemble part's outcome
# under a `<part>_<outcome>` key, a reused adapter's metrics among the TTT figures, an overrun search's error
# alone in its note.
FIRST_LAYOUT = {
    "trained": {"program": {"fits": 3, "program": "local rule -> by object width (5 cases)", "seconds": 7.019},
                "ttt": {"model": "tiny", "train_tokens": 3120, "train_seconds": 0.207, "tokens_per_second": 15096.3,
                        "steps": 2, "stop_reason": "max steps", "divergences": 1, "oom_backoffs": 2,
                        "predicted_steps": 3, "val_loss_before": 2.43016, "val_loss_after": 2.38713,
                        "val_accuracy_before": 0.64481, "val_accuracy": 0.6448, "val_exact": 0.25,
                        "adapter_version": 2, "entropy_steps": 2, "entropy_tokens": 96, "entropy_stop": "steps done",
                        "entropy_first": 1.2345, "entropy_last": 0.9876, "views": 8, "predictions": 16,
                        "seconds": 3.15, "scored": 12},
                "ttt_ranked": "after the fallback guesses: held-out exact 0.25 < 0.5",
                "other_error": "RuntimeError: boom",
                "memory": {"rss_bytes": 487071744, "system_available_bytes": 22540054528,
                           "cuda_allocated_bytes": 1 << 20, "cuda_reserved_bytes": 2 << 20,
                           "cuda_peak_bytes": 3 << 20, "cuda_free_bytes": 4 << 20, "batch_index": 0,
                           "pressure_waits": 1}},
    "reused": {"program": {"error": "search overran its time limit"},
               "ttt": {"model": "tiny", "reused_adapter_version": 1, "steps": 2.0, "train_seconds": 0.0418,
                       "train_tokens": 408.0, "val_exact": 0.0, "views": 2, "predictions": 2, "seconds": 0.49},
               "ttt_ranked": "after the fallback guesses: no held-out check"},
}


@pytest.mark.parametrize(("layout", "expected"), [("trained", full_notes()), ("reused", reused_notes())])
def test_notes_of_the_first_layout_are_read_as_typed_notes(tmp_path: Path, layout: str, expected: TaskNotes) -> None:
    store = open_result_store(tmp_path)
    store.record(_result("a", notes=TaskNotes()))
    with sqlite3.connect(tmp_path / RESULTS_DB) as conn:
        conn.execute("UPDATE task_results SET notes_json = ?", (json.dumps(FIRST_LAYOUT[layout]),))
    (back,) = store.results()
    assert back.notes == expected and store.notices == ()
    assert back.notes.ttt is not None  # report.json shows the figures as the first layout had them, in its order
    assert list(back.notes.ttt.to_json().items()) == list(FIRST_LAYOUT[layout]["ttt"].items())


def test_notes_are_written_in_the_current_layout(tmp_path: Path) -> None:
    store = open_result_store(tmp_path)
    store.record(_result("a"))
    with sqlite3.connect(tmp_path / RESULTS_DB) as conn:
        (text,) = conn.execute("SELECT notes_json FROM task_results").fetchone()
    written = json.loads(text)
    assert written == full_notes().to_json() and sorted(written) == ["memory", "parts", "program", "ttt"]
    assert written["parts"][1] == {"part": "other", "outcome": "error", "detail": "RuntimeError: boom"}


@pytest.mark.parametrize("notes", [{"ttt": "not an object"}, {"ttt": {"model": "tiny"}},
                                   {"memory": {"rss_bytes": "a lot", "system_available_bytes": 1, "batch_index": 0}},
                                   {"ttt_error": ["not", "a", "line"]}, {"parts": [{"part": "ttt"}]},
                                   {"parts": [{"part": "ttt", "outcome": "vanished", "detail": ""}]}])
def test_notes_that_are_not_what_their_kind_records_make_the_row_unreadable(tmp_path: Path, notes: dict) -> None:
    store = open_result_store(tmp_path)
    store.record(_result("a"))
    with sqlite3.connect(tmp_path / RESULTS_DB) as conn:
        conn.execute("UPDATE task_results SET notes_json = ?", (json.dumps(notes),))
    assert store.results() == [] and store.final_task_ids() == set()  # a resumed run solves it again
    assert len(store.notices) == 1 and "task 'a' cannot be read" in store.notices[0]


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
