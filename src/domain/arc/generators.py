"""Fresh tasks for simple ARC rules, in the spirit of re-arc: every call draws new grids (and new rule
parameters), so a model sees the rule rather than memorising the few pictures of a training task.

Each generator is a pure function of a `random.Random`: the same seed gives the same task. Rules
here are deliberately simple ones that occur across the ARC training set (symmetries, color maps,
gravity, scaling, tiling, cropping, filling enclosed rectangles, extending pixels into lines); none is
written from, or for, an evaluation task.

A `Split` says which side of a held-out split to draw from, so that a test-time-training benchmark can
pretrain on one side and evaluate on the other. Each family with a parameter split names its parameters
by a key that the augmentations of pretraining and TTT (symmetries, color permutations keeping 0) cannot
change: a symmetry's conjugacy class rather than the symmetry, how many colors a map changes rather than
which, a shift's sorted absolute offsets rather than its direction. So "never seen in pretraining" holds
even after augmentation. Whole families can be held out as well (`HELD_FAMILIES`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task

Rows = list[list[int]]
Rule = Callable[[Grid], Grid]


def sparse_grid(rng: random.Random, height: int, width: int, colors: list[int], density: float) -> Grid:
    rows = [[rng.choice(colors) if rng.random() < density else 0 for _ in range(width)] for _ in range(height)]
    if not any(any(row) for row in rows):
        rows[rng.randrange(height)][rng.randrange(width)] = colors[0]
    return Grid.of(rows)


def _palette(rng: random.Random, low: int = 1, high: int = 4) -> list[int]:
    return rng.sample(range(1, 10), rng.randint(low, high))


Side = Literal["any", "seen", "held-parameters", "held-families"]
SIDES: tuple[Side, ...] = ("any", "seen", "held-parameters", "held-families")


@dataclass(frozen=True, slots=True)
class Split:
    """Which tasks to draw. `seen`: the families not held out, with their parameters not held out (what a
    benchmark pretrains on); `held-parameters`: the same families, only with held-out parameters (only
    families that have a parameter split); `held-families`: only the held-out families; `any`: everything.
    `max_side` caps grid sides (short episodes for a CPU); None keeps each family's own sizes."""

    side: Side = "any"
    max_side: int | None = None

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"unknown side {self.side!r}; known: {', '.join(SIDES)}")
        if self.max_side is not None and self.max_side < 3:
            raise ValueError(f"max_side must be at least 3, got {self.max_side}")

    def cap(self, side: int) -> int:
        return side if self.max_side is None else min(side, self.max_side)


# Parameter keys per family (augmentation-invariant, see the module docstring) and the held-out ones.
SYMMETRY_CLASSES: dict[str, tuple[Dihedral, ...]] = {
    "flip": (Dihedral.FLIP_H, Dihedral.FLIP_V), "turn": (Dihedral.ROT90, Dihedral.ROT270),
    "halfturn": (Dihedral.ROT180,), "transpose": (Dihedral.TRANSPOSE, Dihedral.ANTI_TRANSPOSE),
}
PARAMETERS: dict[str, tuple[str, ...]] = {
    "symmetry": tuple(SYMMETRY_CLASSES),
    "color-map": ("1", "2", "3"),  # how many colors the map changes
    "shift": ("0x1", "0x2", "1x1", "1x2", "2x2"),  # sorted absolute row and column offsets (wrapping)
    "upscale": ("1x2", "2x2", "3x3", "1x3", "2x3"),  # sorted scale factors
    "flip-map": ("flip-1", "flip-3", "turn-1", "turn-3"),  # a symmetry class, then a map of that many colors
}
HELD_PARAMETERS: dict[str, frozenset[str]] = {
    "symmetry": frozenset({"halfturn", "transpose"}),
    "color-map": frozenset({"2"}),
    "shift": frozenset({"0x2", "1x2"}),
    "upscale": frozenset({"1x3", "2x3"}),
    # both parts seen on their own (flip and turn; 1 and 3 colors), never in these combinations
    "flip-map": frozenset({"flip-3", "turn-1"}),
}
HELD_FAMILIES: frozenset[str] = frozenset({"lines", "crop"})
SHIFT_SIDE = 10  # the largest side of a shift task's grids (before a split's cap)


def parameters(family: str, split: Split) -> tuple[str, ...]:
    """The parameter keys `family` may draw on `split`'s side (every key when the family has no split). A held-out
    key that the grid cap would turn into a seen one is not drawn: a shift by 2 on a grid 3 wide wraps into a shift
    by 1, so held-out shifts need grids at least twice their offset wide."""
    keys = PARAMETERS.get(family, ("",))
    held = HELD_PARAMETERS.get(family, frozenset())
    if split.side == "seen":
        return tuple(k for k in keys if k not in held)
    if split.side == "held-parameters":
        return tuple(k for k in keys if k in held and (family != "shift" or _shift_side(k) <= split.cap(SHIFT_SIDE)))
    return keys


def _shift_side(key: str) -> int:
    """The narrowest grid on which a shift by `key`'s offsets is told apart from a smaller one (wrapping)."""
    return max(3, 2 * max(int(x) for x in key.split("x")))


def families(split: Split) -> tuple[str, ...]:
    """The families `split` draws from, sorted."""
    names = sorted(GENERATORS)
    if split.side == "seen":
        return tuple(n for n in names if n not in HELD_FAMILIES)
    if split.side == "held-parameters":
        return tuple(n for n in names if HELD_PARAMETERS.get(n) and n not in HELD_FAMILIES and parameters(n, split))
    if split.side == "held-families":
        return tuple(n for n in names if n in HELD_FAMILIES)
    return tuple(names)


def _task(rng: random.Random, name: str, make_input: Callable[[random.Random], Grid], rule: Rule,
          pairs: int, key: str = "") -> Task:
    examples = []
    for _ in range(pairs):
        grid = make_input(rng)
        examples.append(Example(grid, rule(grid)))
    return Task(f"gen-{name}-{key}" if key else f"gen-{name}", tuple(examples[:-1]), (examples[-1],))


def _inputs(rng: random.Random, split: Split, max_side: int = 12, min_side: int = 3) -> Callable[[random.Random], Grid]:
    colors, density = _palette(rng), rng.uniform(0.1, 0.5)
    high = max(min_side, split.cap(max_side))
    return lambda r: sparse_grid(r, r.randint(min_side, high), r.randint(min_side, high), colors, density)


def _recolor(mapping: dict[int, int]) -> Rule:
    return lambda g: Grid.of([[mapping.get(c, c) for c in row] for row in g.rows])


def _color_mapping(rng: random.Random, count: int) -> dict[int, int]:
    """`count` colors each mapped to another color (never to itself, never to 0)."""
    return {c: rng.choice([x for x in range(1, 10) if x != c]) for c in rng.sample(range(1, 10), count)}


def symmetry(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    key = rng.choice(parameters("symmetry", split))
    transform = rng.choice(SYMMETRY_CLASSES[key])
    return _task(rng, "symmetry", _inputs(rng, split), transform.apply, pairs, key)


def color_map(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    """Some colors (how many is the parameter) become other colors; the inputs show every source color."""
    key = rng.choice(parameters("color-map", split))
    mapping = _color_mapping(rng, int(key))
    sources = sorted(mapping) + rng.sample([c for c in range(1, 10) if c not in mapping], rng.randint(0, 1))
    density = rng.uniform(0.3, 0.7)
    high = max(3, split.cap(10))

    def make(r: random.Random) -> Grid:
        return sparse_grid(r, r.randint(3, high), r.randint(3, high), sources, density)

    return _task(rng, "color-map", make, _recolor(mapping), pairs, key)


def shift(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    """The whole grid rolls by a fixed offset, wrapping around the edges."""
    key = rng.choice(parameters("shift", split))
    a, b = (int(x) for x in key.split("x"))
    dy, dx = (a, b) if rng.random() < 0.5 else (b, a)
    dy, dx = dy * rng.choice((1, -1)), dx * rng.choice((1, -1))

    def roll(grid: Grid) -> Grid:
        h, w = grid.height, grid.width
        return Grid.of([[grid.rows[(i - dy) % h][(j - dx) % w] for j in range(w)] for i in range(h)])

    narrowest = _shift_side(key) if split.side == "held-parameters" else 3
    return _task(rng, "shift", _inputs(rng, split, max_side=SHIFT_SIDE, min_side=narrowest), roll, pairs, key)


def upscale(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    """Every cell becomes an fy x fx block (the factors, sorted, are the parameter)."""
    key = rng.choice(parameters("upscale", split))
    a, b = (int(x) for x in key.split("x"))
    fy, fx = (a, b) if rng.random() < 0.5 else (b, a)

    def scale(grid: Grid) -> Grid:
        return Grid.of([[c for c in row for _ in range(fx)] for row in grid.rows for _ in range(fy)])

    return _task(rng, "upscale", _inputs(rng, split, max_side=10 // max(fy, fx) + 1, min_side=2), scale, pairs, key)


def flip_then_map(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    """Two rules composed: a symmetry, then a color map."""
    key = rng.choice(parameters("flip-map", split))
    kind, count = key.split("-")
    transform = rng.choice(SYMMETRY_CLASSES[kind])
    recolor = _recolor(_color_mapping(rng, int(count)))
    return _task(rng, "flip-map", _inputs(rng, split, max_side=10), lambda g: recolor(transform.apply(g)), pairs, key)


def gravity(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    """Every colored cell falls (down, up, left or right) until it meets the edge or another cell."""
    turn = rng.choice(list(Dihedral)[:4])  # rotate so the fall is downward, drop, rotate back

    def fall(grid: Grid) -> Grid:
        turned = turn.apply(grid)
        columns = list(zip(*turned.rows))
        dropped = []
        for column in columns:
            cells = [c for c in column if c]
            dropped.append([0] * (len(column) - len(cells)) + cells)
        return turn.inverse().apply(Grid.of([list(row) for row in zip(*dropped)]))

    return _task(rng, "gravity", _inputs(rng, split), fall, pairs)


def tile(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    """The input tiled 2x2, each copy possibly mirrored (the same choice of mirrors for the whole task)."""
    copies = [[rng.choice([Dihedral.IDENTITY, Dihedral.FLIP_H, Dihedral.FLIP_V, Dihedral.ROT180])
               for _ in range(2)] for _ in range(2)]

    def tiled(grid: Grid) -> Grid:
        rows: Rows = []
        for band in copies:
            parts = [d.apply(grid).rows for d in band]
            rows.extend([c for part in parts for c in part[i]] for i in range(grid.height))
        return Grid.of(rows)

    return _task(rng, "tile", _inputs(rng, split, max_side=6, min_side=2), tiled, pairs)


def crop(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    """The bounding box of the colored cells: one small shape placed in a larger empty grid."""
    colors = _palette(rng)

    def make(r: random.Random) -> Grid:
        h, w = r.randint(2, max(2, split.cap(7) - 2)), r.randint(2, max(2, split.cap(7) - 2))
        shape = sparse_grid(r, h, w, colors, 0.6)
        big_h, big_w = r.randint(h + 2, max(h + 2, split.cap(14))), r.randint(w + 2, max(w + 2, split.cap(14)))
        top, left = r.randint(0, big_h - h), r.randint(0, big_w - w)
        rows = [[0] * big_w for _ in range(big_h)]
        for i, row in enumerate(shape.rows):
            rows[top + i][left : left + w] = list(row)
        return Grid.of(rows)

    def box(grid: Grid) -> Grid:
        cells = [(i, j) for i, row in enumerate(grid.rows) for j, c in enumerate(row) if c]
        top, bottom = min(i for i, _ in cells), max(i for i, _ in cells)
        left, right = min(j for _, j in cells), max(j for _, j in cells)
        return Grid.of([list(grid.rows[i][left : right + 1]) for i in range(top, bottom + 1)])

    return _task(rng, "crop", make, box, pairs)


def fill_rectangles(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    """Outlines of rectangles in one color; the output fills their insides with another."""
    line, inside = rng.sample(range(1, 10), 2)

    def make(r: random.Random) -> Grid:
        h, w = r.randint(6, max(6, split.cap(14))), r.randint(6, max(6, split.cap(14)))
        rows = [[0] * w for _ in range(h)]
        for _ in range(r.randint(1, 3)):
            rh, rw = r.randint(3, min(6, h)), r.randint(3, min(6, w))
            top, left = r.randint(0, h - rh), r.randint(0, w - rw)
            if any(rows[i][j] for i in range(top, top + rh) for j in range(left, left + rw)):
                continue
            for i in range(top, top + rh):
                for j in range(left, left + rw):
                    if i in (top, top + rh - 1) or j in (left, left + rw - 1):
                        rows[i][j] = line
        if not any(any(row) for row in rows):
            rows[0][0:3], rows[1][0], rows[1][2], rows[2][0:3] = [line] * 3, line, line, [line] * 3
        return Grid.of(rows)

    def fill(grid: Grid) -> Grid:
        rows = [list(row) for row in grid.rows]
        h, w = grid.height, grid.width
        outside = set()
        stack = [(i, j) for i in range(h) for j in range(w) if (i in (0, h - 1) or j in (0, w - 1)) and not rows[i][j]]
        while stack:
            i, j = stack.pop()
            if (i, j) in outside or not (0 <= i < h and 0 <= j < w) or rows[i][j]:
                continue
            outside.add((i, j))
            stack.extend(((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)))
        return Grid.of([[inside if not c and (i, j) not in outside else c for j, c in enumerate(row)]
                        for i, row in enumerate(rows)])

    return _task(rng, "fill", make, fill, pairs)


def extend_lines(rng: random.Random, pairs: int, split: Split = Split()) -> Task:
    """Each colored pixel extends into a line to the edge (the direction fixed for the task)."""
    turn = rng.choice(list(Dihedral)[:4])

    def make(r: random.Random) -> Grid:
        high = max(4, split.cap(12))
        return sparse_grid(r, r.randint(4, high), r.randint(4, high), _palette(r, 1, 3), r.uniform(0.02, 0.08))

    def extend(grid: Grid) -> Grid:
        turned = turn.apply(grid)
        rows = [list(row) for row in turned.rows]
        for j in range(turned.width):
            color = 0
            for i in range(turned.height):
                color = turned.rows[i][j] or color
                rows[i][j] = color
        return turn.inverse().apply(Grid.of(rows))

    return _task(rng, "lines", make, extend, pairs)


Generator = Callable[[random.Random, int, Split], Task]
GENERATORS: dict[str, Generator] = {
    "symmetry": symmetry, "color-map": color_map, "gravity": gravity, "upscale": upscale, "tile": tile,
    "crop": crop, "fill": fill_rectangles, "lines": extend_lines, "shift": shift, "flip-map": flip_then_map,
}


def generate(rng: random.Random, name: str | None = None, split: Split = Split()) -> Task:
    """A fresh task from the named generator (or a random one of `split`'s families), with 3 to 5 pairs,
    its parameters drawn from `split`'s side."""
    if name is not None and name not in families(split):
        raise ValueError(f"family {name!r} has no tasks on side {split.side!r}")
    chosen = GENERATORS[name or rng.choice(families(split))]
    return chosen(rng, rng.randint(3, 5), split)
