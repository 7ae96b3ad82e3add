"""Drawn lines: the output adds straight lines that cells of some colors shoot across the background.

"Every red cell shoots a line up until it meets something", "every lone pixel draws both diagonals",
"each gray cell casts a line to the right that stops at the wall". The catalog has rays in four
directions from every cell as steps; here which colors shoot, in which of eight directions, in what
color, and how a line ends are learned from the train pairs. A candidate line (a color, a direction,
the cells it starts from, how it ends) is kept when every cell it paints in training is painted so in
the output; the kept candidates must then account for every cell the outputs add. When training
cannot tell a broader candidate from a narrower one (a line to the edge from one that stops where
nothing stood in the way anyway), the broad reading is the first answer and the narrow one the second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from arc_ttt.domain.programs.dsl.images import ANY_COLOR, Image, background, pieces, source_cells
from arc_ttt.domain.programs.fits import DRAW_LINES, Fit, already_given

DIRECTIONS: dict[str, tuple[int, int]] = {
    "up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1),
    "up-left": (-1, -1), "up-right": (-1, 1), "down-left": (1, -1), "down-right": (1, 1),
}
# how a line ends, broadest first: over everything to the edge (painting only background), at the
# first non-background cell, only when it meets one (a line that would reach the edge is not drawn), or
# only when that cell has the line's source color (lines joining same-colored cells)
ENDINGS = ("to the edge", "at the first cell", "only to a cell", "only to its color")
# which cells shoot, broadest first: all of the color, only lone ones, or each shape's front (its cells
# farthest along the direction: a block's leading corner shoots one diagonal, its top row casts lines up)
STARTS = ("cells", "lone cells", "fronts")
_NARROWNESS = {"cells": 0, "fronts": 1, "lone cells": 2}
COST = 2.5


ANY = ANY_COLOR  # "cells of every color", each line in its own cell's color


@dataclass(frozen=True, slots=True)
class _Line:
    color: int  # the color of the cells that shoot, or ANY
    direction: str
    start: str  # one of STARTS
    ending: str

    def describe(self, paint: int) -> str:
        source = "cells" if self.color == ANY else f"{self.color}s"
        drawn = "" if paint in (ANY, self.color) else f" in {paint}"
        shooter = {"cells": source, "lone cells": f"lone {source}", "fronts": f"fronts of {source}"}[self.start]
        return f"{shooter} {self.direction}{drawn}, {self.ending}"


def _starts(image: Image, bg: int, line: _Line) -> list[tuple[int, int]]:
    if line.start != "fronts":
        return source_cells(image, bg, line.color, line.start == "lone cells")
    dy, dx = DIRECTIONS[line.direction]
    found: list[tuple[int, int]] = []
    for piece in pieces(image, 8, True, bg):
        if line.color not in (ANY, piece.main_color):
            continue
        rows, cols = np.nonzero(piece.mask)
        reach = dy * rows + dx * cols
        ahead = reach == reach.max()
        found += zip(rows[ahead].tolist(), cols[ahead].tolist())
    return sorted(found)


def _painted(image: Image, bg: int, line: _Line) -> np.ndarray:
    """Per cell, the color the line candidate paints there on `image` (its source's), -1 where none."""
    paint = np.full(image.shape, -1, dtype=np.int16)
    dy, dx = DIRECTIONS[line.direction]
    h, w = image.shape
    for y, x in _starts(image, bg, line):
        path = []
        r, c = y + dy, x + dx
        met = False
        while 0 <= r < h and 0 <= c < w:
            if image[r, c] != bg:
                met = True
                if line.ending != "to the edge":
                    break
            else:
                path.append((r, c))
            r, c = r + dy, c + dx
        if not path or (line.ending.startswith("only") and not met):
            continue
        if line.ending == "only to its color" and image[r, c] != image[y, x]:
            continue
        rows, cols = zip(*path)
        paint[list(rows), list(cols)] = image[y, x]
    return paint


def _paint_color(line: _Line, painted: Sequence[np.ndarray], outputs: Sequence[Image],
                 backgrounds: Sequence[int]) -> int | None:
    """The color the line's cells (`painted` on each train input) have in every train output (ANY: each its
    source's color), if the line only paints cells the outputs add; None if it paints nothing."""
    seen: set[int] = set()
    own = True
    for paint, out, bg in zip(painted, outputs, backgrounds):
        mask = paint >= 0
        if not mask.any():
            continue
        drawn = out[mask]
        if (drawn == bg).any():  # a cell the output leaves blank
            return None
        own = own and bool((drawn == paint[mask]).all())
        seen |= set(np.unique(drawn).tolist())
    if not seen:
        return None
    if own:
        return ANY if line.color == ANY or len(seen) > 1 else seen.pop()
    return seen.pop() if len(seen) == 1 and line.color != ANY else None


def _cover(options: list[tuple[_Line, int, np.ndarray]], added: np.ndarray) -> list[tuple[_Line, int]] | None:
    """Few lines that together paint every added cell: greedily the line painting most cells not yet
    painted (ties: the first in `options`); None if some added cell stays unexplained."""
    chosen: list[tuple[_Line, int]] = []
    left = added.copy()
    while left.any():
        gains = [int((mask & left).sum()) for _, _, mask in options]
        best = int(np.argmax(gains)) if gains else 0
        if not gains or gains[best] == 0:
            return None
        line, paint, mask = options[best]
        chosen.append((line, paint))
        left &= ~mask
    return chosen


def learn_line_drawing(train: Sequence[tuple[Image, Image]], tests: Sequence[Image], keep: int = 2,
                       expired: Callable[[], bool] = lambda: False) -> list[Fit]:
    """Up to two readings (broad, narrow) of which lines the outputs add, applied to the tests; nothing once
    `expired` (big, dense pictures make many long candidate lines)."""
    if not train or any(inp.shape != out.shape for inp, out in train):
        return []
    backgrounds = [background(inp) for inp, _ in train]
    added = [(inp != out) for inp, out in train]
    if not any(a.any() for a in added) or any((inp[a] != bg).any()
                                              for (inp, _), a, bg in zip(train, added, backgrounds)):
        return []  # nothing added, or the outputs change colored cells: not only drawing
    colors = [ANY, *sorted(set().union(*(np.unique(inp).tolist() for inp, _ in train)) - set(backgrounds))]
    options: list[tuple[_Line, int, np.ndarray]] = []
    for color in colors:
        if expired():
            return []
        for direction in DIRECTIONS:
            for start in STARTS:
                for ending in ENDINGS:
                    line = _Line(color, direction, start, ending)
                    painted = [_painted(inp, bg, line) for (inp, _), bg in zip(train, backgrounds)]
                    paint = _paint_color(line, painted, [out for _, out in train], backgrounds)
                    if paint is not None:
                        options.append((line, paint, np.concatenate([(p >= 0).ravel() for p in painted])))
    every_added = np.concatenate([a.ravel() for a in added])
    fits: list[Fit] = []
    for order in (options, _narrow_first(options)):
        chosen = _cover(order, every_added)
        if chosen is None or not _accounts_for(chosen, train, backgrounds):
            continue
        predictions = tuple(_draw(img, chosen) for img in tests)
        if already_given(predictions, fits):
            continue
        text = "; ".join(line.describe(paint) for line, paint in chosen)
        fits.append(Fit((DRAW_LINES,), text, COST + 0.25 * (len(chosen) - 1), predictions))
    return fits[:keep]


def _narrow_first(options: list[tuple[_Line, int, np.ndarray]]) -> list[tuple[_Line, int, np.ndarray]]:
    """The same candidates, the narrowest reading of each color and direction first."""
    rank = {ending: i for i, ending in enumerate(ENDINGS)}
    return sorted(options, key=lambda o: (o[0].color == ANY, -_NARROWNESS[o[0].start], -rank[o[0].ending]))


def _accounts_for(chosen: Sequence[tuple[_Line, int]], train: Sequence[tuple[Image, Image]],
                  backgrounds: Sequence[int]) -> bool:
    """Whether the lines draw every train output exactly (every added cell, nothing else)."""
    return bool(chosen) and all(np.array_equal(_draw(inp, chosen, bg), out)
                                for (inp, out), bg in zip(train, backgrounds))


def _draw(image: Image, chosen: Sequence[tuple[_Line, int]], bg: int | None = None) -> Image:
    bg = background(image) if bg is None else bg
    out = image.copy()
    for line, paint in chosen:
        painted = _painted(image, bg, line)
        mask = (painted >= 0) & (out == bg)
        out[mask] = painted[mask] if paint == ANY else paint
    return out
