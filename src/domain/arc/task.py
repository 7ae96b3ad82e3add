"""Tasks: demonstration pairs (train) and test inputs whose outputs may or may not be known."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from itertools import chain

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.errors import TaskFormatError, UnsafeTaskIdError

# Letters, digits, '_', '-', '.', not starting with '.', at most 64 characters. Anything else
# (separators, '..', control characters, empty) is refused before an id is ever joined to a path.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")


def check_task_id(task_id: object, *, origin: str = "") -> str:
    """Return `task_id` if it is safe to use as a file name, else raise UnsafeTaskIdError."""
    if not isinstance(task_id, str) or not _SAFE_ID.fullmatch(task_id) or ".." in task_id:
        raise UnsafeTaskIdError(
            f"unsafe task id {task_id!r} (allowed: ASCII letters, digits, '_', '-', '.', no '..', at most 64)",
            origin=origin,
        )
    return task_id


@dataclass(frozen=True, slots=True)
class Example:
    input: Grid
    output: Grid | None = None

    def __post_init__(self) -> None:
        """Refused here rather than deep inside a solver: code building tasks by hand (the Python API) gets the
        same clear error a task file gets from the parser."""
        if not isinstance(self.input, Grid):
            raise TypeError(f"an example's input must be a Grid (Grid.of(rows)), got {type(self.input).__name__}")
        if self.output is not None and not isinstance(self.output, Grid):
            raise TypeError(f"an example's output must be a Grid or None, got {type(self.output).__name__}")


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    train: tuple[Example, ...]
    test: tuple[Example, ...]

    def __post_init__(self) -> None:
        """The rules a task file must follow (see parsing): at least one train pair, each with its output, and at
        least one test input; a task without them would leave a submission entry with no answers."""
        check_task_id(self.id)
        for part in ("train", "test"):
            examples = getattr(self, part)
            if isinstance(examples, list):
                object.__setattr__(self, part, tuple(examples))
            elif not isinstance(examples, tuple):
                raise TypeError(f"task {self.id}: {part} must be a tuple of Example, got {type(examples).__name__}")
            if not getattr(self, part):
                raise TaskFormatError("no examples", task_id=self.id, field=part)
            for i, example in enumerate(getattr(self, part)):
                if not isinstance(example, Example):
                    raise TypeError(f"task {self.id}: {part}[{i}] must be an Example, got {type(example).__name__}")
        for i, example in enumerate(self.train):
            if example.output is None:
                raise TaskFormatError("a train pair needs its output", task_id=self.id, field=f"train[{i}].output")

    @property
    def has_solutions(self) -> bool:
        return all(example.output is not None for example in self.test)

    def solutions(self) -> tuple[Grid, ...] | None:
        if not self.has_solutions:
            return None
        return tuple(example.output for example in self.test if example.output is not None)

    def without_solutions(self) -> Task:
        """The task as a solver must see it: test outputs removed."""
        return Task(self.id, self.train, tuple(Example(ex.input) for ex in self.test))

    def with_solutions(self, outputs: tuple[Grid, ...]) -> Task:
        if len(outputs) != len(self.test):
            raise ValueError(f"task {self.id}: {len(outputs)} solutions for {len(self.test)} test inputs")
        return Task(self.id, self.train, tuple(Example(ex.input, out) for ex, out in zip(self.test, outputs)))


def _grid_bytes(grid: Grid | None) -> bytes:
    if grid is None:
        return b"\xff"
    return bytes(grid.shape) + bytes(chain.from_iterable(grid.rows))


def content_hash(task: Task) -> str:
    """A digest of what a solver sees of `task` (its train pairs and test inputs; not its id, nor test outputs),
    stored with its result, so that a resumed run solves a task again when its file changed since."""
    digest = hashlib.sha256()
    for part, examples in ((b"train", task.train), (b"test", task.test)):
        digest.update(part + len(examples).to_bytes(4, "big"))
        for example in examples:
            digest.update(_grid_bytes(example.input))
            digest.update(_grid_bytes(example.output if part == b"train" else None))
    return digest.hexdigest()[:32]
