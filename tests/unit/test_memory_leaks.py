"""The leak monitor: a robust slope of memory over the batch, one warning above the threshold."""

from __future__ import annotations

import pytest

from arc_ttt.domain.resources.hardware import MB
from arc_ttt.domain.resources.memory_leaks import LeakMonitor, leak_mb_per_task, theil_sen_slope


def test_theil_sen_recovers_a_line_and_ignores_outliers() -> None:
    xs = list(range(20))
    ys = [3.0 * x + 7 for x in xs]
    assert theil_sen_slope(xs, ys) == pytest.approx(3.0)
    ys[5] += 10_000  # one huge task
    ys[12] -= 5_000
    assert theil_sen_slope(xs, ys) == pytest.approx(3.0)


def test_theil_sen_degenerate_inputs() -> None:
    assert theil_sen_slope([], []) == 0.0
    assert theil_sen_slope([1, 1, 1], [5, 6, 7]) == 0.0
    with pytest.raises(ValueError):
        theil_sen_slope([1, 2], [1])


def test_long_series_are_thinned_but_keep_their_slope() -> None:
    xs = list(range(2000))
    assert theil_sen_slope(xs, [0.5 * x for x in xs]) == pytest.approx(0.5)


def test_warns_once_when_growth_is_over_the_threshold() -> None:
    monitor = LeakMonitor(threshold_mb_per_task=1.0, min_samples=8)
    warnings = [monitor.observe(i, int((500 + 2.5 * i) * MB)) for i in range(30)]
    given = [w for w in warnings if w]
    assert len(given) == 1
    assert "2.50 MB per task" in given[0]
    assert monitor.slope_mb_per_task() == pytest.approx(2.5)


def test_no_warning_for_flat_memory_with_a_warmup_step_and_noise() -> None:
    monitor = LeakMonitor(threshold_mb_per_task=1.0)
    readings = [300 * MB] + [(900 + (7 if i % 3 == 0 else -4)) * MB for i in range(1, 60)]
    readings[30] += 400 * MB  # one task that briefly held a lot
    assert all(monitor.observe(i, r) is None for i, r in enumerate(readings))
    assert abs(monitor.slope_mb_per_task()) < 0.5


def test_no_verdict_before_enough_samples() -> None:
    monitor = LeakMonitor(threshold_mb_per_task=1.0, min_samples=8, warmup=1)
    assert all(monitor.observe(i, i * 100 * MB) is None for i in range(8))  # 7 counted readings
    assert monitor.observe(8, 800 * MB) is not None


def test_leak_of_a_finished_series() -> None:
    assert leak_mb_per_task([(0, 0), (1, MB)]) is None
    assert leak_mb_per_task([(i, i * 4 * MB) for i in range(10)]) == pytest.approx(4.0)


def test_each_series_is_judged_and_warned_on_its_own() -> None:
    monitor = LeakMonitor(threshold_mb_per_task=1.0, min_samples=4)
    given = []
    for i in range(12):
        given.append(monitor.observe(i, 500 * MB))  # flat RSS
        given.append(monitor.observe(i, (100 + 8 * i) * MB, "CUDA allocated"))  # leaking GPU memory
    warnings = [w for w in given if w]
    assert len(warnings) == 1 and warnings[0].startswith("CUDA allocated grows by 8.00 MB")
    assert monitor.slope_mb_per_task() == 0.0 and monitor.slope_mb_per_task("CUDA allocated") == pytest.approx(8.0)


def test_a_model_loaded_mid_batch_is_a_step_not_a_leak() -> None:
    monitor = LeakMonitor(threshold_mb_per_task=1.0, min_samples=8)
    readings = [(300 + (600 if i >= 5 else 0) + (i % 2)) * MB for i in range(9)]  # +600 MB at the 5th task
    assert all(monitor.observe(i, r) is None for i, r in enumerate(readings))
    leaking = LeakMonitor(threshold_mb_per_task=1.0, min_samples=8)
    assert any(leaking.observe(i, (300 + 70 * i) * MB) for i in range(9))


def test_a_step_at_the_middle_with_a_noisy_tail_is_not_a_leak() -> None:
    """RSS of a 10-task default solve: the model loaded at the fifth task, then allocator noise."""
    mb = [352, 352, 352, 352, 1116, 1116, 1116, 1186, 1116, 1136]
    monitor = LeakMonitor(threshold_mb_per_task=1.0, min_samples=8)
    assert all(monitor.observe(i, r * MB) is None for i, r in enumerate(mb))
    leaking = LeakMonitor(threshold_mb_per_task=1.0, min_samples=8)  # the same rise spread evenly does warn
    assert any(leaking.observe(i, int((352 + 85 * i) * MB)) for i in range(10))


def test_a_high_water_mark_that_settles_is_not_a_leak() -> None:
    """RSS of a clean-clone solve: the model loaded at the fourth task, then the allocator's high-water mark
    following the largest task so far, which settles once the big tasks have been seen."""
    mb = [334, 334, 334, 676, 677, 714, 663, 848, 804, 866]
    mb += [850 + (12 if i % 3 == 0 else -9) + (i % 5) for i in range(30)]
    monitor = LeakMonitor(threshold_mb_per_task=1.0)
    assert all(monitor.observe(i, r * MB) is None for i, r in enumerate(mb))
    leaking = LeakMonitor(threshold_mb_per_task=1.0)  # the same noise over a steady 3 MB per task does warn
    assert any(leaking.observe(i, int((r + 3 * i) * MB)) for i, r in enumerate(mb[10:]))
