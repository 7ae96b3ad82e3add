"""The shared work queue on SQLite and on a real PostgreSQL server: exactly-once claims, lease expiry."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from arc_ttt.adapters.solvers.baseline import SymmetryBaselineSolver
from arc_ttt.adapters.storage.engine import make_engine, sqlite_url
from arc_ttt.adapters.storage.result_store import SqlResultStore
from arc_ttt.adapters.storage.work_queue import SqlWorkQueue
from arc_ttt.adapters.system.clock import MonotonicClock
from arc_ttt.application.use_cases.workers import work_loop
from arc_ttt.domain.arc.geometry import Dihedral
from tests.builders import symmetry_task


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "queue.db")
    return request.getfixturevalue("new_pg_database")()


def _claim_all(url: str, owner: str, out: str) -> None:
    queue = SqlWorkQueue(make_engine(url))
    claimed = []
    while (task_id := queue.claim(owner, 60.0)) is not None:
        claimed.append(task_id)
        queue.complete(owner, task_id)
    Path(out).write_text("\n".join(claimed))


def test_concurrent_claims_give_every_task_to_exactly_one_worker(db_url: str, tmp_path: Path) -> None:
    ids = [f"task{i:03d}" for i in range(80)]
    SqlWorkQueue(make_engine(db_url)).seed(ids, reset=True)
    ctx = multiprocessing.get_context("spawn")
    outs = [tmp_path / f"claims{i}.txt" for i in range(4)]
    procs = [ctx.Process(target=_claim_all, args=(db_url, f"w{i}", str(out))) for i, out in enumerate(outs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    claims = [line for out in outs for line in out.read_text().splitlines() if line]
    assert sorted(claims) == ids  # every task once: none lost, none twice
    assert SqlWorkQueue(make_engine(db_url)).pending() == 0


def test_a_lease_is_exclusive_until_it_expires_and_renewal_extends_it(db_url: str) -> None:
    now = [1000.0]
    queue = SqlWorkQueue(make_engine(db_url), wall_clock=lambda: now[0])
    queue.seed(["a", "b"], reset=True)
    assert queue.claim("w1", 10.0) == "a"
    assert queue.claim("w2", 10.0) == "b"
    assert queue.claim("w3", 10.0) is None
    now[0] += 8
    assert queue.renew("w1", "a", 10.0)  # w1 is alive: a stays with it
    now[0] += 5
    assert queue.claim("w3", 10.0) == "b"  # w2 went silent: its lease expired
    assert not queue.renew("w2", "b", 10.0)
    queue.complete("w1", "a")
    queue.complete("w3", "b")
    assert queue.pending() == 0
    queue.seed(["a", "c"], reset=False)  # done stays done; new work is added
    assert queue.pending() == 1


def _claim_and_hang(url: str, flag: str) -> None:
    queue = SqlWorkQueue(make_engine(url))
    assert queue.claim("doomed", 2.0) is not None
    Path(flag).write_text("claimed")
    time.sleep(600)


def test_a_killed_workers_task_is_finished_by_another_after_its_lease_expires(db_url: str, tmp_path: Path) -> None:
    tasks = {t.id: t for t in (symmetry_task(f"k{i}", Dihedral.ROT90, seed=i) for i in range(6))}
    store = SqlResultStore(db_url)
    queue = SqlWorkQueue(store.engine)
    queue.seed(sorted(tasks), reset=True)
    flag = tmp_path / "claimed.flag"
    proc = multiprocessing.get_context("spawn").Process(target=_claim_and_hang, args=(db_url, str(flag)))
    proc.start()
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flag.exists()
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)

    finished = work_loop(owner="survivor", solver=SymmetryBaselineSolver(), store=store, queue=queue,
                         clock=MonotonicClock(), tasks=tasks, deadline=time.monotonic() + 300, task_time_limit=10,
                         lease_seconds=2.0, linger=True, poll_seconds=0.2)
    assert finished == 6
    assert sorted(r.task_id for r in store.results()) == sorted(tasks)
    assert all(r.score == 1.0 for r in store.results())
    store.close()
