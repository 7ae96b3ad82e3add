"""The search finds known compositions on generated tasks, and the solver ranks and labels them."""

from __future__ import annotations

import numpy as np
import pytest

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.programs.dsl import primitives as prim
from arc_ttt.domain.programs.dsl.images import to_grid
from arc_ttt.domain.programs.fits import Fit
from arc_ttt.domain.programs.program_search import ProgramSearch
from arc_ttt.domain.programs.search import search
from tests.builders import notes_of, program_search_options

COMPOSITIONS = {
    "rotate(90) -> upscale(2)": (prim.rotate(1), prim.upscale(2)),
    "flip(left-right) -> tile(1x2)": (prim.flip_lr, prim.tile(1, 2)),
    "crop(content) -> transpose": (prim.crop_content, prim.transpose),
    "gravity(down) -> rotate(180)": (prim.gravity(0), prim.rotate(2)),
    "mirror_tile(quad) -> flip(up-down)": (prim.mirror_tile("quad"), prim.flip_ud),
    "crop(content) -> mirror_tile(right) -> upscale(2)": (
        prim.crop_content, prim.mirror_tile("right"), prim.upscale(2)),
}


def _random_image(rng: np.random.Generator, sparse: bool) -> np.ndarray:
    h, w = rng.integers(3, 7, size=2)
    image = rng.integers(1, 10, size=(h, w)).astype(np.uint8)
    if sparse:
        image[rng.random((h, w)) < 0.6] = 0
        frame = np.zeros((h + 4, w + 4), dtype=np.uint8)
        top, left = rng.integers(0, 4, size=2)
        frame[top:top + h, left:left + w] = image
        image = frame
    return image


def _run(steps: tuple, image: np.ndarray) -> np.ndarray | None:
    for step in steps:
        image = step(image)
        if image is None:
            return None
    return image


def _generated_task(steps: tuple, seed: int) -> tuple[Task, Grid]:
    rng = np.random.default_rng(seed)
    pairs: list[tuple[Grid, Grid]] = []
    while len(pairs) < 4:
        image = _random_image(rng, sparse=True)
        result = _run(steps, image)
        grid_in, grid_out = to_grid(image), None if result is None else to_grid(result)
        if grid_in is not None and grid_out is not None:
            pairs.append((grid_in, grid_out))
    train = tuple(Example(i, o) for i, o in pairs[:3])
    return Task(f"generated-{seed}", train, (Example(pairs[3][0]),)), pairs[3][1]


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
@pytest.mark.parametrize("seed", [1, 2])
def test_the_search_finds_a_known_composition(name: str, seed: int) -> None:
    task, expected = _generated_task(COMPOSITIONS[name], seed)
    solution = ProgramSearch(program_search_options(max_depth=len(COMPOSITIONS[name]))).solve(task, time_limit=60.0)
    (candidates,) = solution.candidates
    assert expected in [c.grid for c in candidates[:2]], solution.notes
    assert candidates[0].grid == expected
    assert candidates[0].sure == (len(COMPOSITIONS[name]) <= 2)  # longer programs are never called sure


def test_every_fit_explains_every_train_pair() -> None:
    task, _ = _generated_task(COMPOSITIONS["rotate(90) -> upscale(2)"], 7)
    train = [(np.array(e.input.rows, np.uint8), np.array(e.output.rows, np.uint8)) for e in task.train]
    fits = search(train, [np.array(task.test[0].input.rows, np.uint8)], deadline=float("inf"))
    assert fits and [f.cost for f in fits] == sorted(f.cost for f in fits)
    assert any("rotate(90)" in f.describe() or "upscale(2)" in f.describe() for f in fits)


def test_an_unexplainable_task_gets_no_sure_answer() -> None:
    rng = np.random.default_rng(3)
    train = tuple(Example(Grid.of(rng.integers(0, 10, (4, 4))), Grid.of(rng.integers(0, 10, (3, 5)))) for _ in range(3))
    task = Task("noise", train, (Example(Grid.of(rng.integers(0, 10, (4, 4)))),))
    solution = ProgramSearch(program_search_options(max_depth=2)).solve(task, time_limit=10.0)
    assert not any(c.sure for cands in solution.candidates for c in cands)


def test_shards_together_find_what_one_search_finds() -> None:
    task, expected = _generated_task(COMPOSITIONS["flip(left-right) -> tile(1x2)"], 4)
    whole = ProgramSearch(program_search_options(max_depth=2))
    fits = [fit for k in range(3) for fit in whole.explore(task, 60.0, (k, 3))]
    merged = whole.rank(task, fits, 0.0)
    assert merged.candidates[0][0].grid == expected
    assert merged.candidates == whole.solve(task, 60.0).candidates


def test_the_program_is_told_in_words() -> None:
    task, _ = _generated_task(COMPOSITIONS["rotate(90) -> upscale(2)"], 1)
    solution = ProgramSearch(program_search_options(max_depth=2)).solve(task, time_limit=60.0)
    assert solution.candidates[0][0].explanation == notes_of(solution).program
    assert "->" in solution.candidates[0][0].explanation


def test_no_memo_outlives_its_task() -> None:
    from arc_ttt.domain.programs.dsl import images, partitions, symmetry

    task, _ = _generated_task(COMPOSITIONS["crop(content) -> transpose"], 3)
    ProgramSearch(program_search_options(max_depth=2)).solve(task, time_limit=30.0)
    for cached in (images._pieces, partitions._split_by_lines, symmetry._complete, symmetry._candidates):
        assert cached.cache_info().currsize == 0


@pytest.mark.parametrize("seed", range(3))
def test_a_fixed_size_window_in_a_corner_is_found(seed: int) -> None:
    rng = np.random.default_rng(seed)
    images = [rng.integers(0, 10, size=rng.integers(4, 9, size=2)).astype(np.uint8) for _ in range(4)]
    train = [(image, image[-3:, :2].copy()) for image in images[:3]]
    fits = search(train, [images[3]], deadline=float("inf"))
    assert fits and fits[0].finish == "corner(bottom-left, 3x2)"
    assert np.array_equal(fits[0].predictions[0], images[3][-3:, :2])


def test_a_program_that_only_adds_steps_to_a_chosen_one_is_no_second_attempt() -> None:
    """`flip -> crop` fits the train pairs only because the flip changes nothing there: its different test
    answer is no evidence, and a different explanation gets the second attempt."""
    task = Task("t", (Example(Grid.of([[1]]), Grid.of([[1]])),) * 2, (Example(Grid.of([[1, 2]])),))
    answer = {name: np.array(grid, dtype=np.uint8) for name, grid in (("a", [[1]]), ("b", [[2]]), ("c", [[3]]))}
    fits = [Fit(("crop",), "as is", 1.0, (answer["a"],)), Fit(("flip", "crop"), "as is", 2.0, (answer["b"],)),
            Fit(("pick",), "max size", 2.5, (answer["c"],))]
    first, second = ProgramSearch(program_search_options()).rank(task, fits, 0.0).candidates[0]
    assert (first.explanation, second.explanation) == ("crop", "pick -> max size")
    alone = ProgramSearch(program_search_options()).rank(task, fits[1:], 0.0).candidates[0]
    assert [c.explanation for c in alone] == ["flip -> crop", "pick -> max size"]


def test_an_answer_of_the_size_the_train_pairs_imply_ranks_before_a_cheaper_one_of_another_size() -> None:
    """Every train output has its input's size, so a test answer of another size is the weaker bet."""
    pair = Example(Grid.of([[1, 2], [3, 4]]), Grid.of([[4, 3], [2, 1]]))
    task = Task("t", (pair, pair), (Example(Grid.of([[1, 2, 3], [4, 5, 6]])),))
    wrong_size, right_size = np.zeros((2, 2), dtype=np.uint8), np.ones((2, 3), dtype=np.uint8)
    fits = [Fit(("cheap",), "as is", 1.0, (wrong_size,)), Fit(("dear",), "as is", 2.0, (right_size,))]
    first, second = ProgramSearch(program_search_options()).rank(task, fits, 0.0).candidates[0]
    assert (first.explanation, second.explanation) == ("dear", "cheap")
