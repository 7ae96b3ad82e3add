"""A Kaggle solutions file alone, for scoring: tasks whose test inputs are unknown but outputs known."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from arc_ttt.adapters.datasets.task_files import read_json
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.parsing import parse_grid
from arc_ttt.domain.arc.ports import TaskLoad
from arc_ttt.domain.arc.task import Example, Task, check_task_id
from arc_ttt.domain.errors import TaskFormatError


class SolutionsFileSource:
    """Each task is built with its solutions as test outputs and placeholder inputs and no train
    pairs beyond one placeholder: only good for scoring, which reads nothing but the outputs."""

    def __init__(self, solutions: Path) -> None:
        self.solutions = Path(solutions)

    @property
    def name(self) -> str:
        return str(self.solutions)

    def load(self) -> TaskLoad:
        origin = str(self.solutions)
        try:
            raw = read_json(self.solutions)
        except TaskFormatError as problem:
            return TaskLoad((), (problem,))
        if not isinstance(raw, Mapping):
            return TaskLoad((), (TaskFormatError("expected a JSON object of solutions", origin=origin),))
        tasks, problems = [], []
        placeholder = Grid.filled(1, 1)
        for task_id, outputs in raw.items():
            try:
                tid = check_task_id(task_id, origin=origin)
                if not isinstance(outputs, list) or not outputs:
                    raise TaskFormatError("expected a list of output grids", origin=origin, task_id=tid)
                grids = [parse_grid(g, origin=origin, task_id=tid, field=f"[{i}]") for i, g in enumerate(outputs)]
                test = tuple(Example(placeholder, g) for g in grids)
                tasks.append(Task(tid, (Example(placeholder, placeholder),), test))
            except TaskFormatError as problem:
                problems.append(problem)
        return TaskLoad(tuple(sorted(tasks, key=lambda t: t.id)), tuple(problems))
