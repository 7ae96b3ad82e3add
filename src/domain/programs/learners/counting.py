"""Counting tasks: the output draws a number read off the input ("as many cells as there are blue
squares", "a diagonal as long as the number of objects").

A count is one of a few numbers about the input (objects, objects of one color, cells of one color,
colors), and a drawing is one of a few ways to show a number n with one color on another (the first n
cells of a fixed canvas in reading order, an n x n diagonal or square, a row or a column of n). A pair
of count and drawing explains the task when it reproduces every train output, with colors taken from
the train outputs. The test count need not have been seen in training, which is what sets this apart
from image classes. Many counts are tried, so the evidence is weak: never *sure*.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from arc_ttt.domain.arc.grid import MAX_SIDE
from arc_ttt.domain.programs.dsl.images import Image, background, pieces
from arc_ttt.domain.programs.fits import COUNT, Fit, already_given

Count = Callable[[Image, int], int]
Drawing = Callable[[int, tuple[int, int] | None, int, int], Image | None]  # n, fixed shape, ink, paper


def _counts() -> dict[str, Count]:
    counts: dict[str, Count] = {
        "objects": lambda i, bg: len(pieces(i, 8, False, bg)),
        "one-color objects": lambda i, bg: len(pieces(i, 8, True, bg)),
        "4-connected objects": lambda i, bg: len(pieces(i, 4, True, bg)),
        "colors": lambda i, bg: len(set(np.unique(i).tolist()) - {bg}),
    }
    for c in range(10):
        counts[f"objects of color {c}"] = lambda i, bg, c=c: sum(p.main_color == c for p in pieces(i, 8, True, bg))
        counts[f"objects of color {c} bigger than a cell"] = \
            lambda i, bg, c=c: sum(p.main_color == c and p.size > 1 for p in pieces(i, 8, True, bg))
        counts[f"cells of color {c}"] = lambda i, bg, c=c: int((i == c).sum())
    return counts


def _reading_order(n: int, shape: tuple[int, int] | None, ink: int, paper: int) -> Image | None:
    if shape is None or n > shape[0] * shape[1]:
        return None
    flat = np.full(shape[0] * shape[1], paper, dtype=np.uint8)
    flat[:n] = ink
    return flat.reshape(shape)


def _diagonal(n: int, shape: tuple[int, int] | None, ink: int, paper: int) -> Image | None:
    if not 1 <= n <= MAX_SIDE:
        return None
    out = np.full((n, n), paper, dtype=np.uint8)
    np.fill_diagonal(out, ink)
    return out


def _block(rows: Callable[[int], int], cols: Callable[[int], int]) -> Drawing:
    def draw(n: int, shape: tuple[int, int] | None, ink: int, paper: int) -> Image | None:
        if not 1 <= n <= MAX_SIDE:
            return None
        return np.full((rows(n), cols(n)), ink, dtype=np.uint8)

    return draw


_DRAWINGS: dict[str, Drawing] = {
    "first cells in reading order": _reading_order,
    "diagonal": _diagonal,
    "row": _block(lambda n: 1, lambda n: n),
    "column": _block(lambda n: n, lambda n: 1),
    "square": _block(lambda n: n, lambda n: n),
}


def _inks(outputs: Sequence[Image]) -> tuple[int, int] | None:
    """(ink, paper): the colors the outputs are drawn with, the same in every output."""
    colors: set[int] = set()
    for out in outputs:
        colors |= set(np.unique(out).tolist())
    if len(colors) > 2:
        return None
    counts = np.bincount(np.concatenate([o.ravel() for o in outputs]), minlength=10)
    if len(colors) == 1:
        only = colors.pop()
        return only, only
    ink, paper = sorted(colors, key=lambda c: int(counts[c]))
    return ink, paper


def learn_counting(train: Sequence[tuple[Image, Image]], tests: Sequence[Image], keep: int = 2) -> list[Fit]:
    """Up to `keep` distinct answers drawn from a count of each test input."""
    outputs = [out for _, out in train]
    inks = _inks(outputs)
    if inks is None or len(train) < 2:
        return []
    shape = outputs[0].shape if all(out.shape == outputs[0].shape for out in outputs) else None
    fits: list[Fit] = []
    for count_name, count in _counts().items():
        numbers = [count(inp, background(inp)) for inp, _ in train]
        if len(set(numbers)) < 2:  # a count that never changes explains nothing
            continue
        for draw_name, draw in _DRAWINGS.items():
            for ink, paper in dict.fromkeys((inks, inks[::-1])):  # either color may be the ink
                drawn = [draw(n, shape, ink, paper) for n in numbers]
                if not all(d is not None and np.array_equal(d, out) for d, out in zip(drawn, outputs)):
                    continue
                predictions = [draw(count(img, background(img)), shape, ink, paper) for img in tests]
                if any(p is None for p in predictions):
                    continue
                if already_given(predictions, fits):
                    continue
                fits.append(Fit((COUNT,), f"{draw_name} of {ink} for each of the {count_name}", 3.0,
                                tuple(predictions)))  # type: ignore[arg-type]
                if len(fits) == keep:
                    return fits
    return fits
