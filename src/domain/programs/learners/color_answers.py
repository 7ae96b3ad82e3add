"""One-color answers: the output is a block of a single color, and the color is read off the input
("the color of the largest object", "the color inside the ring", "the rarest color").

Unlike image classes, the answer's color need not be one of the train outputs' colors: it is the
value of a color-valued fact of the test input. The block's size is either fixed (every train output
has it) or the input's own. Many facts are tried on few pairs, so such an answer is never *sure*.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image, Piece, background, enclosed_background, pieces
from arc_ttt.domain.programs.dsl.primitives import SELECTORS
from arc_ttt.domain.programs.fits import PICK_COLOR, Fit, already_given
from arc_ttt.domain.programs.learners.cell_features import commonest_and_rarest

ColorFact = Callable[[Image, int], int | None]


def _minority(image: Image, piece: Piece) -> int | None:
    """The one color of the piece besides its main color, if it has exactly one."""
    colors = set(np.unique(image[piece.mask]).tolist()) - {piece.main_color}
    return colors.pop() if len(colors) == 1 else None


def _holed_color(image: Image, bg: int) -> int | None:
    """The color of the only one-color object enclosing background cells in its box."""
    holed = []
    for piece in pieces(image, 8, True, bg):
        top, left, bottom, right = piece.box
        inside = np.where(piece.mask[top:bottom, left:right], 1, 0).astype(np.uint8)
        if enclosed_background(inside, 0).any():
            holed.append(piece.main_color)
    return holed[0] if len(holed) == 1 else None


def _by_objects(most: bool) -> ColorFact:
    """The color with the most (or fewest) one-color objects, when no other color ties it."""
    def fact(image: Image, bg: int) -> int | None:
        counts = np.bincount([p.main_color for p in pieces(image, 8, True, bg)], minlength=10)
        present = [c for c in range(10) if counts[c]]
        if not present:
            return None
        best = (max if most else min)(counts[c] for c in present)
        winners = [c for c in present if counts[c] == best]
        return winners[0] if len(winners) == 1 else None

    return fact


def _facts() -> dict[str, ColorFact]:
    facts: dict[str, ColorFact] = {
        "commonest color": lambda i, bg: commonest_and_rarest(i, bg)[0],
        "rarest color": lambda i, bg: commonest_and_rarest(i, bg)[1],
        "color with the most objects": _by_objects(True),
        "color with the fewest objects": _by_objects(False),
        "color of the object with a hole": _holed_color,
    }
    for name, select in SELECTORS.items():
        def main(i: Image, bg: int, select: Callable[..., Piece | None] = select) -> int | None:
            chosen = select(pieces(i, 8, True, bg))
            return None if chosen is None else chosen.main_color

        def minority(i: Image, bg: int, select: Callable[..., Piece | None] = select) -> int | None:
            chosen = select(pieces(i, 8, False, bg))
            return None if chosen is None else _minority(i, chosen)

        facts[f"color of the {name} object"] = main
        facts[f"second color of the {name} object"] = minority
    return facts


def learn_color_answer(train: Sequence[tuple[Image, Image]], tests: Sequence[Image], keep: int = 2) -> list[Fit]:
    """Up to `keep` distinct answers: a one-color block whose color is a fact of the test input."""
    outputs = [out for _, out in train]
    if len(train) < 2 or any(int(out.min()) != int(out.max()) for out in outputs):
        return []
    if all(out.shape == outputs[0].shape for out in outputs):
        shapes = [outputs[0].shape] * len(tests)
        size = f"{outputs[0].shape[0]}x{outputs[0].shape[1]}"
    elif all(inp.shape == out.shape for inp, out in train):
        shapes, size = [img.shape for img in tests], "the input's size"
    else:
        return []
    fits: list[Fit] = []
    for name, fact in _facts().items():
        if any(fact(inp, background(inp)) != int(out[0, 0]) for inp, out in train):
            continue
        colors = [fact(img, background(img)) for img in tests]
        if any(c is None or not 0 <= c <= 9 for c in colors):  # a fact may find no color (NONE is -1)
            continue
        predictions = tuple(np.full(shape, c, dtype=np.uint8) for shape, c in zip(shapes, colors))
        if already_given(predictions, fits):
            continue
        fits.append(Fit((PICK_COLOR,), f"{size} of the {name}", 3.0, predictions))
        if len(fits) == keep:
            break
    return fits
