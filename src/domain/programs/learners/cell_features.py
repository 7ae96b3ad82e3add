"""What a cell knows about its surroundings, as columns of small integers, for the cell-logic learner.

Each feature is one column over an image's cells (reading order). Colors are 0-9; -1 means "none"
(outside the image, no colored cell that way). Features come in two kinds: *keys* describe the cell
(the learner groups cells by a few of them) and *sources* are colors the output cell may copy
(its own color, a neighbour's, the first color met along a ray...). Several features are color-free
on purpose (is it background, how big is its object) so that a rule learned on one pair's colors
can carry to another pair's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image, background, enclosed_background, pieces

NONE = -1

_DIRECTIONS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
_DIAGONALS = {"up-left": (-1, -1), "up-right": (-1, 1), "down-left": (1, -1), "down-right": (1, 1)}



@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    key: bool  # usable to group cells
    source: bool  # a color an output cell may copy


def _neighbour(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    h, w = image.shape
    pad = np.pad(image.astype(np.int16), 1, constant_values=NONE)
    return pad[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]


def _ray(image: Image, bg: int, quarter_turns: int) -> tuple[np.ndarray, np.ndarray]:
    """The first non-background color strictly above each cell (in the turned frame), NONE if none,
    and how many cells away it is."""
    turned = np.rot90(image, quarter_turns)
    far = sum(image.shape)
    seen = np.full(turned.shape, NONE, dtype=np.int16)
    gap = np.full(turned.shape, far, dtype=np.int16)
    last = np.full(turned.shape[1], NONE, dtype=np.int16)
    last_gap = np.full(turned.shape[1], far, dtype=np.int16)
    for y in range(turned.shape[0]):
        last_gap = last_gap + 1
        seen[y], gap[y] = last, last_gap
        row = turned[y].astype(np.int16)
        last = np.where(row != bg, row, last)
        last_gap = np.where(row != bg, 0, last_gap)
    return np.rot90(seen, -quarter_turns), np.rot90(gap, -quarter_turns)


def _line_color(image: Image, bg: int, axis: int) -> np.ndarray:
    """Per row (axis 1) or column (axis 0): its one non-background color, NONE if none, -2 if several."""
    lines = image if axis == 1 else image.T
    values = []
    for line in lines:
        colors = set(line.tolist()) - {bg}
        values.append(colors.pop() if len(colors) == 1 else (NONE if not colors else -2))
    column = np.array(values, dtype=np.int16)
    return np.broadcast_to(column[:, None] if axis == 1 else column[None, :], image.shape)


def _one_color(columns: list[np.ndarray], bg: int) -> np.ndarray:
    """Per cell: the one non-background color among `columns` (NONE if none, -2 if several)."""
    stack = np.stack(columns).astype(np.int16)
    colored = (stack != NONE) & (stack != bg)
    first = np.where(colored, stack, 99).min(axis=0)
    last = np.where(colored, stack, -99).max(axis=0)
    return np.where(~colored.any(axis=0), NONE, np.where(first == last, first, -2)).astype(np.int16)


def _object_columns(image: Image, bg: int, by_color: bool) -> list[np.ndarray]:
    """Size, largest, smallest, size rank, touches border, box height, width, is a full box, on its
    box's edge, colors: of the object each cell belongs to (NONE on background)."""
    found = pieces(image, 8, by_color, bg)
    columns = [np.full(image.shape, NONE, dtype=np.int16) for _ in range(10)]
    if not found:
        return columns
    sizes = [p.size for p in found]
    ranks = sorted(set(sizes), reverse=True)
    h, w = image.shape
    for piece in found:
        top, left, bottom, right = piece.box
        border = top == 0 or left == 0 or bottom == h or right == w
        box_h, box_w = bottom - top, right - left
        values = (min(piece.size, 30), piece.size == max(sizes), piece.size == min(sizes),
                  ranks.index(piece.size), border, box_h, box_w, piece.size == box_h * box_w, 0, piece.colors)
        for column, value in zip(columns, values):
            column[piece.mask] = int(value)
        edge = np.zeros(image.shape, dtype=bool)
        edge[top, left:right] = edge[bottom - 1, left:right] = True
        edge[top:bottom, left] = edge[top:bottom, right - 1] = True
        columns[8][piece.mask] = edge[piece.mask]
    return columns


def _regions(image: Image, bg: int) -> list[np.ndarray]:
    """Size, is largest, is smallest: of the 4-connected background region each background cell is in."""
    found = pieces((image == bg).astype(np.uint8), 4, True, 0)
    columns = [np.full(image.shape, NONE, dtype=np.int16) for _ in range(3)]
    sizes = [p.size for p in found]
    for piece in found:
        for column, value in zip(columns, (min(piece.size, 30), piece.size == max(sizes), piece.size == min(sizes))):
            column[piece.mask] = int(value)
    return columns


def _object_extras(image: Image, bg: int, enclosed: np.ndarray) -> list[np.ndarray]:
    """Whether a cell's one-color object (8-connected) surrounds background, and its 4-connected size."""
    holes = np.full(image.shape, NONE, dtype=np.int16)
    for piece in pieces(image, 8, True, bg):
        top, left, bottom, right = piece.box
        inside = enclosed[max(top - 1, 0):bottom + 1, max(left - 1, 0):right + 1]
        holes[piece.mask] = int(inside.any())
    size4 = np.full(image.shape, NONE, dtype=np.int16)
    for piece in pieces(image, 4, True, bg):
        size4[piece.mask] = min(piece.size, 30)
    return [holes, size4]


def _touching_and_shape_colors(image: Image, bg: int) -> list[np.ndarray]:
    """Per cell: the one other color touching its one-color object (8 ways); its multicolor shape's
    commonest and rarest colors."""
    touching = np.full(image.shape, NONE, dtype=np.int16)
    for piece in pieces(image, 8, True, bg):
        ys, xs = np.nonzero(piece.mask)
        grown = np.zeros(image.shape, dtype=bool)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                grown[np.clip(ys + dy, 0, image.shape[0] - 1), np.clip(xs + dx, 0, image.shape[1] - 1)] = True
        around = set(np.unique(image[grown & ~piece.mask]).tolist()) - {bg, piece.main_color}
        touching[piece.mask] = around.pop() if len(around) == 1 else (NONE if not around else -2)
    commonest = np.full(image.shape, NONE, dtype=np.int16)
    rarest = np.full(image.shape, NONE, dtype=np.int16)
    for piece in pieces(image, 8, False, bg):
        counts = np.bincount(image[piece.mask], minlength=10)
        present = np.flatnonzero(counts)
        commonest[piece.mask] = present[counts[present].argmax()]
        rarest[piece.mask] = present[counts[present].argmin()]
    return [touching, commonest, rarest]


def _nearest_ray(rays: list[np.ndarray], gaps: list[np.ndarray]) -> np.ndarray:
    """The color of the nearest non-background cell straight up, down, left or right (-2 on a tie of colors)."""
    best = np.full(rays[0].shape, NONE, dtype=np.int16)
    distance = np.full(rays[0].shape, np.iinfo(np.int16).max, dtype=np.int16)
    for color, gap in zip(rays, gaps):
        closer = (color != NONE) & (gap < distance)
        tie = (color != NONE) & (gap == distance) & (color != best)
        best = np.where(closer, color, np.where(tie, -2, best))
        distance = np.where(closer, gap, distance)
    return best


def _counts(image: Image, bg: int) -> list[np.ndarray]:
    solid = image != bg
    around4 = sum((_neighbour(solid.astype(np.uint8), dy, dx) == 1) for dy, dx in _DIRECTIONS.values())
    around8 = around4 + sum((_neighbour(solid.astype(np.uint8), dy, dx) == 1) for dy, dx in _DIAGONALS.values())
    same = sum((_neighbour(image, dy, dx) == image) for dy, dx in (*_DIRECTIONS.values(), *_DIAGONALS.values()))
    return [np.asarray(around4, dtype=np.int16), np.asarray(around8, dtype=np.int16), np.asarray(same, dtype=np.int16)]


def _edge_colors(image: Image, bg: int) -> list[np.ndarray]:
    """The colors at both ends of each cell's row and column, and at the nearest of those four that is not
    background (-2 on a tie between different colors, NONE if all four are background)."""
    h, w = image.shape
    ends = [np.broadcast_to(image[:, :1], (h, w)), np.broadcast_to(image[:, -1:], (h, w)),
            np.broadcast_to(image[:1, :], (h, w)), np.broadcast_to(image[-1:, :], (h, w))]
    ys, xs = np.indices((h, w))
    colors = np.stack(ends).astype(np.int16)
    far = h + w
    distances = np.where(colors != bg, np.stack([xs, w - 1 - xs, ys, h - 1 - ys]), far)
    nearest = (distances == distances.min(axis=0)) & (distances < far)
    first = np.where(nearest, colors, 99).min(axis=0)
    last = np.where(nearest, colors, -99).max(axis=0)
    found = np.where(first == last, first, -2)
    return [*(c.astype(np.int16) for c in ends), np.where(nearest.any(axis=0), found, NONE).astype(np.int16)]


def commonest_and_rarest(image: Image, bg: int) -> tuple[int, int]:
    """The commonest and the rarest non-background colors (NONE for both if there are none)."""
    counts = np.bincount(image.ravel(), minlength=10)[:10]
    counts[bg] = 0
    present = np.flatnonzero(counts)
    if present.size == 0:
        return NONE, NONE
    return int(present[counts[present].argmax()]), int(present[counts[present].argmin()])


@cache
def features() -> tuple[Feature, ...]:
    """The columns `describe` returns, in order (simpler and commoner features first)."""
    return (
        Feature("color", key=True, source=True),
        Feature("is background", key=True, source=False),
        *(Feature(f"{name} neighbour", key=True, source=True) for name in (*_DIRECTIONS, *_DIAGONALS)),
        *(Feature(f"ray {name}", key=True, source=True) for name in _DIRECTIONS),
        Feature("same color left and right", key=True, source=False),
        Feature("same color above and below", key=True, source=False),
        Feature("4-neighbour color", key=True, source=True),
        Feature("diagonal neighbour color", key=True, source=True),
        Feature("ray color", key=True, source=True),
        Feature("nearest ray color", key=True, source=True),
        Feature("rays met", key=True, source=False),
        Feature("row color", key=True, source=True),
        Feature("column color", key=True, source=True),
        Feature("enclosed", key=True, source=False),
        Feature("region size", key=True, source=False),
        Feature("region is largest", key=True, source=False),
        Feature("region is smallest", key=True, source=False),
        Feature("object has a hole", key=True, source=False),
        Feature("object size (4-connected)", key=True, source=False),
        Feature("color touching the object", key=True, source=True),
        Feature("shape's commonest color", key=False, source=True),
        Feature("shape's rarest color", key=False, source=True),
        *(Feature(f"object {name}", key=True, source=False) for name in (
            "size", "is largest", "is smallest", "size rank", "touches border", "height", "width", "is a box",
            "on box edge", "colors")),
        *(Feature(f"shape {name}", key=True, source=False) for name in (
            "size", "is largest", "is smallest", "size rank", "touches border", "height", "width", "is a box",
            "on box edge", "colors")),
        Feature("colored 4-neighbours", key=True, source=False),
        Feature("colored 8-neighbours", key=True, source=False),
        Feature("same-color neighbours", key=True, source=False),
        Feature("row parity", key=True, source=False),
        Feature("column parity", key=True, source=False),
        Feature("row mod 3", key=True, source=False),
        Feature("column mod 3", key=True, source=False),
        Feature("distance to border", key=True, source=False),
        *(Feature(f"color at the {end}", key=True, source=True) for end in (
            "row's start", "row's end", "column's top", "column's bottom", "nearest colored edge")),
        Feature("commonest color", key=False, source=True),
        Feature("rarest color", key=False, source=True),
        Feature("background color", key=False, source=True),
    )


def describe(image: Image) -> np.ndarray:
    """The features of every cell: shape (cells, len(features())), int16."""
    bg = background(image)
    h, w = image.shape
    ys, xs = np.indices(image.shape)
    rays, gaps = (list(t) for t in zip(*(_ray(image, bg, turns) for turns in (0, 2, 3, 1))))  # up, down, left, right
    same_lr = np.where((rays[2] == rays[3]) & (rays[2] != NONE), 1, 0)
    same_ud = np.where((rays[0] == rays[1]) & (rays[0] != NONE), 1, 0)
    enclosed = enclosed_background(image, bg)
    straight = [_neighbour(image, dy, dx) for dy, dx in _DIRECTIONS.values()]
    diagonal = [_neighbour(image, dy, dx) for dy, dx in _DIAGONALS.values()]
    columns = [
        image.astype(np.int16),
        (image == bg).astype(np.int16),
        *straight,
        *diagonal,
        *rays,
        same_lr,
        same_ud,
        _one_color(straight, bg),
        _one_color(diagonal, bg),
        _one_color(rays, bg),
        _nearest_ray(rays, gaps),
        sum((ray != NONE).astype(np.int16) for ray in rays),
        _line_color(image, bg, 1),
        _line_color(image, bg, 0),
        enclosed.astype(np.int16),
        *_regions(image, bg),
        *_object_extras(image, bg, enclosed),
        *_touching_and_shape_colors(image, bg),
        *_object_columns(image, bg, by_color=True),
        *_object_columns(image, bg, by_color=False),
        *_counts(image, bg),
        ys % 2,
        xs % 2,
        ys % 3,
        xs % 3,
        np.minimum(np.minimum(ys, xs), np.minimum(h - 1 - ys, w - 1 - xs)).clip(max=4),
        *_edge_colors(image, bg),
        *(np.full(image.shape, c, dtype=np.int16) for c in commonest_and_rarest(image, bg)),
        np.full(image.shape, bg),
    ]
    return np.stack([np.asarray(c, dtype=np.int16).ravel() for c in columns], axis=1)
