"""Steps with one color for a parameter, learned rather than searched: which color plays the part is
read off the train pairs, by trying every color present in all the inputs.

- `attract(to color c)`: each loose object travels straight (or diagonally, when it lies off to a
  corner) towards the cells of color c until the next move would overlap them; `approach` moves one step.
- `flood(from color c)`: every background region (4-connected) touching a cell of color c takes color c.

A learned color is one parameter, like a recolor, so such a program may be called sure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image, background, pieces
from arc_ttt.domain.programs.fits import Fit
from arc_ttt.domain.programs.learners.attraction import slide

_MAX_COLORS = 10


def _direction(box: tuple[int, int, int, int], target: tuple[int, int, int, int]) -> tuple[int, int] | None:
    """Unit move from `box` towards `target`: along the axis where they do not overlap (both when
    they overlap on neither); None when the boxes overlap on both axes."""
    top, left, bottom, right = box
    t_top, t_left, t_bottom, t_right = target
    dy = 0 if top < t_bottom and t_top < bottom else (1 if bottom <= t_top else -1)
    dx = 0 if left < t_right and t_left < right else (1 if right <= t_left else -1)
    return None if dy == dx == 0 else (dy, dx)


def attract(image: Image, anchor: int, one_step: bool = False) -> Image | None:
    """Every object without the anchor color moves towards the anchor cells until it touches them (or
    one step); None when an object's path misses the anchor, or nothing moves."""
    bg = background(image)
    fixed = image == anchor
    if anchor == bg or not fixed.any():
        return None
    ys_anchor, xs_anchor = np.nonzero(fixed)
    target = (int(ys_anchor.min()), int(xs_anchor.min()), int(ys_anchor.max()) + 1, int(xs_anchor.max()) + 1)
    loose = [p for p in pieces(image, 8, False, bg) if not (p.mask & fixed).any()]
    if not loose:
        return None
    out = image.copy()
    for piece in loose:
        out[piece.mask] = bg
    for piece in loose:
        move = _direction(piece.box, target)
        if move is None:
            return None
        ys, xs = np.nonzero(piece.mask)
        colors = image[ys, xs]
        travelled = slide((ys, xs), move, fixed)
        if travelled is None:
            return None  # it would leave the picture without meeting the anchor
        if one_step:
            travelled = min(travelled, 1)
        out[ys + move[0] * travelled, xs + move[1] * travelled] = colors
    return None if np.array_equal(out, image) else out


def flood(image: Image, source: int) -> Image | None:
    """Background regions (4-connected) touching a cell of `source` are painted `source`."""
    bg = background(image)
    if source == bg:
        return None
    seeds = image == source
    touching = np.zeros_like(seeds)
    touching[1:] |= seeds[:-1]
    touching[:-1] |= seeds[1:]
    touching[:, 1:] |= seeds[:, :-1]
    touching[:, :-1] |= seeds[:, 1:]
    out = image.copy()
    for region in pieces(np.where(image == bg, 1, 0).astype(np.uint8), 4, True, 0):
        if (region.mask & touching).any():
            out[region.mask] = source
    return None if np.array_equal(out, image) else out


_STEPS: dict[str, Callable[[Image, int], Image | None]] = {
    "attract": attract,
    "approach": lambda image, color: attract(image, color, one_step=True),
    "flood": flood,
}
_WORDS = {"attract": "to", "approach": "to", "flood": "from"}


def learn_color_steps(train: Sequence[tuple[Image, Image]], tests: Sequence[Image]) -> list[Fit]:
    """Programs `step(color c)` that turn every train input into its output."""
    if any(inp.shape != out.shape for inp, out in train):
        return []
    shared = set(range(_MAX_COLORS))
    for image in [inp for inp, _ in train] + list(tests):
        shared &= set(np.unique(image).tolist())
    fits: list[Fit] = []
    for name, step in _STEPS.items():
        for color in sorted(shared):
            if all((done := step(inp, color)) is not None and np.array_equal(done, out) for inp, out in train):
                predictions = tuple(step(image, color) for image in tests)
                if all(p is not None for p in predictions):
                    fits.append(Fit((f"{name}({_WORDS[name]} color {color})",), "as is", 1.5,
                                    predictions))  # type: ignore[arg-type]
    return fits
