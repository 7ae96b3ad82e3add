"""Finishing rules: how the images a program computes may still become the train outputs.

A program's images are the train outputs as they are; or a consistent color map makes them so (color
10, a placeholder some steps paint, only gets a real color this way); or the outputs are one fixed-size
window in the same corner of every image; or the outputs continue each image's repeating pattern to a
bigger size that follows a rule (fixed, or a fixed multiple or a fixed margin of the image's size).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from arc_ttt.domain.arc.grid import MAX_SIDE
from arc_ttt.domain.programs.dsl.images import NEW, Image
from arc_ttt.domain.programs.dsl.primitives import row_period
from arc_ttt.domain.programs.fits import Fit

Shape = tuple[int, int]


def learn_color_map(sources: Sequence[Image], targets: Sequence[Image]) -> dict[int, int] | None:
    seen = np.zeros(256, dtype=np.int64)  # seen[16 * a + b]: cells of color a whose target is b
    for src, dst in zip(sources, targets):
        if src.shape != dst.shape:
            return None
        seen += np.bincount((src.astype(np.int16) * 16 + dst).ravel(), minlength=256)
    table = seen.reshape(16, 16) > 0
    if (table.sum(axis=1) > 1).any():  # some color goes to two colors
        return None
    return {int(a): int(b) for a, b in zip(*np.nonzero(table))}


def _recolor(image: Image, mapping: dict[int, int]) -> Image | None:
    table = np.arange(16, dtype=np.uint8)
    for a, b in mapping.items():
        table[a] = b
    out = table[image]
    return None if int(out.max()) > 9 else out


def _as_is_or_recolored(steps: tuple[str, ...], cost: float, train: Sequence[Image], tests: Sequence[Image],
                        outputs: Sequence[Image], finish: str = "") -> Fit | None:
    """The train images are the outputs, as they are or through one color map applied to the tests too."""
    if any(img.shape != out.shape for img, out in zip(train, outputs)):
        return None
    if all(np.array_equal(img, out) for img, out in zip(train, outputs)):
        if any(int(img.max()) >= NEW for img in tests):
            return None
        return Fit(steps, finish or "as is", cost, tuple(tests))
    mapping = learn_color_map(train, outputs)
    if mapping is None:
        return None
    predictions = tuple(_recolor(img, mapping) for img in tests)
    if any(p is None for p in predictions):
        return None
    changes = {a: b for a, b in sorted(mapping.items()) if a != b}
    # every learned color pair is one more free parameter, so a bigger map is a weaker explanation
    cost += 0.5 + 0.25 * max(0, len(changes) - 1)
    if any(not set(np.unique(img).tolist()) <= mapping.keys() for img in tests):
        cost += 1.0  # a test color no train pair mapped keeps its name: a guess, not something learned
    recolor = f"recolor {changes}"
    return Fit(steps, f"{finish} -> {recolor}" if finish else recolor, cost, predictions)  # type: ignore[arg-type]


_CORNERS = {"top-left": (False, False), "top-right": (False, True),
            "bottom-left": (True, False), "bottom-right": (True, True)}


def _corner(image: Image, shape: Shape, corner: str) -> Image | None:
    (h, w), (bottom, right) = shape, _CORNERS[corner]
    if image.shape[0] < h or image.shape[1] < w:
        return None
    rows = slice(image.shape[0] - h, None) if bottom else slice(0, h)
    columns = slice(image.shape[1] - w, None) if right else slice(0, w)
    return image[rows, columns]


def _in_corner(steps: tuple[str, ...], cost: float, train: Sequence[Image], tests: Sequence[Image],
               outputs: Sequence[Image]) -> Fit | None:
    """The outputs are one fixed-size window in the same corner of every image (a cut the search
    cannot name as a step, since the size comes from the train outputs)."""
    shape = outputs[0].shape
    if any(out.shape != shape for out in outputs) or all(img.shape == shape for img in train):
        return None
    for corner in _CORNERS:
        if all((cut := _corner(img, shape, corner)) is not None and np.array_equal(cut, out)
               for img, out in zip(train, outputs)):
            predictions = [_corner(img, shape, corner) for img in tests]
            if any(p is None or int(p.max()) >= NEW for p in predictions):
                return None
            # one cell in a corner is a weak explanation: some step puts the right color there by chance
            cost += 3.0 if shape == (1, 1) else 1.0
            return Fit(steps, f"corner({corner}, {shape[0]}x{shape[1]})", cost,
                       tuple(p.copy() for p in predictions if p is not None))
    return None


def _size_rule(train: Sequence[Image], outputs: Sequence[Image],
               tests: Sequence[Image]) -> tuple[list[Shape], str] | None:
    """The tests' output sizes, by the first rule every train pair follows: one fixed size, a fixed
    multiple of the image's size, or a fixed margin added to it; and the rule in words."""
    sizes = [out.shape for out in outputs]
    if len(set(sizes)) == 1:
        return [sizes[0]] * len(tests), f"{sizes[0][0]}x{sizes[0][1]}"
    ratio = tuple(Fraction(sizes[0][a], train[0].shape[a]) for a in (0, 1))
    margin = tuple(sizes[0][a] - train[0].shape[a] for a in (0, 1))
    rules = (
        (lambda shape: (shape[0] * ratio[0], shape[1] * ratio[1]), f"{ratio[0]} x {ratio[1]} times the size"),
        (lambda shape: (shape[0] + margin[0], shape[1] + margin[1]), f"the size plus {margin[0]} x {margin[1]}"),
    )
    for rule, words in rules:
        if all(rule(img.shape) == out for img, out in zip(train, sizes)):
            found = [rule(img.shape) for img in tests]
            if any(int(n) != n or not 1 <= n <= MAX_SIDE for shape in found for n in shape):
                return None
            return [(int(h), int(w)) for h, w in found], words
    return None


def _continue(image: Image, shape: Shape) -> Image:
    """The image's smallest repeating tile, repeated to `shape`."""
    tile = image[:row_period(image), :row_period(image.T)]
    reps = (-(-shape[0] // tile.shape[0]), -(-shape[1] // tile.shape[1]))
    return np.tile(tile, reps)[:shape[0], :shape[1]].copy()


def _by_continuing(steps: tuple[str, ...], cost: float, train: Sequence[Image], tests: Sequence[Image],
                   outputs: Sequence[Image]) -> Fit | None:
    """The outputs continue each image's repeating pattern to a bigger size."""
    if any(img.shape[0] > out.shape[0] or img.shape[1] > out.shape[1] for img, out in zip(train, outputs)):
        return None
    if all(img.shape == out.shape for img, out in zip(train, outputs)):
        return None
    rule = _size_rule(train, outputs, tests)
    if rule is None:
        return None
    shapes, size = rule
    grown = [_continue(img, out.shape) for img, out in zip(train, outputs)]
    if learn_color_map(grown, outputs) is None:  # checked before continuing the tests: most states fail here
        return None
    return _as_is_or_recolored(steps, cost + 1.5, grown, [_continue(img, s) for img, s in zip(tests, shapes)],
                               outputs, f"continue the pattern to {size}")


def finish(steps: tuple[str, ...], cost: float, images: Sequence[Image], n_train: int,
           outputs: Sequence[Image]) -> Fit | None:
    """The first finishing rule that turns the program's train images into the train outputs."""
    train, tests = images[:n_train], images[n_train:]
    return (_as_is_or_recolored(steps, cost, train, tests, outputs)
            or _in_corner(steps, cost, train, tests, outputs)
            or _by_continuing(steps, cost, train, tests, outputs))
