"""The Kaggle submission format: {task_id: [{"attempt_1": grid, "attempt_2": grid}, ...]}."""

from __future__ import annotations

from collections.abc import Mapping

from arc_ttt.domain.attempts import Attempts
from arc_ttt.domain.errors import TaskFormatError
from arc_ttt.domain.grid import Grid
from arc_ttt.domain.task import check_task_id
from arc_ttt.domain.task_parsing import parse_grid

SubmittedGrids = dict[str, list[tuple[Grid, Grid]]]


def submission_json(attempts: Mapping[str, tuple[Attempts, ...]]) -> dict[str, list[dict[str, list[list[int]]]]]:
    """JSON-ready submission, tasks in sorted order so that equal runs give byte-equal files."""
    return {tid: [a.to_json() for a in attempts[tid]] for tid in sorted(attempts)}


def parse_submission(raw: object, *, origin: str) -> SubmittedGrids:
    """Read a submission back into grids; raises TaskFormatError naming the task and entry at fault."""
    if not isinstance(raw, Mapping):
        raise TaskFormatError(f"expected a JSON object of tasks, got {type(raw).__name__}", origin=origin)
    parsed: SubmittedGrids = {}
    for task_id, entries in raw.items():
        tid = check_task_id(task_id, origin=origin)
        if not isinstance(entries, list):
            raise TaskFormatError("expected a list of attempt objects", origin=origin, task_id=tid)
        pairs = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, Mapping) or "attempt_1" not in entry or "attempt_2" not in entry:
                raise TaskFormatError("expected {'attempt_1': grid, 'attempt_2': grid}",
                                      origin=origin, task_id=tid, field=f"[{i}]")
            pairs.append(tuple(
                parse_grid(entry[key], origin=origin, task_id=tid, field=f"[{i}].{key}")
                for key in ("attempt_1", "attempt_2")
            ))
        parsed[tid] = pairs  # type: ignore[assignment]
    return parsed
