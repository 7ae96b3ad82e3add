"""Atomic file writes: a reader (or a crash) never sees a half-written submission or report."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: object) -> None:
    write_text_atomic(path, json.dumps(data, separators=(",", ":")) + "\n")


class AtomicFileWriter:
    """The run's files written with `write_json_atomic` (the RunFileWriter port)."""

    def write_json(self, path: Path, data: object) -> None:
        write_json_atomic(path, data)
