"""The Kaggle submission format: {task_id: [{"attempt_1": grid, "attempt_2": grid}, ...]}."""

from __future__ import annotations

from collections.abc import Mapping

from arc_ttt.domain.arc.attempts import Attempts
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.parsing import parse_grid
from arc_ttt.domain.arc.task import check_task_id
from arc_ttt.domain.errors import TaskFormatError

SubmittedGrids = dict[str, list[tuple[Grid, Grid]]]


def submission_json(attempts: Mapping[str, tuple[Attempts, ...]]) -> dict[str, list[dict[str, list[list[int]]]]]:
    """JSON-ready submission, tasks in sorted order so that equal runs give byte-equal files."""
    return {tid: [a.to_json() for a in attempts[tid]] for tid in sorted(attempts)}


def parse_submission(raw: object, *, origin: str) -> tuple[SubmittedGrids, list[TaskFormatError]]:
    """Read a submission back into grids, task by task. A task whose entries cannot be read is one
    problem naming it and the entry at fault, and it is kept with no attempts (it scores 0, like a wrong
    answer); the other tasks are read all the same. Only a file that is not a JSON object fails whole."""
    if not isinstance(raw, Mapping):
        raise TaskFormatError(f"expected a JSON object of tasks, got {type(raw).__name__}", origin=origin)
    parsed: SubmittedGrids = {}
    problems: list[TaskFormatError] = []
    for task_id, entries in raw.items():
        try:
            tid = check_task_id(task_id, origin=origin)
        except TaskFormatError as exc:
            problems.append(exc)
            continue
        try:
            parsed[tid] = _task_attempts(entries, origin=origin, task_id=tid)
        except TaskFormatError as exc:
            problems.append(exc)
            parsed[tid] = []
    return parsed, problems


def _task_attempts(entries: object, *, origin: str, task_id: str) -> list[tuple[Grid, Grid]]:
    if not isinstance(entries, list):
        raise TaskFormatError("expected a list of attempt objects", origin=origin, task_id=task_id)
    pairs = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or "attempt_1" not in entry or "attempt_2" not in entry:
            raise TaskFormatError("expected {'attempt_1': grid, 'attempt_2': grid}",
                                  origin=origin, task_id=task_id, field=f"[{i}]")
        pairs.append((parse_grid(entry["attempt_1"], origin=origin, task_id=task_id, field=f"[{i}].attempt_1"),
                      parse_grid(entry["attempt_2"], origin=origin, task_id=task_id, field=f"[{i}].attempt_2")))
    return pairs
