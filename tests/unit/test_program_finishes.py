"""Finishing rules: the last stretch from a program's images to the train outputs."""

from __future__ import annotations

import numpy as np

from arc_ttt.domain.programs.finishes import finish


def img(*rows: str) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in rows], dtype=np.uint8)


def test_a_repeating_pattern_is_continued_to_twice_the_width() -> None:
    train = [img("000", "232", "000"), img("0000", "1515", "0000")]
    outputs = [img("000000", "232323", "000000"), img("00000000", "15151515", "00000000")]
    test = img("00000", "84484", "00000")
    fit = finish((), 0.0, [*train, test], 2, outputs)
    assert fit is not None and "continue the pattern" in fit.finish
    assert np.array_equal(fit.predictions[0], img("0000000000", "8448448448", "0000000000"))


def test_a_pattern_continued_to_a_fixed_size_may_be_recolored() -> None:
    train = [img("01", "11"), img("10", "01", "10")]
    outputs = [img("02", "22", "02", "22"), img("20", "02", "20", "02")]
    fit = finish((), 0.0, [*train, img("11", "10")], 2, outputs)
    assert fit is not None and fit.finish.endswith("recolor {1: 2}")
    assert np.array_equal(fit.predictions[0], img("22", "20", "22", "20"))


def test_no_continuation_when_the_sizes_follow_no_rule() -> None:
    train = [img("12"), img("12", "12")]
    outputs = [img("1212"), img("121", "121", "121")]  # x2 wide, then +1 both ways: no single rule
    assert finish((), 0.0, [*train, img("3")], 2, outputs) is None


def test_a_one_cell_corner_costs_more_than_a_bigger_window() -> None:
    train = [img("12", "34"), img("56", "78")]
    one = finish((), 0.0, [*train, img("90", "00")], 2, [img("1"), img("5")])
    wide = finish((), 0.0, [*train, img("90", "00")], 2, [img("12"), img("56")])
    assert one is not None and wide is not None and one.cost > wide.cost
