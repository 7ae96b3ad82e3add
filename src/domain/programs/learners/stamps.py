"""Stamps: every cell of some color paints a fixed little pattern around itself on the background.

"Each red cell gets yellow corners, each blue cell an orange cross", "a ring of blue around every
red cell": the outputs only add cells, and what they add around a cell of a given color is the same
wherever it stands. The pattern of each color is read off the train pairs, offset by offset (up to
`RADIUS` away): an offset belongs to the stamp when every train cell of that color that has
background there finds the same color there in the output. The stamps of all colors must together
draw every train output exactly. Unlike a table of 3x3 windows, stamps compose where they overlap and
carry to arrangements training never showed. Never *sure*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from arc_ttt.domain.programs.dsl.images import ANY_COLOR, Image, background, source_cells
from arc_ttt.domain.programs.fits import STAMP, Fit, already_given

RADIUS = 2
COST = 2.5
_OFFSETS = tuple((dy, dx) for dy in range(-RADIUS, RADIUS + 1) for dx in range(-RADIUS, RADIUS + 1) if dy or dx)

Stamp = dict[tuple[int, int], int]  # offset -> color painted there (OWN: the source cell's color)
ANY = ANY_COLOR  # cells of every color, each stamping in its own color
OWN = -1


def _learn_stamp(color: int, lone: bool, train: Sequence[tuple[Image, Image]], bg: int) -> Stamp:
    """The offsets where every train source of `color` with background there finds one color, not background."""
    seen: dict[tuple[int, int], set[int]] = {}
    for inp, out in train:
        h, w = inp.shape
        for y, x in source_cells(inp, bg, color, lone):
            for dy, dx in _OFFSETS:
                r, c = y + dy, x + dx
                if 0 <= r < h and 0 <= c < w and inp[r, c] == bg:
                    found = int(out[r, c])
                    seen.setdefault((dy, dx), set()).add(OWN if color == ANY and found == inp[y, x] else found)
    return {offset: next(iter(colors)) for offset, colors in seen.items() if len(colors) == 1 and bg not in colors}


def _draw(image: Image, stamps: Sequence[tuple[int, bool, Stamp]], bg: int | None = None) -> Image:
    bg = background(image) if bg is None else bg
    out = image.copy()
    h, w = image.shape
    for color, lone, stamp in stamps:
        for y, x in source_cells(image, bg, color, lone):
            for (dy, dx), paint in stamp.items():
                r, c = y + dy, x + dx
                if 0 <= r < h and 0 <= c < w and image[r, c] == bg:
                    out[r, c] = image[y, x] if paint == OWN else paint
    return out


def _draws(stamps: Sequence[tuple[int, bool, Stamp]], train: Sequence[tuple[Image, Image]], bg: int) -> bool:
    return all(np.array_equal(_draw(inp, stamps, bg), out) for inp, out in train)


def _pruned(stamps: list[tuple[int, bool, Stamp]], train: Sequence[tuple[Image, Image]],
            bg: int) -> list[tuple[int, bool, Stamp]]:
    """The stamps without the offsets (farthest first) and whole stamps the outputs do not need: a cell
    another stamp paints anyway is no evidence of this one."""
    for i, (color, lone, stamp) in enumerate(stamps):
        for offset in sorted(stamp, key=lambda o: -max(abs(o[0]), abs(o[1]))):
            smaller = {o: p for o, p in stamps[i][2].items() if o != offset}
            trial = [*stamps[:i], (color, lone, smaller), *stamps[i + 1:]]
            if _draws(trial, train, bg):
                stamps = trial
    return [s for s in stamps if s[2]]


def learn_stamps(train: Sequence[tuple[Image, Image]], tests: Sequence[Image], steps: tuple[str, ...] = (),
                 cost: float = 0.0) -> list[Fit]:
    """Up to two sets of stamps that draw the outputs: first one stamp for cells of every color (it carries to
    colors training never showed), then one per color; from all cells, or from lone cells only. The train
    images may be a program's (`steps`, costing `cost`) rather than the inputs."""
    if not train or any(inp.shape != out.shape for inp, out in train):
        return []
    backgrounds = {background(inp) for inp, _ in train}
    if len(backgrounds) > 1:
        return []
    bg = backgrounds.pop()
    added = [inp != out for inp, out in train]
    if not any(a.any() for a in added) or any((inp[a] != bg).any() for (inp, _), a in zip(train, added)):
        return []  # nothing added, or colored cells change: not only stamping
    colors = sorted(set().union(*(np.unique(inp).tolist() for inp, _ in train)) - {bg})
    fits: list[Fit] = []
    for lone, each_color in ((False, False), (True, False), (False, True), (True, True)):
        sources = [ANY] if not each_color else colors
        stamps = [(color, lone, stamp) for color in sources if (stamp := _learn_stamp(color, lone, train, bg))]
        if not stamps or not _draws(stamps, train, bg):
            continue
        stamps = _pruned(stamps, train, bg)
        predictions = tuple(_draw(image, stamps) for image in tests)
        words = "; ".join(f"{'lone ' if lone else ''}{'cells' if color == ANY else f'{color}s'}: {len(stamp)} cells"
                          for color, _, stamp in stamps)
        if not already_given(predictions, fits):
            fits.append(Fit((*steps, STAMP), words, cost + COST + 0.25 * (len(stamps) - 1), predictions))
    return fits[:2]
