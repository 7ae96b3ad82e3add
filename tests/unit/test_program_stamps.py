"""Stamps: the pattern each color paints around its cells, learned offset by offset and composed on test
inputs whose arrangement training never showed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from arc_ttt.domain.programs.learners.stamps import learn_stamps
from arc_ttt.domain.programs.search import search


def img(*rows: str) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in rows], dtype=np.uint8)


def _decorate(image: np.ndarray) -> np.ndarray:
    """The rule under test, cell by cell: a 2 gets 4s on its diagonal neighbours, a 1 gets 7s beside it
    (on background only; where both reach one cell, the 1's 7 is drawn last)."""
    out = image.copy()
    h, w = image.shape
    corners, sides = ((-1, -1), (-1, 1), (1, -1), (1, 1)), ((-1, 0), (1, 0), (0, -1), (0, 1))
    for color, offsets, paint in ((2, corners, 4), (1, sides, 7)):
        for y, x in zip(*np.nonzero(image == color)):
            for dy, dx in offsets:
                r, c = y + dy, x + dx
                if 0 <= r < h and 0 <= c < w and image[r, c] == 0:
                    out[r, c] = paint
    return out


def _scatter(rng: np.random.Generator, n: int) -> np.ndarray:
    """n cells of 1, 2 or 6 at least three apart (the 6s stamp nothing)."""
    image = np.zeros((12, 12), dtype=np.uint8)
    spots = rng.permutation(16)[:n]
    for spot in spots:
        image[3 * (spot // 4) + 1, 3 * (spot % 4) + 1] = rng.choice([1, 2, 6])
    return image


@pytest.mark.parametrize("seed", range(4))
def test_each_colors_pattern_is_learned_and_drawn_on_fresh_scenes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    train = [(i, _decorate(i)) for i in (_scatter(rng, 5) for _ in range(3))]
    while not {1, 2} <= set(np.unique(np.concatenate([i for i, _ in train])).tolist()):
        train.append((i := _scatter(rng, 5), _decorate(i)))
    test = _scatter(rng, 8)
    fits = learn_stamps(train, [test])
    assert any(np.array_equal(f.predictions[0], _decorate(test)) for f in fits), [f.describe() for f in fits]
    assert all(f.learned_cells for f in fits)


def test_stamps_overlap_where_a_table_of_windows_would_meet_an_unseen_window() -> None:
    train = [(img("00000", "00200", "00000"), img("04040", "00200", "04040")),
             (img("0000", "0000", "0020"), img("0000", "0404", "0020"))]
    test = img("000000", "020200", "000000")  # two 2s share diagonal neighbours: no train window like that
    fits = learn_stamps(train, [test])
    assert fits and np.array_equal(fits[0].predictions[0], img("404040", "020200", "404040"))


def test_outputs_that_change_colored_cells_get_no_stamps() -> None:
    train = [(img("020", "000"), img("030", "000")), (img("200", "000"), img("300", "000"))]
    assert learn_stamps(train, [img("002", "000")]) == []


def test_the_search_stamps_after_a_step() -> None:
    """Tile the input 2x2, then every colored cell gets 8s on its diagonal neighbours."""
    def rule(image: np.ndarray) -> np.ndarray:
        tiled = np.tile(image, (2, 2))
        out = tiled.copy()
        h, w = tiled.shape
        for y, x in zip(*np.nonzero(tiled)):
            for dy, dx in ((-1, -1), (-1, 1), (1, -1), (1, 1)):
                if 0 <= y + dy < h and 0 <= x + dx < w and tiled[y + dy, x + dx] == 0:
                    out[y + dy, x + dx] = 8
        return out

    inputs = [img("0000", "0200", "0000", "0000"), img("000", "030", "000"), img("00000", "00000", "00400", "00000")]
    test = img("00000", "06000", "00000", "00000", "00000")
    fits = search([(i, rule(i)) for i in inputs], [test], time.monotonic() + 30)
    assert fits and np.array_equal(fits[0].predictions[0], rule(test)), [f.describe() for f in fits[:3]]
    assert fits[0].steps == ("tile(2x2)", "stamp")
