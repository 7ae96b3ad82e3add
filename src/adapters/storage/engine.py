"""SQLAlchemy engines set up for durability: SQLite in WAL mode with a busy timeout and foreign keys."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, MetaData, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError
from sqlalchemy.sql.expression import Executable

from arc_ttt.domain.errors import ArcTttError, message_line

BUSY_TIMEOUT_MS = 30_000


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


class DatabaseUrlError(ArcTttError, ValueError):
    """A database URL that names no dialect SQLAlchemy knows, or one whose driver is not installed."""


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite files get WAL, a busy timeout and synchronous=NORMAL."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"database URL not usable: {message_line(exc)}") from None
    except ImportError as exc:
        raise DatabaseUrlError(f"database URL needs a driver that is not installed: {exc}") from None
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


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
