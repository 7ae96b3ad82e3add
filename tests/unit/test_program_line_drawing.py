"""Drawn lines: which colors shoot lines, which way, in what color and how far, learned from the train
pairs and drawn on test inputs the learner never saw."""

from __future__ import annotations

import numpy as np
import pytest

from arc_ttt.domain.programs.learners.line_drawing import learn_line_drawing


def img(*rows: str) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in rows], dtype=np.uint8)


def _shoot(image: np.ndarray) -> np.ndarray:
    """The rule under test, written cell by cell: every 2 shoots a line of 2s up to the edge (over
    anything in its way), every 3 a line of 8s to the right that stops at the first colored cell."""
    out = image.copy()
    h, w = image.shape
    for y in range(h):
        for x in range(w):
            if image[y, x] == 2:
                for r in range(y - 1, -1, -1):
                    if image[r, x] == 0:
                        out[r, x] = 2
            elif image[y, x] == 3:
                for c in range(x + 1, w):
                    if image[y, c] != 0:
                        break
                    out[y, c] = 8
    return out


def _scatter(rng: np.random.Generator) -> np.ndarray:
    """2s on the left half and 3s on the right (so that no two lines cross), 5s anywhere."""
    image = np.zeros((10, 10), dtype=np.uint8)
    for color, columns in ((5, (0, 10)), (5, (0, 10)), (2, (0, 5)), (3, (5, 10))):
        for _ in range(int(rng.integers(1, 3))):
            image[rng.integers(0, 10), rng.integers(*columns)] = color
    return image


@pytest.mark.parametrize("seed", range(5))
def test_which_colors_shoot_which_way_is_learned_on_fresh_scenes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    inputs = [_scatter(rng) for _ in range(4)]
    test = _scatter(rng)
    fits = learn_line_drawing([(i, _shoot(i)) for i in inputs], [test])
    assert fits, "no reading of the lines fits"
    assert any(np.array_equal(f.predictions[0], _shoot(test)) for f in fits), [f.describe() for f in fits]
    assert all(f.learned_cells for f in fits)  # a learned set of lines: never sure


def test_lines_in_their_own_color_carry_to_a_color_no_train_input_had() -> None:
    train = [(img("00000", "00000", "00100", "00000", "00000"), img("10001", "01010", "00100", "01010", "10001")),
             (img("0000", "0200", "0000", "0000"), img("2020", "0200", "2020", "0002"))]
    test = img("000", "070", "000")
    fits = learn_line_drawing(train, [test])
    assert fits and np.array_equal(fits[0].predictions[0], img("707", "070", "707")), [f.describe() for f in fits]


def test_broad_and_narrow_readings_are_the_two_answers() -> None:
    """Training shows 4s shooting down until the bottom edge; a test 4 with a cell below it: over it to
    the edge, or stop there? Both readings fit, the broad one first."""
    train = [(img("046", "000", "000"), img("046", "040", "040")), (img("406", "000"), img("406", "400"))]
    test = img("040", "000", "050", "000")
    fits = learn_line_drawing(train, [test])
    answers = [f.predictions[0].tolist() for f in fits]
    assert img("040", "040", "050", "040").tolist() in answers and img("040", "040", "050", "000").tolist() in answers


def test_outputs_that_change_colored_cells_are_not_drawings() -> None:
    train = [(img("100", "000"), img("200", "200")), (img("010", "000"), img("020", "020"))]
    assert learn_line_drawing(train, [img("001", "000")]) == []


def test_a_cell_no_line_explains_means_no_answer() -> None:
    train = [(img("100", "000"), img("100", "001")), (img("010", "000"), img("010", "100"))]
    assert learn_line_drawing(train, [img("001", "000")]) == []


def test_lines_join_cells_of_the_same_color_and_skip_other_pairs() -> None:
    """1s joined to 1s by 8s, whatever else stands around; a 1 facing a 2 draws nothing."""
    train = [(img("1001", "0000", "1002"), img("1881", "0000", "1002")),
             (img("10010", "00000", "20001"), img("18810", "00000", "20001"))]
    test = img("100001", "000000", "100002", "000000", "210001")
    fits = learn_line_drawing(train, [test])
    expected = img("188881", "000000", "100002", "000000", "218881")
    assert any(np.array_equal(f.predictions[0], expected) for f in fits), [f.describe() for f in fits]


def test_an_expired_deadline_stops_the_learner() -> None:
    train = [(img("00000", "00200", "00000"), img("00200", "00200", "00000"))] * 2
    assert learn_line_drawing(train, [img("020", "000")])  # a line up from each 2
    assert learn_line_drawing(train, [img("020", "000")], expired=lambda: True) == []


def _blocks(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 2x2 block of 1s and one of 2s on a 12x12 picture; the 1s' top-left corner shoots a diagonal up-left
    to the edge, the 2s' bottom-right corner one down-right (their other cells shoot nothing)."""
    image = np.zeros((12, 12), dtype=np.uint8)
    a, b = int(rng.integers(1, 4)), int(rng.integers(1, 9))
    c, d = int(rng.integers(7, 10)), int(rng.integers(1, 9))
    image[a:a + 2, b:b + 2] = 1
    image[c:c + 2, d:d + 2] = 2
    out = image.copy()
    for k in range(1, 12):
        if a - k >= 0 and b - k >= 0:
            out[a - k, b - k] = 1
        if c + 1 + k < 12 and d + 1 + k < 12:
            out[c + 1 + k, d + 1 + k] = 2
    return image, out


def test_a_shape_shoots_from_its_front_corner_only() -> None:
    rng = np.random.default_rng(7)
    train = [_blocks(rng) for _ in range(3)]
    test, expected = _blocks(rng)
    fits = learn_line_drawing(train, [test])
    assert fits and np.array_equal(fits[0].predictions[0], expected), [f.describe() for f in fits]
    assert "fronts of 1s up-left" in fits[0].describe()
