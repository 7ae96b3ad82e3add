"""Errors the domain raises. Each one says where the problem is (file or task, field) and what it is,
so that the command line can print it as one line and move on to the next task."""

from __future__ import annotations


class ArcTttError(Exception):
    """Base of every error this project raises on purpose."""


def message_line(exc: BaseException) -> str:
    """The first non-empty line of the message, or the type's name when there is none: some messages start
    with a newline (multiprocessing's), and cutting at the first line would leave nothing."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def error_line(exc: BaseException) -> str:
    """`Type: message` on one line (`message_line`)."""
    name = type(exc).__name__
    return f"{name}: {message_line(exc)}" if str(exc).strip() else name


class InvalidGridError(ArcTttError, ValueError):
    """A grid breaks ARC's rules (shape 1..30 x 1..30, rectangular, colors 0..9)."""


class TaskFormatError(ArcTttError, ValueError):
    """A task cannot be used; `origin` names the file (or dataset) and `task_id` the task."""

    def __init__(self, problem: str, *, origin: str = "", task_id: str = "", field: str = "") -> None:
        self.problem = problem
        self.origin = origin
        self.task_id = task_id
        self.field = field
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ": ".join(part for part in (self.origin, f"task {self.task_id}" if self.task_id else "") if part)
        what = f"{self.field}: {self.problem}" if self.field else self.problem
        return f"{where}: {what}" if where else what


class UnsafeTaskIdError(TaskFormatError):
    """A task id that could escape a folder or confuse a file system; it never touches a path."""


class CheckpointIntegrityError(ArcTttError):
    """A stored adapter file is missing or its bytes no longer match the recorded sha256."""


class CheckpointFormatError(ArcTttError, ValueError):
    """Adapter bytes or metadata that cannot be stored: not a well-formed safetensors payload, a metric that
    is not a finite number, a tag or name that is empty or too long."""


class CheckpointArchiveError(ArcTttError, ValueError):
    """A checkpoint archive that is refused as a whole: an unsafe member (absolute path, '..', a link or
    device, too large), a missing or malformed manifest, or a hash that does not match; or an export target
    that would destroy something (an existing file without overwrite, a device or folder, the store itself)."""


class OutOfMemory(ArcTttError):
    """The accelerator (or host) ran out of memory for one step; the caller may retry smaller."""


class RunFolderError(ArcTttError, ValueError):
    """The run folder cannot be created, written or is not a folder; nothing has been solved yet."""


class RunFolderBusyError(RunFolderError):
    """Another run holds the run folder: two runs writing one folder would mix (and delete) each other's
    results, so the second is refused before it touches anything."""


class StoreUnavailableError(ArcTttError):
    """The result store cannot be used now for a reason outside the project: a lock another process does not
    release, a read-only file or folder, a database server that refuses connections. `where` names the file
    or URL (without a password)."""

    def __init__(self, problem: str, *, where: str = "") -> None:
        self.problem, self.where = problem, where
        super().__init__(f"{where}: {problem}" if where else problem)
