"""Invertible augmentations of ARC tasks, as test-time training uses them.

A model trained on many views of a task (rotated, mirrored, recolored, demonstrations reordered)
learns the rule rather than one picture of it; at inference each view yields a prediction that is
mapped back through the inverse and voted on. Every transform here is a bijection on grids, so the
inverse is exact. Background (color 0) is kept fixed by color permutations, because ARC treats it
differently from the other colors.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.grid import NUM_COLORS, Grid
from arc_ttt.domain.arc.task import Example

IDENTITY_COLORS: tuple[int, ...] = tuple(range(NUM_COLORS))


def is_color_permutation(colors: Sequence[int]) -> bool:
    """A permutation of 0..9 that leaves the background color 0 where it is."""
    return len(colors) == NUM_COLORS and sorted(colors) == list(IDENTITY_COLORS) and colors[0] == 0


def invert_colors(colors: Sequence[int]) -> tuple[int, ...]:
    inverse = [0] * NUM_COLORS
    for src, dst in enumerate(colors):
        inverse[dst] = src
    return tuple(inverse)


def recolor(grid: Grid, colors: Sequence[int]) -> Grid:
    return Grid(tuple(tuple(colors[c] for c in row) for row in grid.rows))


@dataclass(frozen=True, slots=True)
class Augmentation:
    """A dihedral symmetry, then a color permutation, on every grid; and an order of the demonstrations.

    `order` is a permutation of the demonstration indices (empty: keep the order). Output grids are
    transformed the same way as inputs, so a prediction made under the augmentation is mapped back
    with `invert_grid`.
    """

    dihedral: Dihedral = Dihedral.IDENTITY
    colors: tuple[int, ...] = IDENTITY_COLORS
    order: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not is_color_permutation(self.colors):
            raise ValueError(f"not a color permutation fixing 0: {self.colors}")
        if self.order and sorted(self.order) != list(range(len(self.order))):
            raise ValueError(f"not an order of demonstrations: {self.order}")

    @property
    def key(self) -> str:
        """The geometric and color part, which is what voting groups predictions by."""
        colors = "" if self.colors == IDENTITY_COLORS else "/c" + "".join(map(str, self.colors))
        return f"{self.dihedral.value}{colors}"

    @property
    def group(self) -> str:
        """The transform voting groups by: views that differ only in colors or order are samples of
        the same transform."""
        return self.dihedral.value

    @property
    def is_identity(self) -> bool:
        return self.dihedral is Dihedral.IDENTITY and self.colors == IDENTITY_COLORS and self.order == tuple(
            range(len(self.order))
        )

    def apply_grid(self, grid: Grid) -> Grid:
        return recolor(self.dihedral.apply(grid), self.colors)

    def invert_grid(self, grid: Grid) -> Grid:
        return self.dihedral.inverse().apply(recolor(grid, invert_colors(self.colors)))

    def inverse(self) -> Augmentation:
        """Undo recolor, then the symmetry: color maps commute with geometry, so this is again
        "a symmetry then a recolor", and the demonstration order is put back."""
        order = tuple(invert_order(self.order)) if self.order else ()
        return Augmentation(self.dihedral.inverse(), invert_colors(self.colors), order)

    def apply_example(self, example: Example) -> Example:
        output = None if example.output is None else self.apply_grid(example.output)
        return Example(self.apply_grid(example.input), output)

    def apply_examples(self, examples: Sequence[Example]) -> tuple[Example, ...]:
        """Transform every grid and reorder; the order must cover exactly these examples (or be empty)."""
        if self.order and len(self.order) != len(examples):
            raise ValueError(f"order of {len(self.order)} for {len(examples)} examples")
        ordered = [examples[i] for i in self.order] if self.order else list(examples)
        return tuple(self.apply_example(ex) for ex in ordered)

    def invert_examples(self, examples: Sequence[Example]) -> tuple[Example, ...]:
        restored = [Example(self.invert_grid(ex.input), None if ex.output is None else self.invert_grid(ex.output))
                    for ex in examples]
        if not self.order:
            return tuple(restored)
        back = invert_order(self.order)
        return tuple(restored[i] for i in back)


def invert_order(order: Sequence[int]) -> list[int]:
    back = [0] * len(order)
    for new_position, old_index in enumerate(order):
        back[old_index] = new_position
    return back


def random_color_permutation(rng: random.Random) -> tuple[int, ...]:
    rest = list(range(1, NUM_COLORS))
    rng.shuffle(rest)
    return (0, *rest)


def random_order(rng: random.Random, n: int) -> tuple[int, ...]:
    order = list(range(n))
    rng.shuffle(order)
    return tuple(order)


def augmentation_plan(
    rng: random.Random,
    count: int,
    *,
    num_examples: int,
    geometric: bool = True,
    colors: bool = True,
    shuffle: bool = True,
    include_identity: bool = True,
) -> list[Augmentation]:
    """`count` distinct augmentations: the dihedral symmetries first (in order), each combined with a
    random color permutation and demonstration order when asked. The identity view comes first."""
    plan: list[Augmentation] = []
    seen: set[tuple[str, tuple[int, ...]]] = set()
    if include_identity and count > 0:
        plan.append(Augmentation())
        seen.add((plan[0].key, ()))
    symmetries = list(Dihedral) if geometric else [Dihedral.IDENTITY]
    attempts = 0
    while len(plan) < count and attempts < 50 * count + 100:
        dihedral = symmetries[(len(plan) + attempts) % len(symmetries)]
        attempts += 1
        palette = random_color_permutation(rng) if colors else IDENTITY_COLORS
        order = random_order(rng, num_examples) if shuffle and num_examples > 1 else ()
        aug = Augmentation(dihedral, palette, order)
        if (aug.key, order) in seen:
            continue
        seen.add((aug.key, order))
        plan.append(aug)
    return plan


def inference_plan(
    rng: random.Random,
    *,
    transforms: int,
    per_transform: int,
    num_examples: int,
    colors: bool = True,
    shuffle: bool = True,
) -> list[Augmentation]:
    """Views for augmented inference: the first `transforms` symmetries (identity first), each with
    `per_transform` samples. The first sample of a symmetry keeps the original colors and order; the
    others draw a random color permutation and demonstration order, so voting inside a transform has
    several independent predictions to compare."""
    plan: list[Augmentation] = []
    for dihedral in list(Dihedral)[: max(1, transforms)]:
        seen: set[tuple[str, tuple[int, ...]]] = set()
        for sample in range(max(1, per_transform) * 10):
            if len(seen) >= per_transform:
                break
            palette = random_color_permutation(rng) if colors and sample > 0 else IDENTITY_COLORS
            order = random_order(rng, num_examples) if shuffle and sample > 0 and num_examples > 1 else ()
            aug = Augmentation(dihedral, palette, order)
            if (aug.key, order) in seen:
                continue
            seen.add((aug.key, order))
            plan.append(aug)
    return plan
