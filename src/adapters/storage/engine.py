"""SQLAlchemy engines set up for durability: SQLite in WAL mode with a busy timeout and foreign keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, MetaData, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, ProgrammingError
from sqlalchemy.sql.expression import Executable

from arc_ttt.domain.errors import ArcTttError, StoreUnavailableError, message_line

BUSY_TIMEOUT_MS = 30_000
# SQLite's result codes for a store that is there but cannot be used now (sqlite3 names them since Python 3.11)
_UNAVAILABLE = {"SQLITE_BUSY": "locked by another process", "SQLITE_LOCKED": "locked by another process",
                "SQLITE_READONLY": "read-only (no permission to write it or its folder)",
                "SQLITE_CANTOPEN": "cannot be opened (no permission, or its folder is gone)",
                "SQLITE_PERM": "no permission", "SQLITE_FULL": "the disk is full"}
_UNAVAILABLE_WORDS = {"database is locked": "locked by another process", "readonly": _UNAVAILABLE["SQLITE_READONLY"],
                      "unable to open": _UNAVAILABLE["SQLITE_CANTOPEN"], "disk is full": "the disk is full"}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


class DatabaseUrlError(ArcTttError, ValueError):
    """A database URL that names no dialect SQLAlchemy knows, or one whose driver is not installed."""


def where_of(url: str) -> str:
    """The file of an SQLite URL, else the URL without its password: what an error line names."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or url
    return parsed.render_as_string(hide_password=True)


def unavailable_reason(exc: DatabaseError) -> str | None:
    """Why the database cannot be used now, in words, when the cause is outside the project (a lock, a
    permission, a full disk, a server that cannot be reached); None for anything else."""
    orig = exc.orig
    name = getattr(orig, "sqlite_errorname", None)
    if name in _UNAVAILABLE:
        return _UNAVAILABLE[name]
    text = str(orig) if orig is not None else str(exc)
    for words, reason in _UNAVAILABLE_WORDS.items():
        if words in text:
            return reason
    if isinstance(exc, OperationalError) and type(orig).__module__.split(".")[0] in ("psycopg", "psycopg2"):
        return f"the database server cannot be reached ({message_line(orig)})"  # type: ignore[arg-type]
    return None


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a database error whose cause is outside the project into a StoreUnavailableError naming the file
    or URL; any other error goes on as it is."""
    try:
        yield
    except DatabaseError as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        raise StoreUnavailableError(reason, where=where_of(url)) from None


def make_engine(url: str, busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite files get WAL, a busy timeout (seconds: how long a statement
    waits for another process's lock before it fails) and synchronous=NORMAL."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True, connect_args=_connect_timeout(parsed.get_backend_name(),
                                                                                        busy_timeout))
    except ArgumentError as exc:
        raise DatabaseUrlError(f"database URL not usable: {message_line(exc)}") from None
    except ImportError as exc:
        raise DatabaseUrlError(f"database URL needs a driver that is not installed: {exc}") from None
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout})
    busy_ms = max(1, int(busy_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # a text column damaged on disk reads as text with escapes, so that the row it is in (named, skipped) is
        # the only casualty, not every query that meets it
        dbapi_connection.text_factory = lambda data: data.decode("utf-8", "surrogateescape")
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _connect_timeout(backend: str, seconds: float) -> dict[str, object]:
    """A server that does not answer fails in about the busy timeout rather than the driver's default."""
    return {"connect_timeout": max(1, int(seconds))} if backend == "postgresql" else {}


def create_tables(engine: Engine, metadata: MetaData, tables: list[Table] | None = None, attempts: int = 5) -> None:
    """create_all, tolerating another process creating the same tables at the same moment."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine, tables=tables)
            return
        except OperationalError as exc:  # SQLite: "table ... already exists" when a peer won the race
            if "already exists" not in str(exc) or attempt == attempts - 1:
                raise
        except ProgrammingError as exc:  # PostgreSQL: duplicate table / type
            if ("already exists" not in str(exc) and "duplicate" not in str(exc).lower()) or attempt == attempts - 1:
                raise


def upsert(engine: Engine, model: type, values: dict[str, object], keys: list[str]) -> Executable:
    """INSERT ... ON CONFLICT DO UPDATE for SQLite and PostgreSQL: one atomic statement, no read-then-write race."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        raise NotImplementedError(f"no upsert for {engine.dialect.name}; use SQLite or PostgreSQL")
    statement = dialect_insert(model).values(**values)
    updates = {k: v for k, v in values.items() if k not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=updates)
