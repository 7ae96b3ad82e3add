"""Checking a store against its rows: corrupted and missing files, and strays that no row accounts for.

Files are listed before rows are read, so a save that commits meanwhile is not reported; one still between
its file and its row is. That is why stray removal only touches files older than a grace period and
re-checks, just before deleting, that no row has appeared for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from arc_ttt.adapters.storage.checkpoints.weight_files import StrayFile, WeightFiles, sha256_file
from arc_ttt.domain.checkpoints.ports import CheckpointInfo

Finder = Callable[[str | None], list[CheckpointInfo]]
RowExists = Callable[[str, int], bool]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    checked: int = 0
    corrupted: tuple[tuple[CheckpointInfo, str], ...] = ()
    missing: tuple[CheckpointInfo, ...] = ()
    stray: tuple[StrayFile, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.corrupted or self.missing or self.stray)


def find_strays(files: WeightFiles, find: Finder, task_id: str | None = None) -> tuple[list[StrayFile],
                                                                                      list[CheckpointInfo]]:
    """The strays, and the rows they were compared with."""
    on_disk = list(files.scan(task_id))
    infos = find(task_id)
    known = {(i.task_id, i.version) for i in infos}
    strays = [e if isinstance(e, StrayFile) else StrayFile(files.path(*e), "no row for this file")
              for e in on_disk if isinstance(e, StrayFile) or e not in known]
    return strays, infos


def verify_store(files: WeightFiles, find: Finder, task_id: str | None = None) -> VerifyReport:
    """Hash every file against its row (size first, then sha256), and list the strays."""
    strays, infos = find_strays(files, find, task_id)
    corrupted: list[tuple[CheckpointInfo, str]] = []
    missing: list[CheckpointInfo] = []
    for info in infos:
        path = files.path(info.task_id, info.version)
        if path.is_symlink() or not path.is_file():
            missing.append(info)
            continue
        digest, size = sha256_file(path)
        if size != info.size_bytes:
            corrupted.append((info, f"size {size} bytes, expected {info.size_bytes}"))
        elif digest != info.sha256:
            corrupted.append((info, "sha256 mismatch"))
    return VerifyReport(len(infos), tuple(corrupted), tuple(missing), tuple(strays))


def remove_strays(files: WeightFiles, find: Finder, row_exists: RowExists, *, older_than_seconds: float,
                  task_id: str | None = None) -> list[StrayFile]:
    """Delete stray files and links (never folders) last modified more than `older_than_seconds` ago."""
    removed = []
    now = time.time()
    for stray in find_strays(files, find, task_id)[0]:
        path = stray.path
        try:
            status = path.lstat()
        except FileNotFoundError:
            continue
        if path.is_dir() and not path.is_symlink():
            continue
        if now - status.st_mtime < older_than_seconds:
            continue
        parsed = files.parse(path)
        if parsed is not None and row_exists(*parsed):  # committed since it was listed
            continue
        path.unlink(missing_ok=True)
        removed.append(stray)
    return removed
