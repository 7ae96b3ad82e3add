"""Picked parts: the answer is one part of the input (an object, a panel), chosen by a learned rule.

"Which of these is the answer?" is one of ARC's commonest questions: the shape drawn most often, the
only symmetric object, the box with the most red cells, the first of three panels. The catalog names
a few such selectors as steps; this learner cuts every input into parts in several ways, describes
each part by a row of facts, and keeps the rules that pick, in every train pair, a part from which
the output follows by a finishing rule (as is, or recolored), possibly after one turn, flip or
scaling. A rule is a fact's unique largest or smallest value, the only part whose value no other part
shares, or a fixed place in reading order. Many rules are tried on few pairs, so a picked part is never *sure*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from arc_ttt.domain.programs.dsl import primitives as prim
from arc_ttt.domain.programs.dsl.images import Image, background, enclosed_background, pieces
from arc_ttt.domain.programs.dsl.partitions import split_by_lines_in_rows
from arc_ttt.domain.programs.finishes import finish
from arc_ttt.domain.programs.fits import PICK_PART, Fit, already_given

BASE_COST = 2.5  # dearer than a catalog selector that says the same, cheaper than a cell table


@dataclass(frozen=True, slots=True)
class _Part:
    patch: Image
    top: int
    left: int


Cutter = Callable[[Image], list[_Part]]
PanelCutter = Callable[[Image], tuple[list[_Part], int]]  # the panels in reading order, and their rows


def _objects(connectivity: int, by_color: bool, whole_box: bool) -> Cutter:
    """Connected objects, cut out alone (other cells background) or with everything in their box."""
    def cut(image: Image) -> list[_Part]:
        bg = background(image)
        found = pieces(image, connectivity, by_color, bg)
        return [_Part(image[top:bottom, left:right].copy() if whole_box else p.crop(image, bg), top, left)
                for p in found for top, left, bottom, right in (p.box,)]

    return cut


def panels_between_lines(image: Image) -> tuple[list[_Part], int]:
    """The panels between separator lines, and how many rows of panels they make."""
    found = split_by_lines_in_rows(image)
    if found is None:
        return [], 1
    cells, rows = found
    columns = max(len(cells) // rows, 1)
    return [_Part(c, i // columns, i % columns) for i, c in enumerate(cells)], rows


def _equal_panels(rows: int, columns: int) -> PanelCutter:
    """The image cut into rows x columns equal panels, with or without one-cell separator lines."""
    def cut(image: Image) -> tuple[list[_Part], int]:
        h, w = image.shape
        for gap in (0, 1):
            ph, pw = (h - gap * (rows - 1)) / rows, (w - gap * (columns - 1)) / columns
            if ph >= 1 and pw >= 1 and ph == int(ph) and pw == int(pw):
                ph, pw = int(ph), int(pw)
                return [_Part(image[r * (ph + gap):r * (ph + gap) + ph, c * (pw + gap):c * (pw + gap) + pw].copy(),
                              r, c) for r in range(rows) for c in range(columns)], rows
        return [], rows

    return cut


@cache
def panel_cutters() -> tuple[tuple[str, PanelCutter], ...]:
    """Ways to cut an image into panels, by name."""
    cutters: list[tuple[str, PanelCutter]] = [("panel between lines", panels_between_lines)]
    for rows, columns in ((1, 2), (2, 1), (1, 3), (3, 1), (2, 2), (3, 3)):
        cutters.append((f"panel of {rows}x{columns}", _equal_panels(rows, columns)))
    return tuple(cutters)


@cache
def _cutters() -> tuple[tuple[str, Cutter], ...]:
    """Every way to cut an image into parts, by name: objects first (the commoner answer), then panels."""
    cutters: list[tuple[str, Cutter]] = []
    for connectivity in (8, 4):
        for by_color in (False, True):
            for whole_box in (False, True):
                kind = ("one-color " if by_color else "") + ("box" if whole_box else "object")
                cutters.append((f"{kind}, {connectivity}-connected", _objects(connectivity, by_color, whole_box)))
    for name, cut in panel_cutters():
        cutters.append((name, lambda image, cut=cut: cut(image)[0]))
    return tuple(cutters)


FACTS: tuple[str, ...] = (
    "cells", "box area", "height", "width", "colors", "has a hole", "mirror symmetric", "diagonal symmetric",
    "copies of its shape",
    "copies of it", "parts of its color", "top edge", "left edge", "bottom edge", "right edge",
    "turn symmetric", "hole cells", "full box", "touches the border",
    *(f"cells of color {c}" for c in range(10)),
)
PLACES = frozenset({"top edge", "left edge", "bottom edge", "right edge", "touches the border"})


def facts_of(parts: Sequence[_Part], bg: int, shape: tuple[int, int] = (0, 0)) -> np.ndarray:
    """One row of `FACTS` per part of an image of `shape`, and last the index of the first part equal to it
    (ties among equal parts are no ties: any of them is the answer)."""
    shapes = [bytes(p.patch.shape) + np.packbits(p.patch != bg).tobytes() for p in parts]
    images = [bytes(p.patch.shape) + p.patch.tobytes() for p in parts]
    counts = [np.bincount(p.patch.ravel(), minlength=10)[:10] for p in parts]
    mains = [int(np.where(np.arange(10) == bg, -1, c).argmax()) for c in counts]
    rows = []
    for part, outline, whole, main, colors in zip(parts, shapes, images, mains, counts):
        patch = part.patch
        solid = patch != bg
        mirror = np.array_equal(patch, patch[::-1]) or np.array_equal(patch, patch[:, ::-1])
        diagonal = patch.shape[0] == patch.shape[1] and (np.array_equal(patch, patch.T)
                                                         or np.array_equal(patch, patch[::-1, ::-1].T))
        holes = int(enclosed_background(np.where(solid, 1, 0).astype(np.uint8), 0).sum())
        h, w = patch.shape
        border = part.top == 0 or part.left == 0 or part.top + h == shape[0] or part.left + w == shape[1]
        rows.append([int(solid.sum()), h * w, h, w, len(set(np.unique(patch[solid]).tolist())), holes > 0, mirror,
                     diagonal, shapes.count(outline), images.count(whole), mains.count(main),
                     part.top, part.left, part.top + h, part.left + w,
                     np.array_equal(patch, patch[::-1, ::-1]), holes, bool(solid.all()), border,
                     *colors.tolist(), images.index(whole)])
    return np.array(rows, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str  # "most", "fewest", "odd", "at"
    column: int  # a fact's column, or a place in reading order for "at"

    def describe(self) -> str:
        if self.kind == "at":
            return "the last" if self.column < 0 else f"number {self.column + 1} in reading order"
        if self.kind == "odd":
            return f"the only one by {FACTS[self.column]}"
        return f"{'max' if self.kind == 'most' else 'min'} {FACTS[self.column]}"

    def select(self, table: np.ndarray) -> int | None:
        if self.kind == "at":
            return self.column % len(table) if -len(table) <= self.column < len(table) else None
        values, same = table[:, self.column], table[:, -1]
        if self.kind == "odd":
            if len(values) < 3:
                return None
            _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
            alone = np.flatnonzero(counts[inverse] == 1)
            return int(alone[0]) if len(alone) == 1 else None
        best = values.max() if self.kind == "most" else values.min()
        winners = np.flatnonzero(values == best)
        return int(winners[0]) if len(set(same[winners].tolist())) == 1 else None


def _rules(panels: bool) -> Iterator[_Rule]:
    """Simplest first: extremes of the facts, then odd ones out, then (panels only) fixed places."""
    for column in range(len(FACTS)):
        yield _Rule("most", column)
        yield _Rule("fewest", column)
    for column in range(len(FACTS)):
        yield _Rule("odd", column)
    if panels:
        for place in (0, 1, 2, -1):
            yield _Rule("at", place)


_TURNS: tuple[tuple[str, Callable[[Image], Image]], ...] = (
    ("", lambda i: i), ("flip(left-right)", prim.flip_lr), ("flip(up-down)", prim.flip_ud),
    ("rotate(90)", prim.rotate(1)), ("rotate(180)", prim.rotate(2)), ("rotate(270)", prim.rotate(3)),
    ("transpose", prim.transpose), ("anti_transpose", prim.anti_transpose),
)


def _finished(rule: str, picked: list[Image], outputs: Sequence[Image]) -> Fit | None:
    """The picked parts as the outputs, as they are, turned (one symmetry for all) or scaled up, through a
    finishing rule."""
    n_train = len(outputs)
    for turn, apply in _TURNS:
        images = [apply(img) for img in picked]
        if any(img.shape != out.shape for img, out in zip(images, outputs)):
            continue
        steps = (PICK_PART, rule, turn) if turn else (PICK_PART, rule)
        fit = finish(steps, BASE_COST + (1.0 if turn else 0.0), images, n_train, outputs)
        if fit is not None:
            return fit
    factors = {(out.shape[0] // img.shape[0], out.shape[1] // img.shape[1]) for img, out in zip(picked, outputs)}
    if len(factors) == 1 and (k := factors.pop())[0] == k[1] > 1:
        images = [np.kron(img, np.ones(k, dtype=np.uint8)) for img in picked]
        return finish((PICK_PART, rule, f"upscale({k[0]})"), BASE_COST + 1.0, images, n_train, outputs)
    return None


def learn_picks(train: Sequence[tuple[Image, Image]], tests: Sequence[Image], expired: Callable[[], bool],
                keep: int = 2) -> list[Fit]:
    """Up to `keep` distinct answers, each the part a learned rule picks from the test input."""
    if len(train) < 2 or any(out.size >= inp.size for inp, out in train):
        return []
    outputs = [out for _, out in train]
    inputs = [inp for inp, _ in train] + list(tests)
    fits: list[Fit] = []
    for name, cut in _cutters():
        if expired() or len(fits) == keep:
            break
        parts = [cut(image) for image in inputs]
        if any(len(found) < 2 for found in parts):
            continue
        tables = [facts_of(found, background(image), image.shape) for found, image in zip(parts, inputs)]
        tried: set[tuple[int, ...]] = set()
        for rule in _rules(name.startswith("panel")):
            chosen = [rule.select(table) for table in tables]
            if any(c is None for c in chosen):
                continue
            picked = tuple(c for c in chosen if c is not None)
            if picked in tried:  # another, simpler rule picked the same parts
                continue
            tried.add(picked)
            fit = _finished(f"{rule.describe()} ({name})", [found[c].patch for found, c in zip(parts, picked)],
                            outputs)
            if fit is not None and not already_given(fit.predictions, fits):
                fits.append(fit)
                break  # the simplest rule of this cut; the next fit comes from another cut
    return fits[:keep]
