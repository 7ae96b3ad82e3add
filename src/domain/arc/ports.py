"""Ports of the ARC basics: where tasks come from, how a run remembers that to find them again, and how a
submission file is read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.errors import TaskFormatError


@dataclass(frozen=True, slots=True)
class TaskLoad:
    """What a source yielded: the valid tasks, and one problem per task or file it had to skip."""

    tasks: tuple[Task, ...]
    problems: tuple[TaskFormatError, ...] = ()

@runtime_checkable
class TaskSource(Protocol):
    @property
    def name(self) -> str: ...

    def load(self) -> TaskLoad: ...

class TaskSourceSpecs(Protocol):
    """How a run remembers where its tasks came from (a JSON-able spec kept with its results) and opens that
    source again, so that a report drawn later can show the tasks, not only the attempts."""

    def spec_of(self, source: TaskSource) -> dict[str, str]: ...

    def reopen(self, spec: Mapping[str, object]) -> TaskSource | None:
        """The source `spec` describes, or None when it cannot be opened again (moved, deleted, unknown)."""
        ...

class SubmissionReader(Protocol):
    """Reads a submission file as decoded JSON, for scoring; a file that cannot be read is a TaskFormatError
    naming it."""

    def read(self, path: Path) -> object: ...
