"""A lease-based work queue in the run's database, so workers in many processes or machines share a batch.

PostgreSQL claims with `SELECT ... FOR UPDATE SKIP LOCKED`; SQLite, which has one writer at a time, with a
single conditional UPDATE, which it executes atomically. Either way a task is leased to one owner until
its lease expires; a dead worker's task is claimed again after that.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import Engine, Float, String, and_, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from arc_ttt.adapters.storage.engine import create_tables
from arc_ttt.adapters.storage.result_store import ResultBase, SqlResultStore
from arc_ttt.domain.solving.ports import ResultStore

PENDING, LEASED, DONE = "pending", "leased", "done"


class TaskLeaseRow(ResultBase):
    __tablename__ = "task_leases"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(8), default=PENDING, index=True)
    owner: Mapped[str] = mapped_column(String(128), default="")
    token: Mapped[str] = mapped_column(String(32), default="")
    expires_at: Mapped[float] = mapped_column(Float, default=0.0)


class SqlWorkQueue:
    def __init__(self, engine: Engine, wall_clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.wall_clock = wall_clock  # leases are compared across processes, so wall time, not monotonic
        create_tables(engine, ResultBase.metadata, [TaskLeaseRow.__table__])  # type: ignore[list-item]

    def seed(self, task_ids: Sequence[str], *, reset: bool) -> None:
        """Queue these tasks. `reset` forgets earlier state; otherwise done tasks stay done."""
        with Session(self.engine) as session, session.begin():
            if reset:
                session.execute(delete(TaskLeaseRow))
            known = set(session.scalars(select(TaskLeaseRow.task_id)))
            session.add_all(TaskLeaseRow(task_id=t, state=PENDING, owner="", token="", expires_at=0.0)
                            for t in dict.fromkeys(task_ids) if t not in known)

    def _claimable(self, now: float):  # type: ignore[no-untyped-def]
        return or_(TaskLeaseRow.state == PENDING, and_(TaskLeaseRow.state == LEASED, TaskLeaseRow.expires_at < now))

    def claim(self, owner: str, lease_seconds: float) -> str | None:
        now = self.wall_clock()
        if self.engine.dialect.name == "postgresql":
            return self._claim_skip_locked(owner, now, lease_seconds)
        token = uuid.uuid4().hex
        with Session(self.engine) as session, session.begin():
            next_id = select(TaskLeaseRow.task_id).where(self._claimable(now)).order_by(TaskLeaseRow.task_id).limit(1)
            session.execute(
                update(TaskLeaseRow)
                .where(TaskLeaseRow.task_id == next_id.scalar_subquery(), self._claimable(now))
                .values(state=LEASED, owner=owner, token=token, expires_at=now + lease_seconds)
            )
            return session.scalar(select(TaskLeaseRow.task_id).where(TaskLeaseRow.token == token))

    def _claim_skip_locked(self, owner: str, now: float, lease_seconds: float) -> str | None:
        with Session(self.engine) as session, session.begin():
            row = session.scalars(
                select(TaskLeaseRow).where(self._claimable(now)).order_by(TaskLeaseRow.task_id).limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            row.state, row.owner, row.token, row.expires_at = LEASED, owner, uuid.uuid4().hex, now + lease_seconds
            return row.task_id

    def renew(self, owner: str, task_id: str, lease_seconds: float) -> bool:
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                update(TaskLeaseRow)
                .where(TaskLeaseRow.task_id == task_id, TaskLeaseRow.owner == owner, TaskLeaseRow.state == LEASED)
                .values(expires_at=self.wall_clock() + lease_seconds)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def complete(self, owner: str, task_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(update(TaskLeaseRow).where(TaskLeaseRow.task_id == task_id).values(state=DONE, owner=owner))

    def pending(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).where(TaskLeaseRow.state != DONE)) or 0)

    def release_leases(self) -> int:
        """Put every leased task back to pending: for when all workers are known to be gone."""
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                update(TaskLeaseRow).where(TaskLeaseRow.state == LEASED).values(state=PENDING, owner="", token="")
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]


def open_work_queue(store: ResultStore) -> SqlWorkQueue:
    """The work queue in the database of a run's result store (the WorkQueueOpener port), so that every
    process holding that store shares it; it needs the store's engine, so only a SqlResultStore will do."""
    if not isinstance(store, SqlResultStore):
        raise TypeError(f"the SQL work queue lives in a SqlResultStore's database, not in a {type(store).__name__}")
    return SqlWorkQueue(store.engine)
