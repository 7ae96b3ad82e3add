"""Kaggle's ARC Prize files: `*_challenges.json` and, when known, `*_solutions.json`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from arc_ttt.adapters.datasets.task_files import parse_task_mapping, read_json, sorted_unique
from arc_ttt.domain.arc.ports import TaskLoad
from arc_ttt.domain.errors import TaskFormatError


class KaggleChallengesSource:
    def __init__(self, challenges: Path, solutions: Path | None = None) -> None:
        self.challenges = Path(challenges)
        self.solutions = Path(solutions) if solutions else None

    @property
    def name(self) -> str:
        return str(self.challenges)

    def load(self) -> TaskLoad:
        try:
            raw = read_json(self.challenges)
        except TaskFormatError as problem:
            return TaskLoad((), (problem,))
        solutions: Mapping[str, object] | None = None
        problems: list[TaskFormatError] = []
        if self.solutions is not None:
            try:
                loaded = read_json(self.solutions)
                if isinstance(loaded, Mapping):
                    solutions = loaded
                else:
                    problems.append(TaskFormatError("expected a JSON object of solutions", origin=str(self.solutions)))
            except TaskFormatError as problem:
                problems.append(problem)
        tasks, parse_problems = parse_task_mapping(
            raw, origin=str(self.challenges), solutions=solutions, solutions_origin=str(self.solutions or "")
        )
        problems.extend(parse_problems)
        ordered = sorted_unique(tasks, problems, origin=str(self.challenges))
        return TaskLoad(tuple(ordered), tuple(problems))
