"""Where adapter files live and how they are written: `<root>/adapters/<task_id>/v000007.safetensors`.

Paths are built only from a checked task id and an integer, never from stored or archived names. A file is
written to a temporary name in its folder, fsynced, then linked to its final name (which fails if that
name exists, so nothing is ever overwritten by accident) and the folder is fsynced: once `write_new`
returns, the bytes survive a crash or power loss.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from arc_ttt.domain.arc.task import check_task_id

ADAPTERS_DIR = "adapters"
SUFFIX = ".safetensors"
_NAME = re.compile(r"v(\d{6,})\.safetensors")
CHUNK = 1 << 20


def file_name(version: int) -> str:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer, got {version!r}")
    return f"v{version:06d}{SUFFIX}"


def relative_path(task_id: str, version: int) -> str:
    """The POSIX path below the store root (and the member name in an archive)."""
    return f"{ADAPTERS_DIR}/{check_task_id(task_id)}/{file_name(version)}"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True, slots=True)
class StrayFile:
    """Something under the adapters folder that no row accounts for: a file left by a crash between the
    file and its row, a temporary file, or anything else put there by hand."""

    path: Path
    reason: str


class WeightFiles:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.adapters = self.root / ADAPTERS_DIR

    def path(self, task_id: str, version: int) -> Path:
        return self.root / relative_path(task_id, version)

    def parse(self, path: Path) -> tuple[str, int] | None:
        """(task id, version) when `path` is exactly where that version's file belongs, else None."""
        match = _NAME.fullmatch(path.name)
        if match is None or path.parent.parent != self.adapters:
            return None
        try:
            task_id, version = check_task_id(path.parent.name), int(match.group(1))
            return (task_id, version) if version >= 1 and self.path(task_id, version) == path else None
        except ValueError:
            return None

    def _make_folder(self, folder: Path) -> None:
        """Create missing folders and fsync each parent, so a new task folder survives a power loss too."""
        if folder.is_dir():
            return
        self._make_folder(folder.parent)
        try:
            folder.mkdir()
        except FileExistsError:  # another process made it first
            return
        _fsync_dir(folder.parent)

    def _temp(self, final: Path, data: bytes) -> Path:
        self._make_folder(final.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp)

    def write_new(self, task_id: str, version: int, data: bytes) -> Path | None:
        """Durably create the file; None (and nothing written) when a file of that name already exists."""
        final = self.path(task_id, version)
        tmp = self._temp(final, data)
        try:
            os.link(tmp, final)
        except FileExistsError:
            return None
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(final.parent)
        return final

    def replace(self, task_id: str, version: int, data: bytes) -> Path:
        """Durably put `data` at the version's path, replacing whatever is there (explicit overwrite only)."""
        final = self.path(task_id, version)
        tmp = self._temp(final, data)
        try:
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)
        return final

    def read(self, task_id: str, version: int) -> bytes:
        """The file's bytes; FileNotFoundError when it is gone. Symlinks are not followed."""
        fd = os.open(self.path(task_id, version), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            return handle.read()

    def remove(self, task_id: str, version: int) -> bool:
        path = self.path(task_id, version)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def scan(self, task_id: str | None = None) -> Iterator[tuple[str, int] | StrayFile]:
        """Every (task id, version) file under the adapters folder, and every entry that is not one.
        Nothing is followed: a symlink is reported, never read."""
        if not self.adapters.is_dir():
            return
        folders = [self.adapters / check_task_id(task_id)] if task_id else sorted(self.adapters.iterdir())
        for folder in folders:
            if folder.is_symlink() or not folder.is_dir():
                if folder.exists() or folder.is_symlink():
                    yield StrayFile(folder, "not a task folder")
                continue
            try:
                check_task_id(folder.name)
            except ValueError:
                yield StrayFile(folder, "folder name is not a valid task id")
                continue
            for entry in sorted(folder.iterdir()):
                match = _NAME.fullmatch(entry.name)
                if entry.is_symlink() or not entry.is_file():
                    yield StrayFile(entry, "not a regular file")
                elif entry.name.endswith(".tmp") and entry.name.startswith("."):
                    yield StrayFile(entry, "temporary file left by an interrupted write")
                elif match is None or int(match.group(1)) < 1 or entry.name != file_name(int(match.group(1))):
                    yield StrayFile(entry, "unexpected file name")
                else:
                    yield folder.name, int(match.group(1))
