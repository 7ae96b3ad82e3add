"""Turning decoded JSON into tasks, with errors that name the origin, the task and the field.

Kept in the domain (it is pure) so that every loader, whatever its file layout, applies the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping

from arc_ttt.domain.arc.grid import Grid, grid_problem
from arc_ttt.domain.arc.task import Example, Task, check_task_id
from arc_ttt.domain.errors import TaskFormatError


def parse_grid(raw: object, *, origin: str, task_id: str, field: str) -> Grid:
    problem = grid_problem(raw)
    if problem:
        raise TaskFormatError(problem, origin=origin, task_id=task_id, field=field)
    return Grid(tuple(tuple(row) for row in raw))  # type: ignore[union-attr]


def _parse_examples(raw: object, *, origin: str, task_id: str, part: str, need_output: bool) -> tuple[Example, ...]:
    if not isinstance(raw, list):
        raise TaskFormatError(f"expected a list of examples, got {type(raw).__name__}",
                              origin=origin, task_id=task_id, field=part)
    if not raw:
        raise TaskFormatError("no examples", origin=origin, task_id=task_id, field=part)
    examples = []
    for i, item in enumerate(raw):
        where = f"{part}[{i}]"
        if not isinstance(item, Mapping):
            raise TaskFormatError(f"expected an object, got {type(item).__name__}",
                                  origin=origin, task_id=task_id, field=where)
        if "input" not in item:
            raise TaskFormatError("missing key 'input'", origin=origin, task_id=task_id, field=where)
        if need_output and "output" not in item:
            raise TaskFormatError("missing key 'output'", origin=origin, task_id=task_id, field=where)
        if need_output and item["output"] is None:
            raise TaskFormatError("no output grid (null)", origin=origin, task_id=task_id, field=f"{where}.output")
        grid_in = parse_grid(item["input"], origin=origin, task_id=task_id, field=f"{where}.input")
        grid_out = None
        if item.get("output") is not None:
            grid_out = parse_grid(item["output"], origin=origin, task_id=task_id, field=f"{where}.output")
        examples.append(Example(grid_in, grid_out))
    return tuple(examples)


def parse_task(task_id: object, raw: object, *, origin: str) -> Task:
    """Validate and build a task; raise TaskFormatError describing the first problem found."""
    safe_id = check_task_id(task_id, origin=origin)
    if not isinstance(raw, Mapping):
        raise TaskFormatError(f"expected a JSON object, got {type(raw).__name__}", origin=origin, task_id=safe_id)
    for key in ("train", "test"):
        if key not in raw:
            raise TaskFormatError(f"missing key '{key}'", origin=origin, task_id=safe_id)
    train = _parse_examples(raw["train"], origin=origin, task_id=safe_id, part="train", need_output=True)
    test = _parse_examples(raw["test"], origin=origin, task_id=safe_id, part="test", need_output=False)
    return Task(safe_id, train, test)


def parse_solutions(task: Task, raw: object, *, origin: str) -> Task:
    """Attach a Kaggle solutions entry (a list of output grids, one per test input) to a task."""
    if not isinstance(raw, list) or len(raw) != len(task.test):
        n = len(raw) if isinstance(raw, list) else type(raw).__name__
        raise TaskFormatError(f"expected {len(task.test)} solution grids, got {n}", origin=origin, task_id=task.id)
    outputs = tuple(
        parse_grid(g, origin=origin, task_id=task.id, field=f"solutions[{i}]") for i, g in enumerate(raw)
    )
    return task.with_solutions(outputs)
