"""Test answers' sizes read off a one-step program, where no size rule holds."""

from __future__ import annotations

import numpy as np

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.output_shape import predicted_output_shape
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.programs.fits import Fit
from arc_ttt.domain.programs.program_search import ProgramSearch
from arc_ttt.domain.programs.sizes import sizes_by_program
from tests.builders import program_search_options


def _framed(h: int, w: int, side: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A block of h x w colored cells somewhere on a blank side x side canvas, and the block alone."""
    rng = np.random.default_rng(seed)
    block = rng.integers(1, 10, size=(h, w)).astype(np.uint8)
    canvas = np.zeros((side, side), np.uint8)
    top, left = rng.integers(0, side - h + 1), rng.integers(0, side - w + 1)
    canvas[top:top + h, left:left + w] = block
    return canvas, block


def _crop_task() -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    train = [_framed(2, 3, 8, 1), _framed(4, 2, 9, 2), _framed(3, 3, 7, 3)]
    test, _ = _framed(5, 2, 10, 4)
    return train, test


def test_the_size_of_a_crop_is_read_off_the_crop_step() -> None:
    train, test = _crop_task()
    assert sizes_by_program(train, [test]) == [(5, 2)]


def test_no_step_sizing_every_pair_gives_no_size() -> None:
    rng = np.random.default_rng(0)
    train = [(rng.integers(1, 10, (4, 4)).astype(np.uint8), np.zeros(shape, np.uint8))
             for shape in ((3, 7), (11, 2), (5, 13))]
    assert sizes_by_program(train, [np.ones((4, 4), np.uint8)]) == [None]
    assert sizes_by_program([], [np.ones((4, 4), np.uint8)]) == [None]


def test_answers_of_the_program_size_rank_first_where_no_rule_says() -> None:
    train, test = _crop_task()
    task = Task("crop", tuple(Example(Grid.of(i), Grid.of(o)) for i, o in train), (Example(Grid.of(test)),))
    assert predicted_output_shape(task.train, task.test[0].input) is None
    cheap_wrong = Fit(("cheap",), "as is", 1.0, (np.ones((2, 5), np.uint8),))
    dear_right_size = Fit(("dear",), "as is", 2.0, (np.ones((5, 2), np.uint8),))
    solution = ProgramSearch(program_search_options()).rank(task, [cheap_wrong, dear_right_size], 0.0)
    assert solution.candidates[0][0].grid.shape == (5, 2)
