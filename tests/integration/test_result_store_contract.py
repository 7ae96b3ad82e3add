"""The same behaviour from the SQL result store and the in-memory fake, so that use-case tests written against
the fake say something true about results.db: what is recorded comes back equal, typed notes included."""

from collections.abc import Callable
from pathlib import Path

import pytest

from arc_ttt.adapters.storage.run_store import open_result_store
from arc_ttt.domain.arc.attempts import Attempts
from arc_ttt.domain.arc.solution import Candidate
from arc_ttt.domain.solving.notes import TaskNotes
from arc_ttt.domain.solving.ports import ResultStore
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from tests.builders import full_notes, grid, reused_notes
from tests.fakes import InMemoryResultStore

MAKERS: dict[str, Callable[[Path], ResultStore]] = {
    "sql": lambda tmp: open_result_store(tmp),
    "fake": lambda _tmp: InMemoryResultStore(),
}


def result(task_id: str, status: TaskStatus = TaskStatus.SOLVED, notes: TaskNotes | None = None,
           score: float | None = 0.5) -> TaskResult:
    sure = Candidate(grid("12", "34"), "program", 0.75, True, "rotate(90) -> crop(content)")
    guess = Candidate(grid("5"), "fallback")
    return TaskResult(task_id, status, (Attempts(sure, guess), Attempts(guess, guess)), 1.25, "program+ttt",
                      "" if status is TaskStatus.SOLVED else "RuntimeError: boom", score, notes or TaskNotes())


@pytest.fixture(params=[*sorted(MAKERS), "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ResultStore:
    if request.param == "postgresql":  # the same store on a real PostgreSQL server, by URL alone
        made = open_result_store(tmp_path, request.getfixturevalue("new_pg_database")())
    else:
        made = MAKERS[request.param](tmp_path)
    request.addfinalizer(made.close)
    return made


def test_a_new_store_is_empty_and_has_nothing_to_say(store: ResultStore) -> None:
    assert store.results() == [] and store.final_task_ids() == set() and store.notices == ()


def test_what_is_recorded_comes_back_equal_in_task_order(store: ResultStore) -> None:
    recorded = [result("c", notes=full_notes(2)), result("a", notes=reused_notes(), score=None),
                result("b", TaskStatus.FAILED)]
    for each in recorded:
        store.record(each)
    assert store.results() == sorted(recorded, key=lambda r: r.task_id)


def test_recording_a_task_again_replaces_its_result(store: ResultStore) -> None:
    store.record(result("a", TaskStatus.OUT_OF_TIME))
    store.record(result("a", notes=full_notes()))
    assert store.results() == [result("a", notes=full_notes())]


def test_only_out_of_time_results_are_solved_again(store: ResultStore) -> None:
    for task_id, status in (("a", TaskStatus.SOLVED), ("b", TaskStatus.OUT_OF_TIME), ("c", TaskStatus.FAILED)):
        store.record(result(task_id, status))
    assert store.final_task_ids() == {"a", "c"}
    store.record(result("b"))
    assert store.final_task_ids() == {"a", "b", "c"}


def test_clear_forgets_every_result_and_the_run_facts_can_be_set_again(store: ResultStore) -> None:
    store.record(result("a"))
    store.set_meta("source", "arc1/evaluation")
    store.set_meta("source", "arc1/training")  # a resumed run says it again
    store.clear()
    assert store.results() == [] and store.final_task_ids() == set()
    store.record(result("b"))
    assert [r.task_id for r in store.results()] == ["b"]
