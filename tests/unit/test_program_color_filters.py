"""Steps named by one color: what they keep, erase and paint, and where they do not apply."""

from __future__ import annotations

import numpy as np

from arc_ttt.domain.programs.dsl.color_filters import erase_color, fill_color_boxes, keep_color, paint_shapes

IMAGE = np.array([[0, 2, 0, 0],
                  [0, 2, 3, 0],
                  [0, 0, 0, 0],
                  [0, 0, 3, 0]], dtype=np.uint8)


def test_keep_a_color_blanks_the_others() -> None:
    kept = keep_color(3)(IMAGE)
    assert kept is not None and kept.tolist() == [[0, 0, 0, 0], [0, 0, 3, 0], [0, 0, 0, 0], [0, 0, 3, 0]]


def test_erase_a_color_blanks_it() -> None:
    erased = erase_color(2)(IMAGE)
    assert erased is not None and erased.tolist() == [[0, 0, 0, 0], [0, 0, 3, 0], [0, 0, 0, 0], [0, 0, 3, 0]]


def test_paint_shapes_recolors_every_shape() -> None:
    painted = paint_shapes(5)(IMAGE)
    assert painted is not None and painted.tolist() == [[0, 5, 0, 0], [0, 5, 5, 0], [0, 0, 0, 0], [0, 0, 5, 0]]


def test_a_missing_color_or_the_background_does_not_apply() -> None:
    for step in (keep_color, erase_color):
        assert step(7)(IMAGE) is None  # not in the image
        assert step(0)(IMAGE) is None  # the background
    assert paint_shapes(0)(IMAGE) is None
    assert paint_shapes(2)(np.where(IMAGE == 3, 0, IMAGE).astype(np.uint8)) is None  # already all that color



def test_each_color_fills_its_bounding_box_the_rarer_on_top() -> None:
    image = np.array([[2, 0, 0, 0],
                      [0, 0, 0, 0],
                      [0, 3, 0, 2],
                      [0, 0, 3, 0]], dtype=np.uint8)
    image[0, 1] = 2  # color 2 is the commoner: its box is painted first
    filled = fill_color_boxes(image)
    assert filled is not None and filled.tolist() == [[2, 2, 2, 2], [2, 2, 2, 2], [2, 3, 3, 2], [0, 3, 3, 0]]
    assert fill_color_boxes(np.array([[1, 1], [0, 0]], dtype=np.uint8)) is None  # nothing to fill
