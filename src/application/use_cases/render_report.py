"""RenderReport: the reports of any run folder, finished or not, from its results.db alone.

The tasks are drawn again from the source the run recorded; when that source is gone (a deleted
folder, a moved file) the reports still show every attempt, without train pairs or expected outputs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from arc_ttt.domain.arc.ports import TaskSourceSpecs
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.solving.ports import ExistingRunOpener, ReportWriter, RunSummary

META_KEYS = ("source", "source_spec", "solver", "hardware", "profile", "warnings", "stop_reason", "complete",
             "wall_seconds", "estimate")


def _decode(value: str | None) -> object:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


class RenderReport:
    def __init__(self, report_writers: Sequence[ReportWriter], open_run: ExistingRunOpener,
                 source_specs: TaskSourceSpecs) -> None:
        self.report_writers = list(report_writers)
        self.open_run = open_run  # refuses a folder without a run's results
        self.source_specs = source_specs  # the run's recorded source, opened again to draw its tasks
        self.warnings: list[str] = []  # what the store could not read (a damaged row), for the user

    def summary(self, run_dir: Path) -> RunSummary:
        run_dir = Path(run_dir)
        store = self.open_run(run_dir)
        try:
            results = store.results()
            meta = {key: _decode(store.get_meta(key)) for key in META_KEYS}
            self.warnings = list(store.notices)
        finally:
            store.close()
        tasks = self._tasks(meta.get("source_spec"), {r.task_id for r in results})
        wall = meta.get("wall_seconds")
        return RunSummary(
            source=str(meta.get("source") or run_dir),
            solver=str(meta.get("solver") or (results[0].solver if results else "unknown")),
            tasks=tasks,
            results=tuple(results),
            problems=(),
            wall_seconds=float(wall) if isinstance(wall, int | float) else sum(r.seconds for r in results),
            complete=meta.get("complete") is True,
            meta={k: v for k, v in meta.items() if v is not None},
        )

    def _tasks(self, spec: object, wanted: set[str]) -> tuple[Task, ...]:
        source = self.source_specs.reopen(spec) if isinstance(spec, dict) else None
        if source is None:
            return ()
        try:
            loaded = source.load()
        except Exception:  # a source that cannot be read any more only costs the drawings
            return ()
        return tuple(t for t in loaded.tasks if t.id in wanted)

    def __call__(self, run_dir: Path) -> list[Path]:
        summary = self.summary(run_dir)
        written: list[Path] = []
        for writer in self.report_writers:
            written.extend(Path(p) for p in writer.write(Path(run_dir), summary))
        return written
