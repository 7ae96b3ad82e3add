"""The memory pressure policy with a fake probe: wait and free under the pause level, stop under abort."""

from __future__ import annotations

import pytest

from arc_ttt.domain.resources.hardware import MB, MemorySample
from arc_ttt.domain.resources.memory_pressure import MemoryLevels, MemoryPressureGuard, Pressure, assess
from tests.fakes import FakeClock, FakeMemoryProbe

LEVELS = MemoryLevels(pause_free_mb=1000, abort_free_mb=200, pause_free_gpu_mb=500, abort_free_gpu_mb=100,
                      max_waits=3, wait_seconds=5)


def guard(probe: FakeMemoryProbe, clock: FakeClock, levels: MemoryLevels = LEVELS) -> MemoryPressureGuard:
    return MemoryPressureGuard(probe, levels, sleep=clock.sleep)


@pytest.mark.parametrize(
    ("free_mb", "gpu_free_mb", "expected"),
    [(5000, None, Pressure.OK), (800, None, Pressure.PAUSE), (100, None, Pressure.ABORT),
     (5000, 300, Pressure.PAUSE), (5000, 50, Pressure.ABORT), (800, 50, Pressure.ABORT), (100, 300, Pressure.ABORT)],
)
def test_assess_takes_the_worse_of_ram_and_gpu(free_mb: float, gpu_free_mb: float | None, expected: Pressure) -> None:
    sample = MemorySample(100 * MB, int(free_mb * MB),
                          cuda_free_bytes=int(gpu_free_mb * MB) if gpu_free_mb is not None else None)
    pressure, why = assess(sample, LEVELS)
    assert pressure is expected
    assert (why == "") == (expected is Pressure.OK)


def test_plenty_of_memory_goes_on_without_waiting() -> None:
    probe, clock = FakeMemoryProbe([8000]), FakeClock()
    verdict = guard(probe, clock).check()
    assert verdict.proceed and verdict.waits == 0 and verdict.reason == ""
    assert probe.frees == 0 and clock.time == 0


def test_pause_level_frees_caches_and_recovers_without_sleeping_when_that_suffices() -> None:
    probe, clock = FakeMemoryProbe([800], freed_mb=500), FakeClock()
    verdict = guard(probe, clock).check()
    assert verdict.proceed and verdict.waits == 0
    assert probe.frees == 1 and clock.time == 0


def test_pause_level_waits_until_memory_comes_back() -> None:
    probe, clock = FakeMemoryProbe([800, 800, 850, 900, 4000]), FakeClock()
    verdict = guard(probe, clock).check()
    assert verdict.proceed and verdict.reason == ""
    assert verdict.waits == 2 and clock.time == 10


def test_waits_are_bounded_then_the_batch_goes_on_with_a_reason() -> None:
    probe, clock = FakeMemoryProbe([800]), FakeClock()
    verdict = guard(probe, clock).check()
    assert verdict.proceed
    assert verdict.waits == LEVELS.max_waits and clock.time == LEVELS.max_waits * LEVELS.wait_seconds
    assert "pause level" in verdict.reason


def test_abort_level_stops_at_once() -> None:
    probe, clock = FakeMemoryProbe([150]), FakeClock()
    verdict = guard(probe, clock).check()
    assert not verdict.proceed and "abort level" in verdict.reason
    assert clock.time == 0


def test_falling_under_abort_while_waiting_stops() -> None:
    probe, clock = FakeMemoryProbe([800, 700, 150]), FakeClock()
    verdict = guard(probe, clock).check()
    assert not verdict.proceed and "free RAM 150 MB" in verdict.reason


def test_gpu_levels_are_checked_when_cuda_is_present() -> None:
    probe, clock = FakeMemoryProbe([8000], cuda_free_mb=[80]), FakeClock()
    verdict = guard(probe, clock).check()
    assert not verdict.proceed and "GPU" in verdict.reason


def test_levels_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        MemoryLevels(pause_free_mb=100, abort_free_mb=200)
    with pytest.raises(ValueError):
        MemoryLevels(pause_free_gpu_mb=100, abort_free_gpu_mb=200)
