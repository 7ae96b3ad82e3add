"""The task searched under colors renamed by role: the renaming is a permutation per image, answers are
renamed back, and the view is searched only where it makes the pairs alike."""

from __future__ import annotations

import numpy as np

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.programs.dsl.images import to_grid
from arc_ttt.domain.programs.program_search import ProgramSearch
from arc_ttt.domain.programs.views import VIEW_STEP, color_view
from tests.builders import program_search_options


def _pair(rng: np.random.Generator, color: int) -> tuple[np.ndarray, np.ndarray]:
    """A shape of `color` (a different one in every pair) and a few marker cells of 5; the answer paints
    the shape blue (1) and keeps the markers."""
    image = np.zeros((6, 6), dtype=np.uint8)
    image[rng.random((6, 6)) < 0.5] = color
    image[0, :] = 0
    image[0, rng.choice(6, size=2, replace=False)] = 5
    return image, np.where(image == color, 1, image).astype(np.uint8)


def _task(seed: int) -> tuple[Task, Grid]:
    rng = np.random.default_rng(seed)
    pairs = [_pair(rng, color) for color in (2, 3, 4, 7)]
    grids = [(to_grid(i), to_grid(o)) for i, o in pairs]
    train = tuple(Example(i, o) for i, o in grids[:3] if i is not None and o is not None)
    test_in, test_out = grids[3]
    assert test_in is not None and test_out is not None
    return Task(f"roles-{seed}", train, (Example(test_in),)), test_out


def test_each_image_is_renamed_by_a_permutation_and_answers_back_by_its_inverse() -> None:
    rng = np.random.default_rng(0)
    pairs = [_pair(rng, color) for color in (2, 3, 4)]
    test = _pair(rng, 7)[0]
    view = color_view(pairs, [test])
    assert view is not None
    for table in (*view.pairs, *view.tests):
        assert sorted(table[:10].tolist()) == list(range(10))
    renamed_train, [renamed_test] = view.task(pairs, [test])
    assert len({int(i[i != 0].max()) for i, _ in renamed_train} | {int(renamed_test[renamed_test != 0].max())}) == 1
    assert np.array_equal(view.backward[0][renamed_test], test)


def test_pairs_renamed_alike_give_no_view() -> None:
    rng = np.random.default_rng(1)
    pairs = [_pair(rng, 2) for _ in range(3)]
    assert color_view(pairs, [_pair(rng, 2)[0]]) is None


def test_a_task_whose_shape_changes_color_is_answered_through_the_view() -> None:
    for seed in (0, 1, 2):
        task, answer = _task(seed)
        solution = ProgramSearch(program_search_options()).solve(task, 30.0)
        [first, *_] = solution.candidates[0]
        assert first.grid == answer
        assert first.explanation.startswith(VIEW_STEP)
