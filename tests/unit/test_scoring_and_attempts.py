from arc_ttt.domain.arc.attempts import FALLBACK, choose_attempts, fallback_candidates, train_output_guesses
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.scoring import output_solved, score_set, task_score
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.arc.submission import parse_submission, submission_json
from arc_ttt.domain.arc.task import Example, Task
from tests.builders import grid

A, B, C = grid("1"), grid("2"), grid("3")


def test_pass_at_2_counts_either_attempt_and_only_two() -> None:
    assert output_solved([A, B], B)
    assert not output_solved([A, C, B], B)


def test_task_score_is_the_fraction_of_test_outputs_solved() -> None:
    assert task_score([[A, B], [C, C]], [B, A]) == 0.5
    assert task_score([[A, B]], [B, A]) == 0.5  # missing attempts for a test output count as wrong


def test_set_score_is_the_mean_of_task_scores_and_strict_counts_missing() -> None:
    scores = score_set({"a": [[A, B]], "b": [[C, C], [A, A]]}, {"a": [A], "b": [C, B], "c": [A]})
    assert scores.per_task == {"a": 1.0, "b": 0.5}
    assert scores.missing == ("c",)
    assert scores.score == 0.75 and scores.strict_score == 0.5


def _task(n_tests: int = 1) -> Task:
    return Task("t", (Example(grid("12"), grid("21")),), tuple(Example(grid("34")) for _ in range(n_tests)))


def test_attempts_take_the_two_best_distinct_candidates() -> None:
    sol = TaskSolution(((Candidate(A, "x"), Candidate(A, "y"), Candidate(B, "z")),))
    (att,) = choose_attempts(_task(), sol)
    assert att.grids == (A, B) and att.attempt_2.source == "z"


def test_missing_or_garbage_answers_are_topped_up_with_fallbacks() -> None:
    task = _task(n_tests=2)
    garbage = TaskSolution((("not a candidate", Candidate(A, "x")),))  # type: ignore[arg-type]
    first, second = choose_attempts(task, garbage)
    assert first.attempt_1.grid == A and first.attempt_2.source == FALLBACK
    assert second.attempt_1.source == FALLBACK and second.attempt_1.grid == grid("21")  # the train output
    assert second.attempt_2.grid == grid("34")  # then the test input itself
    for att in choose_attempts(task, None):
        assert all(isinstance(g, Grid) for g in att.grids)


def test_fallback_guesses_are_train_outputs_of_the_implied_shape_most_frequent_first() -> None:
    big, small, other = grid("11", "11"), grid("2"), grid("33", "33")
    scaled = Task("t", (Example(grid("1"), other), Example(grid("2"), big), Example(grid("3"), big)),
                  (Example(grid("4")),))  # every output 2x2: so must the answer be
    assert [c.grid for c in train_output_guesses(scaled, 0)] == [big, other]
    assert train_output_guesses(scaled, 0)[0].explanation == "train output (seen 2 times)"
    same = Task("t", (Example(grid("12"), grid("21")), Example(grid("3"), small)), (Example(grid("56", "78")),))
    assert train_output_guesses(same, 0) == ()  # outputs keep their input's shape: no train output is 2x2
    assert [c.explanation for c in fallback_candidates(same, 0)] == ["identity", "blank grid"]
    free = Task("t", (Example(grid("12"), small), Example(grid("3"), big)), (Example(grid("5")),))
    assert [c.grid for c in train_output_guesses(free, 0)] == [small, big]  # no shape implied: all offered


def test_submission_round_trips_through_json() -> None:
    task = _task()
    attempts = {"t": choose_attempts(task, TaskSolution(((Candidate(A, "x"), Candidate(B, "y")),)))}
    raw = submission_json(attempts)
    assert raw == {"t": [{"attempt_1": [[1]], "attempt_2": [[2]]}]}
    assert parse_submission(raw, origin="s.json") == ({"t": [(A, B)]}, [])


def test_a_submission_with_unreadable_tasks_reads_the_others() -> None:
    raw = {"ok": [{"attempt_1": [[1]], "attempt_2": [[2]]}],
           "ragged": [{"attempt_1": [[1, 2], [3]], "attempt_2": [[1]]}], "one": [{"attempt_1": [[1]]}],
           "color": [{"attempt_1": [[1]], "attempt_2": [[12]]}], "../up": []}
    grids, problems = parse_submission(raw, origin="s.json")
    assert grids == {"ok": [(A, B)], "ragged": [], "one": [], "color": []}
    lines = [p.one_line() for p in problems]
    assert lines[0].startswith("s.json: task ragged: [0].attempt_1: ragged rows")
    assert lines[1] == "s.json: task one: [0]: expected {'attempt_1': grid, 'attempt_2': grid}"
    assert lines[2].startswith("s.json: task color: [0].attempt_2: cell (0,0) has color 12")
    assert "unsafe task id '../up'" in lines[3] and len(lines) == 4
