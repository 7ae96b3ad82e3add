"""Every augmentation is a bijection whose inverse restores grids, examples and their order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example
from arc_ttt.domain.ttt.augmentation import (
    Augmentation,
    augmentation_plan,
    inference_plan,
    invert_colors,
    random_color_permutation,
)

colors = st.integers(0, 9)


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    return Grid.of(draw(st.lists(st.lists(colors, min_size=w, max_size=w), min_size=h, max_size=h)))


@st.composite
def augmentations(draw: st.DrawFn, num_examples: int = 0) -> Augmentation:
    rest = draw(st.permutations(list(range(1, 10))))
    order = tuple(draw(st.permutations(list(range(num_examples))))) if num_examples else ()
    return Augmentation(draw(st.sampled_from(list(Dihedral))), (0, *rest), order)


@settings(max_examples=200, deadline=None)
@given(grids(), augmentations())
def test_invert_grid_undoes_apply_grid(grid: Grid, aug: Augmentation) -> None:
    assert aug.invert_grid(aug.apply_grid(grid)) == grid
    assert aug.inverse().apply_grid(aug.apply_grid(grid)) == grid


@settings(max_examples=100, deadline=None)
@given(grids(), augmentations())
def test_background_stays_background(grid: Grid, aug: Augmentation) -> None:
    moved = aug.apply_grid(grid)
    zeros = sum(row.count(0) for row in grid.rows)
    assert sum(row.count(0) for row in moved.rows) == zeros
    assert moved.shape == (grid.shape[::-1] if aug.dihedral.swaps_axes else grid.shape)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(grids(), grids()), min_size=1, max_size=5).flatmap(
    lambda pairs: st.tuples(st.just(pairs), augmentations(len(pairs)))))
def test_example_order_shuffle_is_undone(case: tuple[list[tuple[Grid, Grid]], Augmentation]) -> None:
    pairs, aug = case
    examples = tuple(Example(a, b) for a, b in pairs)
    moved = aug.apply_examples(examples)
    assert aug.invert_examples(moved) == examples
    assert aug.inverse().apply_examples(moved) == examples


def test_color_permutations_keep_zero_and_invert() -> None:
    rng = random.Random(3)
    for _ in range(50):
        perm = random_color_permutation(rng)
        assert perm[0] == 0 and sorted(perm) == list(range(10))
        assert invert_colors(invert_colors(perm)) == perm


def test_invalid_augmentations_are_refused() -> None:
    with pytest.raises(ValueError):
        Augmentation(colors=(1, 0, 2, 3, 4, 5, 6, 7, 8, 9))  # moves the background
    with pytest.raises(ValueError):
        Augmentation(order=(0, 0))


def test_plans_start_with_identity_and_are_distinct() -> None:
    plan = augmentation_plan(random.Random(0), 12, num_examples=3)
    assert plan[0].is_identity and len(plan) == 12
    assert len({(a.key, a.order) for a in plan}) == 12
    views = inference_plan(random.Random(0), transforms=8, per_transform=2, num_examples=3)
    assert len(views) == 16 and views[0].is_identity
    assert [v.group for v in views[::2]] == [d.value for d in Dihedral]
