"""Partial answers laid one after another: a program's part is laid only where it is right on every cell
still unpainted, and a composition completes every train output or is not made."""

from __future__ import annotations

import numpy as np

from arc_ttt.domain.programs.fits import COMPOSE, PARTIAL
from arc_ttt.domain.programs.pieces import PieceCollector


def _pairs(seed: int, count: int = 3) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(output, left, right): outputs whose left half one program paints and whose right half another
    paints, each program leaving the other half background."""
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(count):
        output = rng.integers(1, 10, size=(4, 6)).astype(np.uint8)
        output[rng.random((4, 6)) < 0.4] = 0  # the background
        output[:, [2, 5]] = 5  # at least one colored cell in each half
        left, right = output.copy(), output.copy()
        left[:, 3:], right[:, :3] = 0, 0
        found.append((output, left, right))
    return found


def test_two_programs_right_on_two_halves_make_one_answer() -> None:
    tasks = _pairs(0)  # two train pairs and a test
    collector = PieceCollector([out for out, _, _ in tasks[:2]])
    collector.offer(("paint left",), 1.0, [left for _, left, _ in tasks])
    collector.offer(("paint right",), 2.0, [right for _, _, right in tasks])
    fit, second = collector.compose()
    assert second.finish.split(": ", 1)[1].split("]")[0] != fit.finish.split(": ", 1)[1].split("]")[0]
    assert np.array_equal(second.predictions[0], tasks[2][0])  # the other order paints the same answer
    assert fit.steps == (COMPOSE,)
    assert fit.learned_cells  # never a sure answer
    assert "[paint left: " in fit.finish and "[paint right: " in fit.finish
    assert np.array_equal(fit.predictions[0], tasks[2][0])
    assert fit.cost == 1.0 + 2.0 + 1.0


def test_a_program_wrong_on_a_cell_nobody_else_paints_cannot_finish_the_answer() -> None:
    tasks = _pairs(1)
    wrong = [right.copy() for _, _, right in tasks]
    wrong[1][0, 5] = wrong[1][0, 5] % 9 + 1  # a colored cell of the second train output, off
    collector = PieceCollector([out for out, _, _ in tasks[:2]])
    collector.offer(("paint left",), 1.0, [left for _, left, _ in tasks])
    collector.offer(("paint right, one cell off",), 1.0, wrong)
    assert collector.compose() == []


def test_a_cell_painted_first_keeps_its_color() -> None:
    """A program wrong only on cells an earlier turn painted is still laid: the first painter wins."""
    tasks = _pairs(2)
    spill = [right.copy() for _, _, right in tasks]
    for image, (_, left, _) in zip(spill, tasks):
        image[:, 0] = np.where(left[:, 0] == 0, 0, 7)  # wrong colors where the left program already painted
    collector = PieceCollector([out for out, _, _ in tasks[:2]])
    collector.offer(("paint left",), 1.0, [left for _, left, _ in tasks])
    collector.offer(("paint right, spill left",), 1.0, spill)
    fit, *_ = collector.compose()
    assert np.array_equal(fit.predictions[0], tasks[2][0])


def test_cells_nobody_can_paint_make_no_answer() -> None:
    tasks = _pairs(3)
    partial = [right.copy() for _, _, right in tasks]
    for image in partial[:2]:
        image[3, 5] = 0  # nobody paints this colored cell
    collector = PieceCollector([out for out, _, _ in tasks[:2]])
    collector.offer(("paint left",), 1.0, [left for _, left, _ in tasks])
    collector.offer(("paint most of the right",), 1.0, partial)
    assert collector.compose() == []


def test_a_wrong_size_a_placeholder_color_or_a_whole_answer_is_not_offered() -> None:
    tasks = _pairs(4)
    collector = PieceCollector([out for out, _, _ in tasks[:2]])
    collector.offer(("too wide",), 1.0, [np.pad(left, ((0, 0), (0, 1))) for _, left, _ in tasks])
    placeholder = [left.copy() for _, left, _ in tasks]
    placeholder[2][0, 0] = 10  # the test image still holds "some new color"
    collector.offer(("unfinished",), 1.0, placeholder)
    collector.offer(("the answer itself",), 1.0, [out for out, _, _ in tasks])
    assert len(collector) == 0


def test_test_images_of_different_sizes_make_no_answer() -> None:
    tasks = _pairs(5)
    collector = PieceCollector([out for out, _, _ in tasks[:2]])
    collector.offer(("paint left",), 1.0, [left for _, left, _ in tasks])
    rights = [right for _, _, right in tasks]
    collector.offer(("paint right",), 1.0, [*rights[:2], np.pad(rights[2], ((0, 1), (0, 0)))])
    assert collector.compose() == []


def test_a_program_missing_one_of_three_train_pairs_is_the_nearest_guess() -> None:
    tasks = _pairs(6, count=4)  # three train pairs and a test
    outputs = [out for out, _, _ in tasks[:3]]
    almost = [out.copy() for out, _, _ in tasks]
    almost[1][0, 0] = almost[1][0, 0] % 9 + 1  # the second train output, one cell off
    collector = PieceCollector(outputs)
    collector.offer(("dear",), 3.0, almost)
    collector.offer(("cheap",), 1.0, almost)
    collector.offer(("misses two",), 0.5, [almost[0], almost[1], almost[1], almost[3]])
    [fit] = collector.nearest()
    assert fit.steps == ("cheap", PARTIAL) and fit.learned_cells
    assert fit.finish == "right on 2 of 3 train pairs"
    assert np.array_equal(fit.predictions[0], tasks[3][0])


def test_with_two_train_pairs_missing_one_is_no_guess() -> None:
    tasks = _pairs(7)
    almost = [out.copy() for out, _, _ in tasks]
    almost[1][0, 0] = almost[1][0, 0] % 9 + 1
    collector = PieceCollector([out for out, _, _ in tasks[:2]])
    collector.offer(("one of two",), 1.0, almost)
    assert collector.nearest() == []
