"""A folder of `<task_id>.json` files, the layout of the ARC repositories."""

from __future__ import annotations

from pathlib import Path

from arc_ttt.adapters.datasets.task_files import read_json, sorted_unique
from arc_ttt.domain.arc.parsing import parse_task
from arc_ttt.domain.arc.ports import TaskLoad
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.errors import TaskFormatError


class JsonFolderSource:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @property
    def name(self) -> str:
        return str(self.folder)

    def load(self) -> TaskLoad:
        if not self.folder.is_dir():
            problem = TaskFormatError("not a folder of task files", origin=str(self.folder))
            return TaskLoad((), (problem,))
        tasks: list[Task] = []
        problems: list[TaskFormatError] = []
        try:
            files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() == ".json")
        except OSError as exc:  # no permission to list it, or gone since: the user's to fix, in one line
            problem = TaskFormatError(f"cannot read the folder: {exc.strerror or exc}", origin=str(self.folder))
            return TaskLoad((), (problem,))
        if not files:
            problems.append(TaskFormatError("no .json task files found", origin=str(self.folder)))
        for path in files:
            if path.is_symlink() or not path.is_file():
                problems.append(TaskFormatError("not a regular file; skipped", origin=str(path)))
                continue
            try:
                tasks.append(parse_task(path.stem, read_json(path), origin=str(path)))
            except TaskFormatError as problem:
                problems.append(problem)
        ordered = sorted_unique(tasks, problems, origin=str(self.folder))
        return TaskLoad(tuple(ordered), tuple(problems))
