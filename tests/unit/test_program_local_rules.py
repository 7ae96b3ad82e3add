"""Learned cell tables: consistent on train, used only where every test neighbourhood was seen."""

from __future__ import annotations

import numpy as np

from arc_ttt.domain.programs.learners.local_rules import learn_local_rules


def img(*rows: str) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in rows], dtype=np.uint8)


def _recolor_largest(image: np.ndarray) -> np.ndarray:
    """The rule under test, written independently: the largest one-color object turns 4."""
    from arc_ttt.domain.programs.dsl.images import pieces

    found = pieces(image, 8, True, 0)
    largest = max(found, key=lambda p: p.size)
    out = image.copy()
    out[largest.mask] = 4
    return out


def test_a_rule_about_objects_is_learned_and_applied() -> None:
    inputs = [img("1100", "1100", "0001"), img("1000", "0011", "0011"), img("1101", "0000", "1111")]
    train = [(i, _recolor_largest(i)) for i in inputs]
    test = img("0110", "0000", "1011", "0011")
    fits = learn_local_rules(train, [test])
    assert fits, "no rule fits"
    assert np.array_equal(fits[0].predictions[0], _recolor_largest(test))
    assert fits[0].learned_cells and "largest" in fits[0].describe()


def test_an_unseen_neighbourhood_means_no_answer() -> None:
    train = [(img("10", "00"), img("20", "00"))]
    assert learn_local_rules(train, [img("30", "00")]) == []


def test_contradicting_pairs_give_no_rule() -> None:
    train = [(img("10"), img("20")), (img("10"), img("30"))]
    assert learn_local_rules(train, [img("10")]) == []


def test_cells_no_single_table_covers_are_answered_by_a_table_that_saw_them(monkeypatch) -> None:
    from arc_ttt.domain.programs.learners import local_rules

    def pair(image: np.ndarray, dx: int) -> list[tuple[int, ...]]:
        padded = np.pad(image.astype(int), ((0, 0), (1, 1)), constant_values=-1)
        return [(int(image[y, x]), int(padded[y, x + 1 + dx])) for y in range(image.shape[0])
                for x in range(image.shape[1])]

    monkeypatch.setattr(local_rules, "FEATURES", {"right": lambda i: pair(i, 1), "left": lambda i: pair(i, -1)})
    train = [(img("135"), img("130")), (img("315"), img("310"))]  # rule: 5 becomes 0
    test = img("1531")  # "right" never saw (5, 3) nor (1, edge); "left" never saw (3, 5)
    fits = learn_local_rules(train, [test])
    assert [f.finish for f in fits] in (["by right, then left"], ["by left, then right"])
    assert np.array_equal(fits[0].predictions[0], img("1031"))


def _corners(image: np.ndarray) -> np.ndarray:
    """The rule under test, written independently: a 1 in each cell diagonal to a 5, beyond the edge nothing."""
    out = image.copy()
    h, w = image.shape
    for y, x in zip(*np.nonzero(image == 5)):
        for dy in (-1, 1):
            for dx in (-1, 1):
                if 0 <= y + dy < h and 0 <= x + dx < w and image[y + dy, x + dx] == 0:
                    out[y + dy, x + dx] = 1
    return out


def test_a_pattern_against_the_edge_is_drawn_like_one_inside() -> None:
    inputs = [img("00000", "00500", "00000", "00000"), img("00000", "00000", "05000", "00000")]
    train = [(i, _corners(i)) for i in inputs]
    test = img("50000", "00000", "00050", "00000")  # a 5 in the corner: a window never seen whole
    fits = learn_local_rules(train, [test])
    assert fits and np.array_equal(fits[0].predictions[0], _corners(test))
    assert "beyond the edge" in fits[0].describe()
