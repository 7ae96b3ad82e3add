"""One run per run folder: an advisory lock on `run.lock` in the folder, held while the run lasts.

The operating system releases the lock when the process ends, however it ends (`kill -9` included), so a
lock is never stale; the file keeps the pid of the last run that held it, to name it to a refused one.
The file is left in place: removing it would let two runs lock two different files of the same name.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from arc_ttt.domain.errors import RunFolderBusyError, RunFolderError

LOCK_FILE = "run.lock"


class FileRunLock:
    """The RunFolderLock port with `flock` (POSIX)."""

    @contextmanager
    def claim(self, run_dir: Path, /) -> Iterator[Path]:
        path = Path(run_dir) / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a read-only folder (or lock file): no run can write here
            raise RunFolderError(f"cannot write in run folder {run_dir}: {exc.strerror or exc}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
                raise RunFolderBusyError(
                    f"run folder {run_dir} is in use by another arc-ttt run (pid {holder}); wait for it to end, "
                    "or choose another --out") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield path
        finally:
            os.close(fd)  # closing the descriptor releases the lock
