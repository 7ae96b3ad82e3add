"""The performance validator: figures from task results and their typed notes."""

from __future__ import annotations

import pytest

from arc_ttt.domain.arc.attempts import Attempts
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.solution import Candidate
from arc_ttt.domain.resources.hardware import MB, MemoryReading, MemorySample
from arc_ttt.domain.resources.memory_estimate import KNOWN_MODELS, TrainingPlan, estimate_training_memory
from arc_ttt.domain.solving.notes import TaskNotes
from arc_ttt.domain.solving.performance import failure_kind, in_batch_order, validate_performance
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from arc_ttt.domain.ttt.notes import ReusedAdapter, TrainingNote, TTTNote

G = Grid.of([[1]])
ATT = (Attempts(Candidate(G, "x"), Candidate(G, "x")),)


def result(task_id: str, *, score: float | None = 1.0, seconds: float = 1.0, status: TaskStatus = TaskStatus.SOLVED,
           error: str = "", notes: TaskNotes | None = None) -> TaskResult:
    return TaskResult(task_id, status, ATT, seconds, "s", error, score, notes or TaskNotes())


def memory(rss_bytes: int, batch_index: int = 0, cuda_peak_bytes: int | None = None) -> TaskNotes:
    return TaskNotes(memory=MemoryReading(MemorySample(rss_bytes, 8000 * MB, cuda_peak_bytes=cuda_peak_bytes),
                                          batch_index))


def ttt(tokens_per_second: float | None = None, reused: ReusedAdapter | None = None) -> TaskNotes:
    """TTT notes of a fresh fit at `tokens_per_second`, of a reused adapter, or of a skipped task."""
    training = None if tokens_per_second is None else TrainingNote(5000, 5.0, tokens_per_second, 4, "max steps")
    return TaskNotes(ttt=TTTNote("tiny", 8, 8, 1.0, training=training, reused=reused))


def test_accuracy_time_and_failures() -> None:
    results = [
        result("a", score=1.0, seconds=1.0),
        result("b", score=0.5, seconds=3.0),
        result("c", score=0.0, seconds=2.0, status=TaskStatus.FAILED, error="ValueError: bad grid"),
        result("d", score=0.0, seconds=0.0, status=TaskStatus.OUT_OF_TIME, error="batch time budget exhausted"),
        result("e", score=None, seconds=4.0),
    ]
    report = validate_performance(results)
    assert report.pass_at_2 == pytest.approx(1.5 / 4)
    assert report.per_task_score == {"a": 1.0, "b": 0.5, "c": 0.0, "d": 0.0, "e": None}
    assert report.seconds.count == 4  # the out-of-time task did not run
    assert report.seconds.mean == pytest.approx(2.5) and report.seconds.p50 == pytest.approx(2.5)
    assert report.failures == {"failed: ValueError": 1, "out_of_time: batch time budget exhausted": 1}
    assert report.status_counts == {"solved": 3, "failed": 1, "out_of_time": 1}


def test_memory_figures_use_the_batch_order_and_find_a_leak() -> None:
    results = [result(f"t{i}", notes=memory((100 + 3 * i) * MB, i, (50 + i) * MB)) for i in reversed(range(12))]
    assert [r.task_id for r in in_batch_order(results)] == [f"t{i}" for i in range(12)]
    report = validate_performance(results, budget_bytes=60 * MB, leak_threshold_mb=1.0)
    assert report.peak_rss_bytes == 133 * MB
    assert report.peak_cuda_bytes == 61 * MB and report.measured_peak_bytes == 61 * MB
    assert report.leak_mb_per_task == pytest.approx(3.0)
    assert report.leaking
    assert report.fits_profile is False
    assert any("over the profile" in n for n in report.notes)


def test_ttt_speed_counts_the_fresh_fits_with_a_finite_speed() -> None:
    results = [
        result("a", notes=ttt(1000.0)),
        result("b", notes=ttt(3000.0)),
        result("c", notes=ttt(reused=ReusedAdapter(1, {"steps": 4.0}))),  # trained in an earlier run: no speed
        result("d", notes=ttt()),  # skipped
        result("e", notes=ttt(float("nan"))),
        result("f"),
    ]
    report = validate_performance(results)
    assert report.ttt_tasks == 2
    assert report.tokens_per_second is not None and report.tokens_per_second.mean == pytest.approx(2000.0)
    assert report.to_json()["ttt"]["tasks"] == 2


def test_estimate_against_measured_peak() -> None:
    estimate = estimate_training_memory(KNOWN_MODELS["tiny-cpu"], TrainingPlan(device="cpu", dtype_bytes=4))
    peak = estimate.total_bytes * 2
    report = validate_performance([result("a", notes=memory(peak))], estimate=estimate,
                                  budget_bytes=10 * 1024 * MB, profile="cpu")
    data = report.to_json()["profile"]
    assert data["measured_over_estimate"] == pytest.approx(2.0)
    assert data["fits"] is True and data["name"] == "cpu"


def test_empty_run() -> None:
    report = validate_performance([])
    assert report.pass_at_2 is None and report.peak_rss_bytes is None and report.leak_mb_per_task is None
    assert report.fits_profile is None and report.tokens_per_second is None


def test_failure_kinds() -> None:
    assert failure_kind(result("a")) is None
    assert failure_kind(result("a", status=TaskStatus.FAILED, error="out of memory")) == "failed: out of memory"
    assert failure_kind(result("a", status=TaskStatus.FAILED)) == "failed: no error message"
