"""Image classes: tasks whose output is one of a few fixed answers, chosen by a fact about the input.

"Is it symmetric?", "how many objects?", "which shape is drawn?": when the train outputs repeat, a
task may be a classification, and the answer for a test input is the train output of the inputs
that share its fact. One fact, the one splitting the train inputs into the fewest classes, decides;
a test input whose fact no train input had gets no answer. Like the cell rules, never *sure*.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image, background, enclosed_background, pieces
from arc_ttt.domain.programs.fits import CLASSIFY, Fit, already_given
from arc_ttt.domain.programs.learners.cell_features import commonest_and_rarest

_FACTS: dict[str, Callable[[Image, int], Hashable]] = {
    "symmetric left-right": lambda i, bg: bool(np.array_equal(i, i[:, ::-1])),
    "symmetric up-down": lambda i, bg: bool(np.array_equal(i, i[::-1])),
    "symmetric about the diagonal": lambda i, bg: i.shape[0] == i.shape[1] and bool(np.array_equal(i, i.T)),
    "encloses background": lambda i, bg: bool(enclosed_background(i, bg).any()),
    "commonest color": lambda i, bg: commonest_and_rarest(i, bg)[0],
    "rarest color": lambda i, bg: commonest_and_rarest(i, bg)[1],
    "number of colors": lambda i, bg: len(set(np.unique(i).tolist()) - {bg}),
    "number of objects": lambda i, bg: len(pieces(i, 8, False, bg)),
    "number of one-color objects": lambda i, bg: len(pieces(i, 8, True, bg)),
    "number of 4-connected objects": lambda i, bg: len(pieces(i, 4, True, bg)),
    "drawn shape": lambda i, bg: bytes(i.shape) + np.packbits(i != bg).tobytes(),
}


def learn_image_classes(train: Sequence[tuple[Image, Image]], tests: Sequence[Image], keep: int = 2) -> list[Fit]:
    """Up to `keep` distinct answers, each the train output of the test input's class under one fact."""
    answers = {out.tobytes() + bytes(out.shape): out for _, out in train}
    if len(answers) < 2 or len(answers) == len(train):  # one answer, or none repeats: not a classification
        return []
    ranked: list[tuple[int, str, tuple[Image, ...]]] = []
    for name, fact in _FACTS.items():
        table: dict[Hashable, bytes] = {}
        consistent = True
        for inp, out in train:
            key = out.tobytes() + bytes(out.shape)
            if table.setdefault(fact(inp, background(inp)), key) != key:
                consistent = False
                break
        if not consistent or len(set(table.values())) < 2:
            continue
        classes = [fact(img, background(img)) for img in tests]
        if all(c in table for c in classes):
            ranked.append((len(table), name, tuple(answers[table[c]].copy() for c in classes)))
    ranked.sort(key=lambda r: r[0])
    fits: list[Fit] = []
    for groups, name, predictions in ranked:
        if already_given(predictions, fits):
            continue
        fits.append(Fit((CLASSIFY,), f"one of the train outputs, by {name} ({groups} classes)",
                        3.0 + 0.01 * groups, predictions))
        if len(fits) == keep:
            break
    return fits
