"""The paired interval the TTT-learning benchmark reports: centred on the mean difference, excluding 0
only when the difference is consistent across tasks, and refusing unpaired scores."""

from __future__ import annotations

import pytest

from arc_ttt.domain.solving.statistics import paired_difference


def test_a_consistent_gain_has_an_interval_above_zero_and_no_gain_one_around_it() -> None:
    before = [0.0] * 40
    after = [1.0] * 12 + [0.0] * 28
    diff, low, high = paired_difference(after, before)
    assert diff == pytest.approx(0.3) and 0 < low < diff < high
    mixed = [1.0, 0.0] * 20
    diff, low, high = paired_difference(mixed, mixed[::-1])
    assert diff == 0 and low < 0 < high
    assert paired_difference(after, before) == paired_difference(after, before)  # deterministic by seed


def test_unpaired_or_empty_scores_are_refused() -> None:
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0, 0.0])
    with pytest.raises(ValueError):
        paired_difference([], [])
