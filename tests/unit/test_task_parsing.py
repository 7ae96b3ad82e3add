import pytest

from arc_ttt.domain.arc.parsing import parse_solutions, parse_task
from arc_ttt.domain.arc.task import check_task_id
from arc_ttt.domain.errors import TaskFormatError, UnsafeTaskIdError

PAIR = {"input": [[1, 2]], "output": [[2, 1]]}


def test_a_valid_task_parses_with_and_without_test_outputs() -> None:
    task = parse_task("abc123", {"train": [PAIR, PAIR], "test": [{"input": [[3]]}]}, origin="f.json")
    assert task.id == "abc123" and len(task.train) == 2 and not task.has_solutions
    solved = parse_solutions(task, [[[7]]], origin="s.json")
    assert solved.solutions()[0].rows == ((7,),)


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"test": [PAIR]}, "", "missing key 'train'"),
        ({"train": [PAIR], "test": []}, "test", "no examples"),
        ({"train": [{"input": [[1]]}], "test": [PAIR]}, "train[0]", "missing key 'output'"),
        ({"train": [PAIR, {"input": [[1, 2], [1]], "output": [[1]]}], "test": [PAIR]}, "train[1].input", "ragged"),
        ({"train": [PAIR], "test": [{"input": [[11]]}]}, "test[0].input", "color 11"),
        ({"train": "nope", "test": [PAIR]}, "train", "expected a list"),
        ([1, 2], "", "expected a JSON object"),
    ],
)
def test_problems_name_origin_task_field_and_problem(raw: object, field: str, words: str) -> None:
    with pytest.raises(TaskFormatError) as caught:
        parse_task("t1", raw, origin="dir/t1.json")
    err = caught.value
    assert err.origin == "dir/t1.json" and err.field == field and words in err.problem
    line = err.one_line()
    assert line.startswith("dir/t1.json: task t1: ") and "\n" not in line and words in line  # as the README shows


@pytest.mark.parametrize("bad", ["", "..", "../x", "a/b", "a\\b", "/etc/passwd", ".hidden", "a..b", "x" * 65,
                                 "tab\tid", "nul\x00", 5, None])
def test_unsafe_task_ids_are_refused(bad: object) -> None:
    with pytest.raises(UnsafeTaskIdError):
        check_task_id(bad)


@pytest.mark.parametrize("good", ["007bbfb7", "task_1", "my-task.v2", "A" * 64])
def test_ordinary_task_ids_pass(good: str) -> None:
    assert check_task_id(good) == good


def test_solution_count_must_match_test_inputs() -> None:
    task = parse_task("t", {"train": [PAIR], "test": [PAIR, PAIR]}, origin="c.json")
    with pytest.raises(TaskFormatError, match="expected 2 solution grids, got 1"):
        parse_solutions(task, [[[1]]], origin="s.json")
