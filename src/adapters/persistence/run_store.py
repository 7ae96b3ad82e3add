"""Where a run's results live: results.db in its folder, unless settings name another database URL."""

from __future__ import annotations

from pathlib import Path

from arc_ttt.adapters.persistence.engine import sqlite_url
from arc_ttt.adapters.persistence.result_store import SqlResultStore

RESULTS_DB = "results.db"


def open_result_store(out_dir: Path, url: str | None = None) -> SqlResultStore:
    return SqlResultStore(url or sqlite_url(Path(out_dir) / RESULTS_DB))
