"""The output shape the demonstrations imply: same as input, one fixed shape, a fixed scaling, or none."""

from __future__ import annotations

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.output_shape import predicted_output_shape
from arc_ttt.domain.arc.task import Example


def ex(h: int, w: int, oh: int, ow: int) -> Example:
    return Example(Grid.filled(h, w), Grid.filled(oh, ow))


def test_same_shape_as_the_input() -> None:
    assert predicted_output_shape((ex(2, 3, 2, 3), ex(4, 4, 4, 4)), Grid.filled(5, 7)) == (5, 7)


def test_one_fixed_shape() -> None:
    assert predicted_output_shape((ex(2, 3, 1, 1), ex(4, 4, 1, 1)), Grid.filled(5, 7)) == (1, 1)


def test_fixed_scaling() -> None:
    assert predicted_output_shape((ex(2, 3, 6, 9), ex(3, 3, 9, 9)), Grid.filled(2, 2)) == (6, 6)


def test_no_rule_leaves_the_shape_to_the_model() -> None:
    assert predicted_output_shape((ex(2, 3, 1, 5), ex(4, 4, 3, 3)), Grid.filled(2, 2)) is None
    assert predicted_output_shape((ex(2, 3, 6, 9), ex(3, 3, 9, 9)), Grid.filled(20, 2)) is None  # over 30
    assert predicted_output_shape((), Grid.filled(2, 2)) is None
