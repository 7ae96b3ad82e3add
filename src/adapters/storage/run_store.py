"""Where a run's results live: results.db in its folder, unless settings name another database URL."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy.exc import DatabaseError

from arc_ttt.adapters.storage.engine import BUSY_TIMEOUT_MS, sqlite_url
from arc_ttt.adapters.storage.result_store import SqlResultStore
from arc_ttt.domain.errors import ArcTttError

RESULTS_DB = "results.db"
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")  # files SQLite keeps next to a database
_NOT_A_DATABASE = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


class UnreadableResultsError(ArcTttError, ValueError):
    """A run folder's results.db is not a database SQLite can read (another file, or damaged)."""


def open_result_store(out_dir: Path, url: str | None = None, *, set_aside_unreadable: bool = False,
                      busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> SqlResultStore:
    """The run's store. A results.db that is not a readable database, or whose pages SQLite's check finds
    damaged, is an error, or, with `set_aside_unreadable` (a run about to write results), renamed out of the
    way, never deleted, so that the run starts a fresh one; the store's `notices` then say so."""
    if url:
        return SqlResultStore(url, busy_timeout=busy_timeout)
    path = Path(out_dir) / RESULTS_DB
    try:
        store = SqlResultStore(sqlite_url(path), busy_timeout=busy_timeout)
        try:
            problem = store.integrity_problem()
        except DatabaseError:
            store.close()
            raise
        if problem is None:
            return store
        store.close()
        reason = f"damaged: {problem}"
    except DatabaseError as exc:
        found = _unreadable_reason(exc)
        if found is None:  # not the file's fault: database_errors has said what it is, or this is a bug
            raise
        reason = found
    if not set_aside_unreadable:
        raise UnreadableResultsError(f"{path} is not a readable results database ({reason})")
    kept = _set_aside(path)
    store = SqlResultStore(sqlite_url(path), busy_timeout=busy_timeout)
    store.notices = (f"{path} was not a readable results database ({reason}); it is kept as {kept.name} and this "
                     "run's results start afresh",)
    return store



def open_run_results(run_dir: Path) -> SqlResultStore:
    """The results an earlier run left in its folder, to be read (the ExistingRunOpener port): always the
    folder's own results.db, and a folder without one is refused rather than given a new, empty store."""
    if not (Path(run_dir) / RESULTS_DB).is_file():
        raise ValueError(f"{run_dir}: no {RESULTS_DB} here; is it a run folder of `arc-ttt solve`?")
    return open_result_store(run_dir)

def _unreadable_reason(exc: DatabaseError) -> str | None:
    """SQLite's words when the file itself is damaged or not a database, else None."""
    orig = exc.orig
    name = getattr(orig, "sqlite_errorname", None)
    text = str(orig) if orig is not None else str(exc)
    if name in _NOT_A_DATABASE or (name is None and ("not a database" in text or "malformed" in text)):
        return text
    return None


def _set_aside(path: Path) -> Path:
    kept = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
    path.rename(kept)
    for suffix in _SQLITE_COMPANIONS:  # a stale write-ahead log must not be replayed into the new file
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(kept.with_name(kept.name + suffix))
    return kept
