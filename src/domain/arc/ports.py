"""Ports of the ARC basics: where tasks come from."""

from __future__ import annotations

from dataclasses import dataclass
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
