"""Fresh tasks for simple ARC rules, in the spirit of re-arc: every call draws new grids (and new rule
parameters), so a model sees the rule rather than memorising the few pictures of a training task.

Each generator is a pure function of a `random.Random`: the same seed gives the same task. Rules
here are deliberately simple ones that occur across the ARC training set (symmetries, color maps,
gravity, scaling, tiling, cropping, filling enclosed rectangles, extending pixels into lines); none is
written from, or for, an evaluation task.
"""

from __future__ import annotations

import random
from collections.abc import Callable

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


def _task(rng: random.Random, name: str, make_input: Callable[[random.Random], Grid], rule: Rule,
          pairs: int) -> Task:
    examples = []
    for _ in range(pairs):
        grid = make_input(rng)
        examples.append(Example(grid, rule(grid)))
    return Task(f"gen-{name}", tuple(examples[:-1]), (examples[-1],))


def _inputs(rng: random.Random, max_side: int = 12, min_side: int = 3) -> Callable[[random.Random], Grid]:
    colors, density = _palette(rng), rng.uniform(0.1, 0.5)
    return lambda r: sparse_grid(r, r.randint(min_side, max_side), r.randint(min_side, max_side), colors, density)


def symmetry(rng: random.Random, pairs: int) -> Task:
    transform = rng.choice([d for d in Dihedral if d is not Dihedral.IDENTITY])
    return _task(rng, "symmetry", _inputs(rng), transform.apply, pairs)


def color_map(rng: random.Random, pairs: int) -> Task:
    sources = _palette(rng, 1, 3)
    mapping = {c: rng.choice([x for x in range(1, 10) if x != c]) for c in sources}
    density = rng.uniform(0.2, 0.6)

    def make(r: random.Random) -> Grid:
        return sparse_grid(r, r.randint(3, 10), r.randint(3, 10), sources, density)

    return _task(rng, "color-map", make, lambda g: Grid.of([[mapping.get(c, c) for c in row] for row in g.rows]),
                 pairs)


def gravity(rng: random.Random, pairs: int) -> Task:
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

    return _task(rng, "gravity", _inputs(rng), fall, pairs)


def upscale(rng: random.Random, pairs: int) -> Task:
    factor = rng.randint(2, 3)

    def scale(grid: Grid) -> Grid:
        return Grid.of([[c for c in row for _ in range(factor)] for row in grid.rows for _ in range(factor)])

    return _task(rng, "upscale", _inputs(rng, max_side=10 // factor + 1, min_side=2), scale, pairs)


def tile(rng: random.Random, pairs: int) -> Task:
    """The input tiled 2x2, each copy possibly mirrored (the same choice of mirrors for the whole task)."""
    copies = [[rng.choice([Dihedral.IDENTITY, Dihedral.FLIP_H, Dihedral.FLIP_V, Dihedral.ROT180])
               for _ in range(2)] for _ in range(2)]

    def tiled(grid: Grid) -> Grid:
        rows: Rows = []
        for band in copies:
            parts = [d.apply(grid).rows for d in band]
            rows.extend([c for part in parts for c in part[i]] for i in range(grid.height))
        return Grid.of(rows)

    return _task(rng, "tile", _inputs(rng, max_side=6, min_side=2), tiled, pairs)


def crop(rng: random.Random, pairs: int) -> Task:
    """The bounding box of the colored cells: one small shape placed in a larger empty grid."""
    colors = _palette(rng)

    def make(r: random.Random) -> Grid:
        h, w = r.randint(2, 5), r.randint(2, 5)
        shape = sparse_grid(r, h, w, colors, 0.6)
        big_h, big_w = r.randint(h + 2, 14), r.randint(w + 2, 14)
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


def fill_rectangles(rng: random.Random, pairs: int) -> Task:
    """Outlines of rectangles in one color; the output fills their insides with another."""
    line, inside = rng.sample(range(1, 10), 2)

    def make(r: random.Random) -> Grid:
        h, w = r.randint(6, 14), r.randint(6, 14)
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


def extend_lines(rng: random.Random, pairs: int) -> Task:
    """Each colored pixel extends into a line to the edge (the direction fixed for the task)."""
    turn = rng.choice(list(Dihedral)[:4])

    def make(r: random.Random) -> Grid:
        return sparse_grid(r, r.randint(4, 12), r.randint(4, 12), _palette(r, 1, 3), r.uniform(0.02, 0.08))

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


GENERATORS: dict[str, Callable[[random.Random, int], Task]] = {
    "symmetry": symmetry, "color-map": color_map, "gravity": gravity, "upscale": upscale, "tile": tile,
    "crop": crop, "fill": fill_rectangles, "lines": extend_lines,
}


def generate(rng: random.Random, name: str | None = None) -> Task:
    """A fresh task from the named generator (or a random one), with 3 to 5 pairs."""
    chosen = GENERATORS[name] if name else GENERATORS[rng.choice(sorted(GENERATORS))]
    return chosen(rng, rng.randint(3, 5))
