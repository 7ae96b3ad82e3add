"""Tables of the checkpoint store and their versioned migrations.

The schema version lives in `checkpoint_meta`. A store created now is built at `SCHEMA_VERSION` directly;
an older one is brought forward by running `MIGRATIONS[v]` for each v above its version, in order, inside
one write transaction. The next change to these tables adds its function under `SCHEMA_VERSION + 1` and
bumps `SCHEMA_VERSION`; a store newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import BigInteger, Connection, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from arc_ttt.domain.errors import ArcTttError

SCHEMA_VERSION = 1
SCHEMA_KEY = "schema_version"


class CheckpointBase(DeclarativeBase):
    pass


class CheckpointRow(CheckpointBase):
    __tablename__ = "checkpoints"
    __table_args__ = (
        UniqueConstraint("task_id", "version", name="uq_checkpoints_task_version"),
        Index("ix_checkpoints_base_model", "base_model"),
        Index("ix_checkpoints_base_model_hash", "base_model_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    base_model: Mapped[str] = mapped_column(String(256))
    base_model_hash: Mapped[str] = mapped_column(String(256))
    lora_config_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))

    metrics: Mapped[list[MetricRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    tags: Mapped[list[TagRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class MetricRow(CheckpointBase):
    """One row per metric, so `best` by any metric is a plain query on PostgreSQL and SQLite alike."""

    __tablename__ = "checkpoint_metrics"

    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class TagRow(CheckpointBase):
    __tablename__ = "checkpoint_tags"
    __table_args__ = (Index("ix_checkpoint_tags_tag", "tag"),)

    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class TaskCounterRow(CheckpointBase):
    """The last version handed out per task. Versions are never reused, even after cleanup deleted the newest
    or a crash left a number without a row, so "task X v7" always means the same weights."""

    __tablename__ = "checkpoint_tasks"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_version: Mapped[int] = mapped_column(Integer)


class MetaRow(CheckpointBase):
    __tablename__ = "checkpoint_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SchemaVersionError(ArcTttError):
    """The store was written by a newer version of this program."""


Migration = Callable[[Connection], None]

# version -> the step that brings a store from version-1 to it. Version 1 is the first schema (built by
# create_all); add e.g. `2: _add_notes_column` here together with the matching model change.
MIGRATIONS: Mapping[int, Migration] = {}


def read_schema_version(conn: Connection) -> int | None:
    if not conn.dialect.has_table(conn, MetaRow.__tablename__):
        return None
    value = conn.execute(
        MetaRow.__table__.select().where(MetaRow.__table__.c.key == SCHEMA_KEY)  # type: ignore[attr-defined]
    ).first()
    return int(value.value) if value else None


def write_schema_version(conn: Connection, version: int) -> None:
    table = MetaRow.__table__
    conn.execute(table.delete().where(table.c.key == SCHEMA_KEY))  # type: ignore[attr-defined]
    conn.execute(table.insert().values(key=SCHEMA_KEY, value=str(version)))  # type: ignore[attr-defined]


def ensure_schema(
    conn: Connection, *, target: int = SCHEMA_VERSION, migrations: Mapping[int, Migration] = MIGRATIONS
) -> int:
    """Create or migrate the tables inside the caller's (write) transaction; return the version found."""
    found = read_schema_version(conn)
    if found is None:
        CheckpointBase.metadata.create_all(conn)
        write_schema_version(conn, target)
        return 0
    if found > target:
        raise SchemaVersionError(f"checkpoint store schema version {found} is newer than this program "
                                 f"understands ({target}); upgrade arc-ttt")
    for version in range(found + 1, target + 1):
        if version not in migrations:
            raise SchemaVersionError(f"no migration to checkpoint store schema version {version}")
        migrations[version](conn)
        write_schema_version(conn, version)
    return found
