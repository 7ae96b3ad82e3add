"""The checkpoint repository: metadata rows in SQL (SQLite WAL by default, any SQLAlchemy URL), weights as
safetensors files beside it.

Invariant: a row exists only for a file that was durable before the row was committed. A crash can leave
a file without a row (a "stray", which `verify` reports), never a row without its file. Versions are
handed out from a per-task counter in a write transaction, so two processes saving the same task at once
get distinct numbers; the unique (task_id, version) constraint and the no-overwrite file link are the
second line of defence, and a conflict there is retried with a fresh version.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arc_ttt.adapters.storage.checkpoints.metadata import (
    check_created_at,
    check_metrics,
    check_model,
    check_sha256,
    check_tags,
    check_version,
    is_version,
    lora_config_json,
)
from arc_ttt.adapters.storage.checkpoints.row_mapping import metric_rows, tag_rows, to_info
from arc_ttt.adapters.storage.checkpoints.safetensors_format import tensor_names
from arc_ttt.adapters.storage.checkpoints.schema import (
    CheckpointRow,
    MetaRow,
    MetricRow,
    TagRow,
    TaskCounterRow,
    ensure_schema,
)
from arc_ttt.adapters.storage.checkpoints.verification import VerifyReport, remove_strays, verify_store
from arc_ttt.adapters.storage.checkpoints.weight_files import StrayFile, WeightFiles
from arc_ttt.adapters.storage.engine import make_engine, sqlite_url
from arc_ttt.domain.arc.task import check_task_id
from arc_ttt.domain.checkpoints.policy import best_of
from arc_ttt.domain.checkpoints.ports import CheckpointInfo
from arc_ttt.domain.errors import ArcTttError, CheckpointFormatError, CheckpointIntegrityError

log = logging.getLogger(__name__)

DB_NAME = "checkpoints.db"
MAX_ATTEMPTS = 20
_WRITE = {"checkpoint_write": True}

FileHook = Callable[[Path], None]


def _immediate_sqlite_writes(engine: Engine) -> None:
    """SQLite's default deferred transactions let two writers both read the same counter and then fail to
    upgrade their lock (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not cover). Write transactions
    here start with BEGIN IMMEDIATE instead: the second writer waits its turn, then reads fresh data."""

    @event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("checkpoint_write") else "BEGIN")


@dataclass(frozen=True, slots=True)
class RestoreOutcome:
    """What `restore` did with one archived checkpoint: 'added', 'replaced', or 'skipped' with the reason."""

    info: CheckpointInfo
    action: str
    reason: str = ""


class SqlCheckpointRepository:
    """`on_file_durable` is an observer hook, called with the path after a weight file is durable and
    before its row is committed (e.g. to replicate files, or for a test to stop the process exactly there).
    """

    def __init__(self, url: str, root: Path, *, engine: Engine | None = None,
                 on_file_durable: FileHook | None = None) -> None:
        self.url = url
        self.root = Path(root)
        self.files = WeightFiles(self.root)
        self.on_file_durable = on_file_durable
        self.engine = engine or make_engine(url)
        if make_url(url).get_backend_name() == "sqlite":
            _immediate_sqlite_writes(self.engine)
        with self.engine.connect() as conn:
            conn.execution_options(**_WRITE)
            with conn.begin():
                ensure_schema(conn)

    # --- sessions -----------------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A session whose transaction takes the write lock up front (SQLite) and commits on success."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options=_WRITE)
            yield session
            session.commit()

    def _reading(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # --- writing ------------------------------------------------------------------------------------

    def _allocate(self, session: Session, task_id: str) -> int:
        counter = session.get(TaskCounterRow, task_id, with_for_update=True)
        top = session.scalar(select(func.max(CheckpointRow.version)).where(CheckpointRow.task_id == task_id)) or 0
        version = max(top, counter.last_version if counter else 0) + 1
        if counter is None:
            session.add(TaskCounterRow(task_id=task_id, last_version=version))
        else:
            counter.last_version = version
        return version

    def _raise_counter(self, session: Session, task_id: str, version: int) -> None:
        counter = session.get(TaskCounterRow, task_id, with_for_update=True)
        if counter is None:
            session.add(TaskCounterRow(task_id=task_id, last_version=version))
        elif counter.last_version < version:
            counter.last_version = version

    def _next_version(self, task_id: str) -> int:
        for _ in range(MAX_ATTEMPTS):
            try:
                with self._writing() as session:
                    return self._allocate(session, task_id)
            except IntegrityError:  # another process created the task's counter first
                continue
        raise CheckpointIntegrityError(f"task {task_id}: could not allocate a version after {MAX_ATTEMPTS} tries")

    def save(
        self,
        task_id: str,
        weights: bytes,
        *,
        base_model: str,
        base_model_hash: str,
        lora_config: Mapping[str, object],
        metrics: Mapping[str, float],
        tags: Sequence[str] = (),
    ) -> CheckpointInfo:
        task_id = check_task_id(task_id, origin="checkpoint")
        origin = f"checkpoint task {task_id}"
        tensor_names(weights, origin=origin)
        weights = bytes(weights)
        model, model_hash = check_model(base_model, base_model_hash, origin=origin)
        config_json = lora_config_json(lora_config, origin=origin)
        checked_metrics = check_metrics(metrics, origin=origin)
        checked_tags = check_tags(tags, origin=origin)
        digest = hashlib.sha256(weights).hexdigest()
        for _ in range(MAX_ATTEMPTS):
            version = self._next_version(task_id)
            path = self.files.write_new(task_id, version, weights)
            if path is None:
                log.warning("%s: a stray file already holds v%d; using the next version", origin, version)
                continue
            if self.on_file_durable is not None:
                self.on_file_durable(path)
            row = CheckpointRow(task_id=task_id, version=version, base_model=model, base_model_hash=model_hash,
                                lora_config_json=config_json, created_at=_now(), size_bytes=len(weights),
                                sha256=digest)
            row.metrics = metric_rows(checked_metrics)
            row.tags = tag_rows(checked_tags)
            try:
                with self._writing() as session:
                    session.add(row)
            except IntegrityError:  # the version was taken after all: our file is ours alone, so drop it
                self.files.remove(task_id, version)
                continue
            except BaseException:  # the row may or may not be in: keeping the file is the safe side
                log.error("%s v%d: row not recorded; %s is left as a stray file", origin, version, path)
                raise
            return to_info(row)
        raise CheckpointIntegrityError(f"{origin}: could not store a new version after {MAX_ATTEMPTS} tries")

    def delete(self, task_id: str, version: int) -> bool:
        """Row first, then file: a crash in between leaves a stray file, not a row pointing at nothing."""
        task_id = check_task_id(task_id, origin="checkpoint")
        if not is_version(version):  # no row holds it, and the driver cannot even send it
            return False
        with self._writing() as session:
            row = session.scalar(select(CheckpointRow).where(CheckpointRow.task_id == task_id,
                                                             CheckpointRow.version == version))
            if row is None:
                return False
            session.delete(row)
        self.files.remove(task_id, version)
        return True

    def restore(self, info: CheckpointInfo, weights: bytes, *, overwrite: bool = False) -> RestoreOutcome:
        """Store an archived checkpoint under its own task id, version and creation time. An existing version
        is skipped unless `overwrite`; then its row goes first, the file is replaced, the new row follows."""
        task_id = check_task_id(info.task_id, origin="checkpoint")
        origin = f"checkpoint task {task_id} v{info.version}"
        version = check_version(info.version, origin=origin)
        tensor_names(weights, origin=origin)
        if hashlib.sha256(weights).hexdigest() != check_sha256(info.sha256, origin=origin):
            raise CheckpointIntegrityError(f"{origin}: sha256 of the weights does not match the manifest")
        row = CheckpointRow(
            task_id=task_id, version=version, created_at=check_created_at(info.created_at, origin=origin),
            size_bytes=len(weights), lora_config_json=lora_config_json(info.lora_config, origin=origin),
            sha256=info.sha256,
        )
        row.base_model, row.base_model_hash = check_model(info.base_model, info.base_model_hash, origin=origin)
        row.metrics = metric_rows(check_metrics(info.metrics, origin=origin))
        row.tags = tag_rows(check_tags(info.tags, origin=origin))
        existing = self.get(task_id, version)
        replaced = existing is not None
        if existing is not None:
            if not overwrite:
                same = "same weights" if existing.sha256 == info.sha256 else "different weights"
                return RestoreOutcome(info, "skipped", f"already stored ({same}); use overwrite (--force) to replace")
            self.delete(task_id, version)
        if self.files.write_new(task_id, version, weights) is None:
            if not overwrite:
                return RestoreOutcome(info, "skipped",
                                      "a stray file holds this version; use overwrite (--force) to replace")
            self.files.replace(task_id, version, weights)
            replaced = True
        for _ in range(MAX_ATTEMPTS):
            try:
                with self._writing() as session:
                    self._raise_counter(session, task_id, version)
                    session.add(row)
                break
            except IntegrityError:
                if self.get(task_id, version) is not None:  # another writer stored this version meanwhile
                    return RestoreOutcome(info, "skipped", "stored by another process meanwhile")
                row = _fresh_copy(row)  # the counter row was created meanwhile: try again
        else:
            raise CheckpointIntegrityError(f"{origin}: could not record the row after {MAX_ATTEMPTS} tries")
        return RestoreOutcome(to_info(row), "replaced" if replaced else "added")

    # --- reading ------------------------------------------------------------------------------------

    def get(self, task_id: str, version: int) -> CheckpointInfo | None:
        if not is_version(version):  # e.g. 2**63 from the command line: no row holds it, SQLite would overflow
            return None
        with self._reading() as session:
            row = session.scalar(select(CheckpointRow).where(CheckpointRow.task_id == task_id,
                                                             CheckpointRow.version == version))
            return to_info(row) if row else None

    def find(
        self,
        task_id: str | None = None,
        *,
        base_model: str | None = None,
        base_model_hash: str | None = None,
        tag: str | None = None,
    ) -> list[CheckpointInfo]:
        query = select(CheckpointRow)
        if task_id is not None:
            query = query.where(CheckpointRow.task_id == task_id)
        if base_model is not None:
            query = query.where(CheckpointRow.base_model == base_model)
        if base_model_hash is not None:
            query = query.where(CheckpointRow.base_model_hash == base_model_hash)
        if tag is not None:
            query = query.where(CheckpointRow.tags.any(TagRow.tag == tag))
        with self._reading() as session:
            rows = session.scalars(query.order_by(CheckpointRow.task_id, CheckpointRow.version)).all()
            return [to_info(row) for row in rows]

    def task_ids(self) -> list[str]:
        with self._reading() as session:
            return list(session.scalars(select(CheckpointRow.task_id).distinct().order_by(CheckpointRow.task_id)))

    def latest(self, task_id: str, base_model_hash: str | None = None) -> CheckpointInfo | None:
        found = self.find(task_id, base_model_hash=base_model_hash)
        return found[-1] if found else None

    def best(self, task_id: str, metric: str, *, higher_is_better: bool = True) -> CheckpointInfo | None:
        return best_of(self.find(task_id), metric, higher_is_better=higher_is_better)

    def load(self, info: CheckpointInfo) -> bytes:
        where = f"checkpoint task {info.task_id} v{info.version}"
        try:
            data = self.files.read(info.task_id, info.version)
        except FileNotFoundError:
            raise CheckpointIntegrityError(f"{where}: file missing "
                                           f"({self.files.path(info.task_id, info.version)})") from None
        except OSError as exc:
            raise CheckpointIntegrityError(f"{where}: file unreadable ({exc.strerror or exc})") from None
        if len(data) != info.size_bytes or hashlib.sha256(data).hexdigest() != info.sha256:
            raise CheckpointIntegrityError(f"{where}: sha256 mismatch, the file is corrupted "
                                           f"({self.files.path(info.task_id, info.version)})")
        return data

    def load_latest_good(
        self, task_id: str, base_model_hash: str | None = None
    ) -> tuple[CheckpointInfo, bytes] | None:
        for info in reversed(self.find(task_id, base_model_hash=base_model_hash)):
            try:
                return info, self.load(info)
            except CheckpointIntegrityError as exc:
                log.warning("%s; falling back to an older version", exc)
        return None

    def verify(self, task_id: str | None = None) -> VerifyReport:
        """Corrupted, missing and stray files (see verification.py for what a stray is)."""
        return verify_store(self.files, self.find, task_id)

    def remove_strays(self, *, older_than_seconds: float, task_id: str | None = None) -> list[StrayFile]:
        """Delete stray files older than the grace period; a save in flight is younger than that."""
        return remove_strays(self.files, self.find, lambda t, v: self.get(t, v) is not None,
                             older_than_seconds=older_than_seconds, task_id=task_id)

    def holds(self, path: Path) -> bool:
        """Whether `path` is part of the store: anything under its root, or its SQLite database file (with the
        journal files beside it) when the URL puts that elsewhere. Writing there would damage the store.
        Links are followed with os.path.realpath, which leaves a symlink loop as it is (Path.resolve raises
        RuntimeError on one before Python 3.13); whoever then opens such a path gets an OSError."""
        target = Path(os.path.realpath(path))
        if target.is_relative_to(os.path.realpath(self.root)):
            return True
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return False
        database = Path(os.path.realpath(url.database))
        return target.parent == database.parent and target.name in {
            database.name + suffix for suffix in ("", "-wal", "-shm", "-journal")}

    def schema_version(self) -> int:
        with self._reading() as session:
            row = session.get(MetaRow, "schema_version")
            return int(row.value) if row else 0

    def close(self) -> None:
        self.engine.dispose()


def _fresh_copy(row: CheckpointRow) -> CheckpointRow:
    copy = CheckpointRow(task_id=row.task_id, version=row.version, base_model=row.base_model,
                         base_model_hash=row.base_model_hash, lora_config_json=row.lora_config_json,
                         created_at=row.created_at, size_bytes=row.size_bytes, sha256=row.sha256)
    copy.metrics = [MetricRow(name=m.name, value=m.value) for m in row.metrics]
    copy.tags = [TagRow(tag=t.tag) for t in row.tags]
    return copy


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def open_checkpoint_repository(
    root: Path, url: str | None = None, on_file_durable: FileHook | None = None
) -> SqlCheckpointRepository:
    """The store under `root`; its database is `root/checkpoints.db` unless a URL names another."""
    if not isinstance(root, (str, Path)) or not str(root):
        raise CheckpointFormatError("checkpoints root must be a folder path")
    return SqlCheckpointRepository(url or sqlite_url(Path(root) / DB_NAME), Path(root),
                                   on_file_durable=on_file_durable)


class CheckpointStoreMissingError(ArcTttError, ValueError):
    """No checkpoint store where one was expected to exist already."""


def open_existing_checkpoint_repository(root: Path, url: str | None = None) -> SqlCheckpointRepository:
    """The store under `root`, which must exist already unless a URL names its database: a command that only
    reads or prunes the store should not make a new, empty one because of a typo in the folder's name."""
    if url is None and not (Path(root) / DB_NAME).is_file():
        raise CheckpointStoreMissingError(f"no checkpoint store at {root} (no {DB_NAME} there)")
    return open_checkpoint_repository(root, url)
