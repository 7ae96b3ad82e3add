"""Attraction: loose shapes move in a straight line until they touch an anchor.

"The dots fall onto the gray bar from both sides", "the red shape slides until it rests against the
blue square", "gray pixels jump to the nearest side or corner of the block". The catalog's gravity and
sliding steps move everything toward one side of the picture; here each shape moves toward an anchor,
in whichever of eight directions brings it there soonest. Learned from the train pairs: which shape
anchors (a fixed color, or the color of the largest shape), whether movers take the anchor's color, and
what becomes of a shape no straight line leads to the anchor from (it stays, or it goes).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image, Piece, background, pieces
from arc_ttt.domain.programs.fits import ATTRACT, Fit, already_given

COST = 2.5
LARGEST = -1  # anchor: the color of the largest shape (one color, 8-connected), when one is largest
# orthogonal first: the order breaks ties between equally near ways to the anchor
DIRECTIONS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


@dataclass(frozen=True, slots=True)
class _Rule:
    anchor: int  # a color, or LARGEST
    take_color: bool  # movers are painted in the anchor's color
    strays_stay: bool  # a shape with no straight way to the anchor stays (else it is removed)

    def describe(self) -> str:
        anchor = "the largest shape" if self.anchor == LARGEST else f"the {self.anchor}s"
        parts = [f"shapes move to {anchor}"]
        if self.take_color:
            parts.append("taking its color")
        parts.append("the rest stay" if self.strays_stay else "the rest go")
        return ", ".join(parts)


def _anchor_color(found: Sequence[Piece], anchor: int) -> int | None:
    if anchor != LARGEST:
        return anchor if any(p.main_color == anchor for p in found) else None
    sizes = sorted((p.size for p in found), reverse=True)
    if len(sizes) < 2 or sizes[0] == sizes[1]:
        return None
    return next(p.main_color for p in found if p.size == sizes[0])


def slide(cells: tuple[np.ndarray, np.ndarray], step: tuple[int, int], blocked: np.ndarray) -> int | None:
    """How far the cells slide along `step` before the next step would enter a blocked cell; None if they
    would leave the picture first (nothing stops them that way). The one way of moving a shape until it
    meets something, shared with the color steps' `attract`."""
    ys, xs = cells
    dy, dx = step
    limit = _steps_to_edge(ys, xs, step, blocked.shape)
    for distance in range(limit):
        if blocked[ys + (distance + 1) * dy, xs + (distance + 1) * dx].any():
            return distance
    return None


def _steps_to_edge(ys: np.ndarray, xs: np.ndarray, step: tuple[int, int], shape: tuple[int, int]) -> int:
    """Steps the cells can take along `step` before one of them would leave the picture."""
    room = []
    for d, at, size in ((step[0], ys, shape[0]), (step[1], xs, shape[1])):
        if d:
            room.append(int((at if d < 0 else size - 1 - at).min()))
    return min(room)


def _reach(blocked: np.ndarray, step: tuple[int, int]) -> np.ndarray:
    """Per cell, how many steps along `step` lead to the first blocked cell (0 where none does)."""
    h, w = blocked.shape
    dy, dx = step
    reach = np.zeros((h, w), dtype=np.int32)
    rows = range(h - 1, -1, -1) if dy > 0 else range(h)
    cols = range(w - 1, -1, -1) if dx > 0 else range(w)
    for y in rows:
        for x in cols:
            ny, nx = y + dy, x + dx
            if 0 <= ny < h and 0 <= nx < w:
                reach[y, x] = 1 if blocked[ny, nx] else (reach[ny, nx] + 1 if reach[ny, nx] else 0)
    return reach


def _way_to(cells: tuple[np.ndarray, np.ndarray], reaches: Sequence[np.ndarray],
            shape: tuple[int, int]) -> tuple[int, int] | None:
    """The nearest (distance, direction index) at which the cells come to rest against the anchor."""
    ys, xs = cells
    ways = []
    for i, (step, reach) in enumerate(zip(DIRECTIONS, reaches)):
        hits = reach[ys, xs]
        hits = hits[hits > 0]
        if hits.size and int(hits.min()) <= _steps_to_edge(ys, xs, step, shape):
            ways.append((int(hits.min()) - 1, i))
    return min(ways) if ways else None


Plan = tuple[int, list[tuple[tuple[int, int] | None, tuple[np.ndarray, np.ndarray]]]]


def _plan(image: Image, anchor: int) -> Plan | None:
    """The anchor's color and each mover's way to it (nearest first, so a shape that arrives later rests on
    one that arrived before it); None when there is no anchor or nothing to move. What the rules that share
    an anchor have in common, worked out once for all of them."""
    found = pieces(image, 8, True, background(image))
    color = _anchor_color(found, anchor)
    if color is None:
        return None
    movers = [np.nonzero(p.mask) for p in found if p.main_color != color]
    if not movers:
        return None
    reaches = [_reach(image == color, step) for step in DIRECTIONS]
    ways = [(_way_to(cells, reaches, image.shape), cells) for cells in movers]
    return color, sorted(ways, key=lambda way: (way[0] is None, way[0] or (0, 0)))


def _move(image: Image, plan: Plan, rule: _Rule) -> Image:
    """The picture after every mover of `plan` has moved, painted and kept as `rule` says."""
    bg = background(image)
    color, ways = plan
    out = np.where(image == color, image, bg).astype(image.dtype)
    for way, (ys, xs) in ways:
        if way is None:
            if rule.strays_stay:
                out[ys, xs] = image[ys, xs]
            continue
        step = DIRECTIONS[way[1]]
        distance = slide((ys, xs), step, out != bg)
        if distance is None:  # what it would rest on is gone: it stays where it is
            distance = 0
        out[ys + distance * step[0], xs + distance * step[1]] = color if rule.take_color else image[ys, xs]
    return out


def learn_attraction(train: Sequence[tuple[Image, Image]], tests: Sequence[Image], keep: int = 2) -> list[Fit]:
    """The rules (anchor, color, strays) that move the train inputs' shapes onto their outputs."""
    if not train or any(inp.shape != out.shape for inp, out in train) or all(
            np.array_equal(inp, out) for inp, out in train):
        return []
    colors = sorted(set().union(*(np.unique(inp).tolist() for inp, _ in train)))
    fits: list[Fit] = []
    for anchor in (LARGEST, *colors):
        if not all(_anchor_kept(inp, out, anchor) for inp, out in train):
            continue
        for rule, predictions in _fitting_rules(anchor, train, tests):
            if not already_given(predictions, fits):
                fits.append(Fit((ATTRACT,), rule.describe(), COST, predictions))
            if len(fits) == keep:
                return fits
    return fits


def _fitting_rules(anchor: int, train: Sequence[tuple[Image, Image]],
                   tests: Sequence[Image]) -> Iterator[tuple[_Rule, tuple[Image, ...]]]:
    """The rules with this anchor that move every train input onto its output, with their test answers. The
    four rules share each picture's plan, made when a rule first needs it."""
    images = [inp for inp, _ in train] + list(tests)
    plans: dict[int, Plan | None] = {}

    def moved(index: int, rule: _Rule) -> Image | None:
        if index not in plans:
            plans[index] = _plan(images[index], anchor)
        plan = plans[index]
        return None if plan is None else _move(images[index], plan, rule)

    for take_color in (False, True):
        for strays_stay in (True, False):
            rule = _Rule(anchor, take_color, strays_stay)
            if not all(_same(moved(i, rule), out) for i, (_, out) in enumerate(train)):
                continue
            results = [moved(len(train) + i, rule) for i in range(len(tests))]
            if all(result is not None for result in results):
                yield rule, tuple(results)  # type: ignore[misc]


def _anchor_kept(inp: Image, out: Image, anchor: int) -> bool:
    """The anchor never moves: every train output still has it where the input had it (a cheap test that
    spares moving every shape of a picture for rules that cannot fit)."""
    color = _anchor_color(pieces(inp, 8, True, background(inp)), anchor)
    return color is not None and color != background(inp) and bool((out[inp == color] == color).all())


def _same(result: Image | None, expected: Image) -> bool:
    return result is not None and np.array_equal(result, expected)
