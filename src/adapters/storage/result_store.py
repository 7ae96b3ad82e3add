"""The result store: one row per finished task, committed the moment the task finishes, so a crash
(even `kill -9`) loses at most the task in flight and `--resume` picks up exactly where it stopped."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone

from sqlalchemy import Engine, Float, String, Text, inspect, make_url, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from arc_ttt.adapters.storage.engine import BUSY_TIMEOUT_MS, create_tables, database_errors, make_engine, upsert
from arc_ttt.domain.arc.attempts import Attempts
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.solution import Candidate
from arc_ttt.domain.errors import error_line
from arc_ttt.domain.records import json_object
from arc_ttt.domain.solving.notes import PartNote, PartOutcome, TaskNotes
from arc_ttt.domain.solving.results import TaskResult, TaskStatus

SCHEMA_VERSION = "1"


class ResultBase(DeclarativeBase):
    pass


class TaskResultRow(ResultBase):
    __tablename__ = "task_results"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    solver: Mapped[str] = mapped_column(String(64))
    attempts_json: Mapped[str] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    notes_json: Mapped[str] = mapped_column(Text, default="{}")
    finished_at: Mapped[str] = mapped_column(String(32))
    task_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")


class MetaRow(ResultBase):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def _candidate_json(c: Candidate) -> dict[str, object]:
    return {"grid": c.grid.to_list(), "source": c.source, "score": c.score, "sure": c.sure,
            "explanation": c.explanation}


def _candidate(raw: dict) -> Candidate:
    return Candidate(Grid.of(raw["grid"]), raw["source"], float(raw["score"]), bool(raw["sure"]),
                     raw.get("explanation", ""))


# The first layout of the notes kept each ensemble part's outcome under its own key, `<part>_<outcome>`
# ("ttt_error": "...", "ttt_skipped": "..."); the layout now lists them under "parts".
_FIRST_LAYOUT_PART = re.compile("(.+)_(" + "|".join(outcome.value for outcome in PartOutcome) + ")")


def _notes(raw: object) -> TaskNotes:
    """A row's notes, in either layout: the parts' outcomes of the first one are converted."""
    notes = dict(json_object(raw, "notes"))
    legacy = []
    for key in list(notes):
        if (found := _FIRST_LAYOUT_PART.fullmatch(key)) is not None:
            detail = notes.pop(key)
            if not isinstance(detail, str):
                raise TypeError(f"{key} is {type(detail).__name__}, not str")
            legacy.append(PartNote(found[1], PartOutcome(found[2]), detail))
    converted = TaskNotes.from_json(notes)
    return replace(converted, parts=converted.parts + tuple(legacy)) if legacy else converted


def _check_text(row: TaskResultRow) -> None:
    """Refuse a row whose text was damaged on disk (bytes that are not UTF-8 read back as escapes)."""
    for name in ("task_id", "status", "solver", "attempts_json", "notes_json", "error", "task_hash"):
        value = getattr(row, name)
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"{name} is not UTF-8 text (damaged on disk)") from None


def _to_row(result: TaskResult) -> TaskResultRow:
    attempts = [[_candidate_json(a.attempt_1), _candidate_json(a.attempt_2)] for a in result.attempts]
    return TaskResultRow(
        task_id=result.task_id,
        status=result.status.value,
        solver=result.solver,
        attempts_json=json.dumps(attempts),
        seconds=result.seconds,
        score=result.score,
        error=result.error,
        notes_json=json.dumps(result.notes.to_json()),
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        task_hash=result.task_hash,
    )


def _from_row(row: TaskResultRow) -> TaskResult:
    attempts = tuple(Attempts(_candidate(a), _candidate(b)) for a, b in json.loads(row.attempts_json))
    return TaskResult(
        task_id=row.task_id,
        status=TaskStatus(row.status),
        attempts=attempts,
        seconds=row.seconds,
        solver=row.solver,
        error=row.error,
        score=row.score,
        notes=_notes(json.loads(row.notes_json)),
        task_hash=row.task_hash or "",
    )


def _add_missing_columns(engine: Engine) -> None:
    """Columns added since a results.db was first written (`task_hash`): an older file gains them, empty."""
    present = {column["name"] for column in inspect(engine).get_columns(TaskResultRow.__tablename__)}
    if "task_hash" in present:
        return
    try:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE task_results ADD COLUMN task_hash VARCHAR(64) NOT NULL DEFAULT ''"))
    except DatabaseError as exc:  # another process of the run added it at the same moment
        if "duplicate" not in str(exc).lower():
            raise


class SqlResultStore:
    def __init__(self, url: str, engine: Engine | None = None, *,
                 busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> None:
        """`busy_timeout`: seconds a read or write waits for a lock another process holds, before it fails with
        a StoreUnavailableError (as does a read-only file, or a server that refuses connections)."""
        self.url = url
        self.engine = engine or make_engine(url, busy_timeout)
        self.notices: tuple[str, ...] = ()  # what opening it had to do that the user should hear about
        try:
            with database_errors(url):
                create_tables(self.engine, ResultBase.metadata)
                _add_missing_columns(self.engine)
                self.set_meta("schema_version", SCHEMA_VERSION)
        except BaseException:
            self.engine.dispose()
            raise

    def integrity_problem(self) -> str | None:
        """SQLite's own check of the file's pages (`PRAGMA quick_check`): None when they are sound, else its
        first finding. A page damaged on disk is found here, on open, rather than by the query that meets it."""
        if self.engine.dialect.name != "sqlite":
            return None
        with database_errors(self.url), self.engine.connect() as connection:
            findings = [row[0] for row in connection.exec_driver_sql("PRAGMA quick_check(5)")]
        return None if findings == ["ok"] else "; ".join(str(f) for f in findings)[:300]

    def record(self, result: TaskResult) -> None:
        row = _to_row(result)
        values = {c.key: getattr(row, c.key) for c in TaskResultRow.__table__.columns}
        with database_errors(self.url), Session(self.engine) as session, session.begin():
            session.execute(upsert(self.engine, TaskResultRow, values, ["task_id"]))

    def results(self) -> list[TaskResult]:
        """Every readable result; a row that cannot be read (edited by hand, or damaged on disk: its text then
        reads with escapes, see make_engine) is left out and named once in `notices`, so that a resumed run
        solves that task again and a report shows the rest."""
        with database_errors(self.url), Session(self.engine) as session:
            rows = session.scalars(select(TaskResultRow).order_by(TaskResultRow.task_id)).all()
        readable = []
        for row in rows:
            try:
                _check_text(row)
                readable.append(_from_row(row))
            except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
                self._damaged(row.task_id, exc)
        return readable

    def final_task_ids(self) -> set[str]:
        return {result.task_id for result in self.results() if result.status.final}

    def _damaged(self, task_id: str, exc: Exception) -> None:
        notice = (f"{make_url(self.url).database or 'results'}: the stored result of task {task_id!r} cannot be read "
                  f"({error_line(exc)[:160]}); "
                  "it counts as not solved")
        if notice not in self.notices:
            self.notices = (*self.notices, notice)

    def get_meta(self, key: str) -> str | None:
        with database_errors(self.url), Session(self.engine) as session:
            row = session.get(MetaRow, key)
            return row.value if row else None

    def set_meta(self, key: str, value: str) -> None:
        """An upsert, so that several processes opening one run (workers, ranks) never collide."""
        with database_errors(self.url), Session(self.engine) as session, session.begin():
            session.execute(upsert(self.engine, MetaRow, {"key": key, "value": value}, ["key"]))

    def clear(self) -> None:
        """Forget every result (a fresh run in the same folder without --resume)."""
        with database_errors(self.url), Session(self.engine) as session, session.begin():
            session.query(TaskResultRow).delete()

    def close(self) -> None:
        self.engine.dispose()
