"""SolveBatch with memory readings, the pressure policy and the leak monitor (fake probe, fake clock)."""

from __future__ import annotations

from pathlib import Path

from arc_ttt.application.use_cases.solve_batch import SolveBatch, SolveRequest
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.resources.hardware import MemoryReading
from arc_ttt.domain.resources.memory_leaks import LeakMonitor
from arc_ttt.domain.resources.memory_pressure import MemoryLevels, MemoryPressureGuard
from arc_ttt.domain.solving.results import TaskStatus
from tests.fakes import (
    FakeClock,
    FakeMemoryProbe,
    InMemoryResultStore,
    InMemoryRunFiles,
    InMemorySourceSpecs,
    InMemoryTaskSource,
    ScriptedSolver,
)


def tasks(n: int) -> list[Task]:
    g = Grid.of([[1, 2], [3, 4]])
    return [Task(f"t{i:02d}", (Example(g, g),), (Example(g, g),)) for i in range(n)]


def batch(probe: FakeMemoryProbe | None, *, guard: bool = False, leak: LeakMonitor | None = None,
          clock: FakeClock | None = None) -> tuple[SolveBatch, InMemoryResultStore, ScriptedSolver]:
    clock = clock or FakeClock()
    store = InMemoryResultStore()
    solver = ScriptedSolver({}, clock, seconds=1.0)
    levels = MemoryLevels(pause_free_mb=1000, abort_free_mb=200, max_waits=2, wait_seconds=1)
    pressure = MemoryPressureGuard(probe, levels, clock.sleep) if guard and probe is not None else None
    use_case = SolveBatch(solver, lambda _: store, clock, memory_probe=probe, pressure_guard=pressure,
                          leak_monitor=leak, run_files=InMemoryRunFiles(), source_specs=InMemorySourceSpecs())
    return use_case, store, solver


def request(tmp_path: Path, n: int) -> SolveRequest:
    return SolveRequest(InMemoryTaskSource(tasks(n)), tmp_path, time_budget=1e6, task_time_limit=60)


def reading(store: InMemoryResultStore, task_id: str) -> MemoryReading:
    memory = store.rows[task_id].notes.memory
    assert memory is not None, f"{task_id} has no memory reading"
    return memory


def test_each_result_carries_a_memory_reading_in_batch_order(tmp_path: Path) -> None:
    probe = FakeMemoryProbe([8000], rss_mb=400, grow_per_sample_mb=1)
    use_case, store, _ = batch(probe)
    outcome = use_case(request(tmp_path, 4))
    readings = [reading(store, f"t{i:02d}") for i in range(4)]
    assert [r.batch_index for r in readings] == [0, 1, 2, 3]
    assert [r.sample.rss_bytes for r in readings] == sorted(r.sample.rss_bytes for r in readings)
    assert all(r.sample.system_available_bytes == 8000 * 1024 * 1024 for r in readings)
    assert probe.peak_resets == 4
    assert outcome.complete and not outcome.stop_reason


def test_without_probes_results_have_no_memory_notes(tmp_path: Path) -> None:
    use_case, store, solver = batch(None)
    outcome = use_case(request(tmp_path, 3))
    assert outcome.complete and len(solver.calls) == 3
    assert all(r.notes.memory is None for r in store.rows.values())


def test_abort_level_ends_the_batch_cleanly_with_fallbacks_and_a_reason(tmp_path: Path) -> None:
    # readings: before t00 ok, after t00, before t01 ok, after t01, before t02: under the abort level
    probe = FakeMemoryProbe([8000, 8000, 8000, 8000, 100])
    use_case, store, solver = batch(probe, guard=True)
    outcome = use_case(request(tmp_path, 5))
    assert [c[0] for c in solver.calls] == ["t00", "t01"]
    assert not outcome.complete
    assert "abort level" in outcome.stop_reason
    assert len(outcome.results) == 5  # every task has attempts: the submission stays complete
    rest = [store.rows[f"t{i:02d}"] for i in range(2, 5)]
    assert all(r.status is TaskStatus.OUT_OF_TIME and "abort level" in r.error for r in rest)
    assert all(len(r.attempts) == 1 for r in rest)
    assert isinstance(use_case.run_files, InMemoryRunFiles)
    assert tmp_path / "submission.json" in use_case.run_files.texts
    assert any("abort level" in w for w in outcome.warnings)


def test_pause_level_waits_are_recorded_and_the_task_still_runs(tmp_path: Path) -> None:
    clock = FakeClock()
    probe = FakeMemoryProbe([800, 800, 5000])  # under pause, still after freeing, fine after one wait
    use_case, store, solver = batch(probe, guard=True, clock=clock)
    outcome = use_case(request(tmp_path, 1))
    assert outcome.complete and solver.calls
    assert reading(store, "t00").pressure_waits == 1
    assert probe.frees == 1


def test_a_leaking_batch_warns_once(tmp_path: Path) -> None:
    probe = FakeMemoryProbe([8000], rss_mb=400, grow_per_sample_mb=5)
    use_case, _, _ = batch(probe, leak=LeakMonitor(threshold_mb_per_task=1.0, min_samples=5))
    outcome = use_case(request(tmp_path, 20))
    leaks = [w for w in outcome.warnings if "per task" in w]
    assert len(leaks) == 1 and "5.00 MB per task" in leaks[0]
    assert outcome.complete


def test_a_flat_batch_does_not_warn(tmp_path: Path) -> None:
    probe = FakeMemoryProbe([8000], rss_mb=400)
    use_case, _, _ = batch(probe, leak=LeakMonitor(threshold_mb_per_task=1.0, min_samples=5))
    assert use_case(request(tmp_path, 20)).warnings == []
