"""Panel summaries: one output cell per panel, colored by a fact of the panel learned from the train pairs."""

from __future__ import annotations

import numpy as np
import pytest

from arc_ttt.domain.programs.learners.panel_summary import learn_panel_summary


def _board(rng: np.random.Generator, counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """3x3 panels of 3x3 cells between gray lines, panel k holding counts[k] pink cells; the answer marks
    with blue the panels holding exactly two."""
    image = np.full((11, 11), 0, dtype=np.uint8)
    image[3, :] = image[7, :] = image[:, 3] = image[:, 7] = 5
    answer = np.zeros((3, 3), dtype=np.uint8)
    for k, count in enumerate(counts):
        r, c = divmod(k, 3)
        cells = rng.permutation(9)[:count]
        for cell in cells:
            image[4 * r + cell // 3, 4 * c + cell % 3] = 6
        answer[r, c] = 1 if count == 2 else 0
    return image, answer


@pytest.mark.parametrize("seed", range(3))
def test_panels_holding_two_cells_are_marked_even_for_counts_training_never_showed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    train = [_board(rng, [0, 1, 2, 3, *rng.choice([0, 1, 2, 3], size=5)]) for _ in range(3)]
    test, expected = _board(rng, [2, 4, 1, 5, 2, 3, 1, 2, 4])  # four and five: counts no train panel had
    fits = learn_panel_summary(train, [test])
    assert fits and np.array_equal(fits[0].predictions[0], expected), [f.describe() for f in fits]
    assert fits[0].learned_cells


def test_no_summary_when_the_output_is_not_one_cell_per_panel() -> None:
    rng = np.random.default_rng(0)
    train = [_board(rng, [1] * 9) for _ in range(2)]
    train = [(image, np.zeros((2, 2), dtype=np.uint8)) for image, _ in train]
    assert learn_panel_summary(train, [train[0][0]]) == []
