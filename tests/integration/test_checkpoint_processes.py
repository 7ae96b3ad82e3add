"""Real processes against one SQLite file: concurrent writers, and a writer killed at the worst moment."""

import multiprocessing
import os
import signal
import time
from pathlib import Path

from arc_ttt.adapters.storage.checkpoints.repository import open_checkpoint_repository
from tests.checkpoint_builders import SAVE_META, weights

SAVES = 20


def _saver(root: str, worker: int, start) -> None:  # type: ignore[no-untyped-def]
    repo = open_checkpoint_repository(Path(root))
    start.wait(60)
    for i in range(SAVES):
        repo.save("shared", weights(1000 * worker + i), metrics={"val_accuracy": i / SAVES},
                  tags=[f"worker{worker}"], **SAVE_META)
    repo.close()


def test_two_processes_saving_the_same_task_at_once_lose_nothing(tmp_path: Path) -> None:
    open_checkpoint_repository(tmp_path).close()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_saver, args=(str(tmp_path), w, start)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    repo = open_checkpoint_repository(tmp_path)
    infos = repo.find("shared")
    assert sorted(i.version for i in infos) == list(range(1, 2 * SAVES + 1))
    stored = {repo.load(i) for i in infos}  # every file verifies against its row
    assert stored == {weights(1000 * w + i) for w in (1, 2) for i in range(SAVES)}
    assert {i.tags for i in infos} == {("worker1",), ("worker2",)}
    assert repo.verify().ok


def _stop_here(marker: Path):  # type: ignore[no-untyped-def]
    def hook(path: Path) -> None:
        marker.write_text(str(path))
        time.sleep(120)  # the parent kills us here, between the durable file and its row

    return hook


def _saver_killed_before_its_row(root: str, marker: str) -> None:
    repo = open_checkpoint_repository(Path(root), on_file_durable=_stop_here(Path(marker)))
    repo.save("t", weights(3), metrics={"val_accuracy": 0.9}, **SAVE_META)


def test_a_writer_killed_between_file_and_row_leaves_the_store_consistent(tmp_path: Path) -> None:
    store = tmp_path / "store"
    repo = open_checkpoint_repository(store)
    for seed in (1, 2):
        repo.save("t", weights(seed), metrics={"val_accuracy": 0.1 * seed}, **SAVE_META)
    marker = tmp_path / "reached"
    child = multiprocessing.get_context("spawn").Process(target=_saver_killed_before_its_row,
                                                         args=(str(store), str(marker)))
    child.start()
    for _ in range(600):  # wait for the child to reach the hook (not a timing assertion)
        if marker.exists() or not child.is_alive():
            break
        time.sleep(0.1)
    assert marker.exists(), "the child never reached the hook"
    os.kill(child.pid, signal.SIGKILL)
    child.join(30)
    assert child.exitcode == -signal.SIGKILL

    orphan = Path(marker.read_text())
    assert orphan == repo.files.path("t", 3) and orphan.read_bytes() == weights(3)
    assert [i.version for i in repo.find("t")] == [1, 2]  # no row without its file
    report = repo.verify()
    assert [(s.path, s.reason) for s in report.stray] == [(orphan, "no row for this file")]
    assert report.checked == 2 and not report.corrupted and not report.missing
    info, data = repo.load_latest_good("t")
    assert info.version == 2 and data == weights(2)
    after = open_checkpoint_repository(store).save("t", weights(4), metrics={}, **SAVE_META)
    assert after.version == 4 and orphan.read_bytes() == weights(3)  # the stray is kept for inspection
