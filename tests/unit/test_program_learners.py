"""Learners that read one parameter off the train pairs: the anchor color objects move to (or the
anchor, its color and the fate of strays), the number an output draws, the color a one-color answer
takes. Tried on generated pairs, including test inputs whose count or color no train input had."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from arc_ttt.domain.programs.learners.attraction import learn_attraction
from arc_ttt.domain.programs.learners.color_answers import learn_color_answer
from arc_ttt.domain.programs.learners.color_steps import attract, flood, learn_color_steps
from arc_ttt.domain.programs.learners.counting import learn_counting
from arc_ttt.domain.programs.learners.line_drawing import learn_line_drawing
from arc_ttt.domain.programs.learners.panel_summary import learn_panel_summary
from arc_ttt.domain.programs.learners.picks import learn_picks
from arc_ttt.domain.programs.learners.stamps import learn_stamps


def img(*rows: str) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in rows], dtype=np.uint8)


def test_objects_move_straight_or_diagonally_until_they_touch_the_anchor() -> None:
    before = img("5000000", "0000000", "0000000", "0008800", "0008805", "0000000", "0000000")
    after = img("0000000", "0000000", "0050000", "0008800", "0008850", "0000000", "0000000")
    assert np.array_equal(attract(before, 8), after)
    one_step = attract(before, 8, one_step=True)
    assert one_step is not None and one_step[1, 1] == 5 and one_step[4, 5] == 5
    assert attract(img("005", "000", "000", "800"), 8) is None  # off the diagonal: the path misses the anchor


def _scatter(rng: np.random.Generator, anchor: int, mover: int) -> tuple[np.ndarray, np.ndarray]:
    """A 2x2 anchor block and one mover in its column, above or below: input and expected output."""
    image = np.zeros((9, 9), dtype=np.uint8)
    top, left = int(rng.integers(3, 5)), int(rng.integers(0, 8))
    image[top:top + 2, left:left + 2] = anchor
    out = image.copy()
    if rng.random() < 0.5:
        image[0, left], out[top - 1, left] = mover, mover
    else:
        image[8, left], out[top + 2, left] = mover, mover
    return image, out


def test_the_anchor_color_is_learned_from_fresh_pairs() -> None:
    rng = np.random.default_rng(0)
    train = [_scatter(rng, 3, 6) for _ in range(3)]
    test, expected = _scatter(rng, 3, 6)
    fits = learn_color_steps(train, [test])
    assert fits and fits[0].steps == ("attract(to color 3)",)
    assert np.array_equal(fits[0].predictions[0], expected)
    assert not fits[0].learned_cells  # one learned color, like a recolor: may be sure


def _bar_and_dots(rng: np.random.Generator, anchor: int, mover: int) -> tuple[np.ndarray, np.ndarray]:
    """A wall of `anchor` across the middle rows and dots of `mover` above and below it in distinct columns;
    the expected output: every dot lands on the wall, in the wall's color."""
    image = np.zeros((12, 10), dtype=np.uint8)
    top, bottom = 5, 5 + int(rng.integers(1, 3))
    image[top:bottom, 1:9] = anchor
    out = image.copy()
    for column in (1, 3, 5, 7):  # apart, so that no two dots touch and move as one shape
        if rng.random() < 0.5:
            image[int(rng.integers(0, top - 1)), column], out[top - 1, column] = mover, anchor
        else:
            image[int(rng.integers(bottom + 1, 12)), column], out[bottom, column] = mover, anchor
    return image, out


def test_shapes_fall_onto_the_largest_shape_in_its_color_whatever_the_colors() -> None:
    rng = np.random.default_rng(5)
    train = [_bar_and_dots(rng, 5, 2) for _ in range(3)]
    test, expected = _bar_and_dots(rng, 4, 3)  # colors no train pair had: the anchor is found by its size
    fits = learn_attraction(train, [test])
    assert fits and np.array_equal(fits[0].predictions[0], expected), [f.describe() for f in fits]
    assert all(f.learned_cells for f in fits)


def test_shapes_in_one_line_stack_on_the_anchor_rather_than_overlap() -> None:
    train = [(img("2000", "0000", "2000", "0000", "5555"), img("0000", "0000", "2000", "2000", "5555")),
             (img("0200", "0000", "0000", "5555"), img("0000", "0000", "0200", "5555"))]
    fits = learn_attraction(train, [img("0030", "0030", "0000", "0000", "0000", "5555")])
    assert fits and np.array_equal(fits[0].predictions[0], img("0000", "0000", "0000", "0030", "0030", "5555"))


def test_what_becomes_of_a_shape_no_straight_line_leads_from_is_learned() -> None:
    """The 3 at the far right sees no anchor cell in any of eight directions: it goes in training."""
    train = [(img("2000000", "0000003", "0000000", "5500000"), img("0000000", "0000000", "2000000", "5500000")),
             (img("0200000", "0000000", "0000003", "0550000"), img("0000000", "0000000", "0200000", "0550000"))]
    fits = learn_attraction(train, [img("0000200", "0000000", "0000550", "3000000")])
    assert fits and np.array_equal(fits[0].predictions[0], img("0000000", "0000200", "0000550", "0000000"))
    assert "the rest go" in fits[0].describe()


def test_moves_that_do_not_explain_the_outputs_are_no_attraction() -> None:
    train = [(img("200", "000", "555"), img("000", "002", "555")), (img("020", "000", "555"), img("000", "200", "555"))]
    assert learn_attraction(train, [img("002", "000", "555")]) == []


def _objects(rng: np.random.Generator, n: int, color: int) -> np.ndarray:
    """n one-cell objects of `color` (never touching) and a few noise cells of color 5."""
    image = np.zeros((10, 10), dtype=np.uint8)
    spots = rng.permutation(25)[: n + 3]
    for k, spot in enumerate(spots):
        image[2 * (spot // 5), 2 * (spot % 5)] = color if k < n else 5
    return image


def test_a_count_is_drawn_even_for_a_number_no_train_input_had() -> None:
    rng = np.random.default_rng(1)
    train = [(_objects(rng, n, 2), np.eye(n, dtype=np.uint8) * 8) for n in (2, 4, 3)]
    fits = learn_counting(train, [_objects(rng, 6, 2)])
    assert fits and np.array_equal(fits[0].predictions[0], np.eye(6, dtype=np.uint8) * 8)
    assert fits[0].learned_cells
    row = [(_objects(rng, n, 2), np.array([[1] * n + [0] * (6 - n)], dtype=np.uint8)) for n in (1, 3, 2)]
    drawn = learn_counting(row, [_objects(rng, 5, 2)])
    assert drawn and np.array_equal(drawn[0].predictions[0], np.array([[1, 1, 1, 1, 1, 0]], dtype=np.uint8))


def test_a_count_that_never_changes_explains_nothing() -> None:
    rng = np.random.default_rng(2)
    train = [(_objects(rng, 3, 2), np.eye(3, dtype=np.uint8)) for _ in range(3)]
    assert learn_counting(train, [_objects(rng, 4, 2)]) == []


def _ring(rng: np.random.Generator, outer: int, inner: int) -> np.ndarray:
    """A 3x3 ring of `outer` around a cell of `inner`, among loose cells of both colors."""
    image = np.zeros((9, 9), dtype=np.uint8)
    top, left = int(rng.integers(0, 2)), int(rng.integers(0, 6))
    image[top:top + 3, left:left + 3] = outer
    image[top + 1, left + 1] = inner
    for color in (outer, inner):
        image[int(rng.integers(5, 9)), int(rng.integers(0, 9))] = color
    image[8, 0] = outer
    return image


def test_the_color_inside_the_ring_is_read_off_the_test_input() -> None:
    rng = np.random.default_rng(4)
    pairs = [(4, 2), (3, 8), (1, 6)]
    train = [(_ring(rng, a, b), np.array([[b]], dtype=np.uint8)) for a, b in pairs]
    fits = learn_color_answer(train, [_ring(rng, 2, 7)])  # 7: an answer no train output had
    assert fits and np.array_equal(fits[0].predictions[0], np.array([[7]], dtype=np.uint8))
    assert fits[0].learned_cells


def test_outputs_of_several_colors_are_no_one_color_answer() -> None:
    train = [(np.full((2, 2), c, dtype=np.uint8), np.array([[c, 0]], dtype=np.uint8)) for c in (1, 2)]
    assert learn_color_answer(train, [np.full((2, 2), 3, dtype=np.uint8)]) == []


_grids = st.integers(1, 6).flatmap(
    lambda h: st.integers(1, 6).flatmap(lambda w: arrays(np.uint8, (h, w), elements=st.integers(0, 9))))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_grids, _grids), min_size=1, max_size=3), st.lists(_grids, min_size=1, max_size=2))
def test_learners_answer_any_task_with_valid_grids_or_nothing(train: list, tests: list) -> None:
    def picks(train: list, tests: list) -> list:
        return learn_picks(train, tests, lambda: False)

    for learner in (learn_color_steps, learn_counting, learn_color_answer, learn_line_drawing, learn_stamps,
                    learn_panel_summary, learn_attraction, picks):
        for fit in learner(train, tests):
            assert len(fit.predictions) == len(tests)
            for grid in fit.predictions:
                assert grid.ndim == 2 and grid.size > 0 and int(grid.max()) <= 9


def test_flood_fills_the_background_regions_touching_the_source_color() -> None:
    image = img("0030000", "0130000", "3330000", "0000300", "0000300")
    assert np.array_equal(flood(image, 1), img("1130000", "1130000", "3330000", "0000300", "0000300"))
    assert np.array_equal(flood(img("0010", "0330", "0000"), 1), img("1111", "1331", "1111"))
    assert flood(img("000", "030"), 1) is None  # no source cell: nothing to flood


def test_a_test_input_with_no_color_to_read_gets_no_one_color_answer() -> None:
    train = [(img("011111"), img("0")), (img("011111"), img("0"))]  # the commonest color besides the background
    assert learn_color_answer(train, [img("0")]) == []  # a blank test input has none
