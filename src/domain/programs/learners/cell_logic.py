"""Cell logic: each output cell from a few facts about the same input cell, learned from the train pairs.

Cells are grouped by the values of one or two key features (see `cell_features`); within a group
every output cell must be explained the same way: left as it is, painted one fixed color, or given
the color of a source feature (a neighbour, the first color along a ray, the row's color...; where
there is no such color, the background's).
The smallest consistent descriptions win (fewest features, then fewest groups), which is the
minimum-description-length bias that lets such tables generalise instead of memorising cells. A rule
is used only when every test cell falls in a group seen in training, or, for a pair of facts never
seen together, in a group of one of the two facts that training explains on its own (a backed-off
rule ranks after exact ones); and for one fact singling out a few values (most of its values, three at
least, explained alike), a value no train cell had is explained like those others.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image
from arc_ttt.domain.programs.fits import LOCAL_RULE, Fit, already_given
from arc_ttt.domain.programs.learners.cell_features import NONE, describe, features

T = TypeVar("T")
_ABSOLUTE = -1  # the explanation "a fixed color"
_KEEP = 0  # the explanation "the cell's own color" (source 0 is the color feature)


@dataclass(frozen=True, slots=True)
class _Rule:
    keys: tuple[int, ...]
    groups: int
    predictions: tuple[Image, ...]
    backed_off: str  # how test cells of unseen groups were read ("" when none were)


@dataclass(frozen=True, slots=True)
class _Table:
    groups: np.ndarray  # the groups' codes, sorted
    choice: np.ndarray  # per group: _ABSOLUTE, or the source whose color the cells take
    fixed: np.ndarray  # per group: the color of its last cell (the color, when it is fixed)
    explained: np.ndarray  # per group: whether one explanation holds for all its cells


class _Cells:
    """The train cells' features and targets, and the test cells' features, of one task."""

    def __init__(self, train: Sequence[tuple[Image, Image]], tests: Sequence[Image]) -> None:
        self.train = np.concatenate([describe(inp) for inp, _ in train]).astype(np.int64)
        self.target = np.concatenate([out.ravel() for _, out in train]).astype(np.int64)
        self.test = np.concatenate([describe(img) for img in tests]).astype(np.int64)
        self.test_shapes = [img.shape for img in tests]
        table = features()
        self.background = [f.name for f in table].index("background color")
        self.key_columns = [i for i, f in enumerate(table) if f.key]
        self.sources = [i for i, f in enumerate(table) if f.source]
        self.train_sources = self._copyable(self.train)
        self.test_sources = self._copyable(self.test)
        self.explained = self.train_sources == self.target[:, None]

    def _copyable(self, rows: np.ndarray) -> np.ndarray:
        """The source colors, where "no color that way" copies as the image's background."""
        values = rows[:, self.sources]
        return np.where(values == NONE, rows[:, self.background][:, None], values)

    def code(self, rows: np.ndarray, keys: tuple[int, ...]) -> np.ndarray:
        code = np.zeros(len(rows), dtype=np.int64)
        for column in keys:
            code = code * 64 + rows[:, column] + 3
        return code

    def table(self, keys: tuple[int, ...]) -> _Table:
        """How each group of train cells (same values of `keys`) is explained, where it can be."""
        groups, inverse = np.unique(self.code(self.train, keys), return_inverse=True)
        count = len(groups)
        colors_per_group = np.bincount(np.unique(inverse * 16 + self.target) // 16, minlength=count)
        fixed = np.zeros(count, dtype=np.int64)
        fixed[inverse] = self.target
        width = len(self.sources)
        # unexplained cells per (group, source), counted in one pass: a group explains a source when it has none
        slots = (inverse[:, None] * width + np.arange(width)).ravel()
        explains = (np.bincount(slots, weights=(~self.explained).ravel(), minlength=count * width) == 0
                    ).reshape(count, width)
        # preference: keep the cell's color, else one fixed color, else the first source that explains it
        choice = np.where(explains[:, _KEEP], _KEEP,
                          np.where(colors_per_group == 1, _ABSOLUTE, np.argmax(explains, axis=1)))
        return _Table(groups, choice, fixed, explains.any(axis=1) | (colors_per_group == 1))

    def look_up(self, table: _Table, keys: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per test cell: whether its group was seen and explained in training, its choice and fixed color."""
        codes = self.code(self.test, keys)
        where = np.searchsorted(table.groups, codes).clip(max=len(table.groups) - 1)
        known = (table.groups[where] == codes) & table.explained[where]
        return known, table.choice[where], table.fixed[where]

    def rule(self, keys: tuple[int, ...]) -> _Rule | None:
        """The test images under the table of `keys`, if it explains every train cell. A test cell whose
        pair of values no train cell had backs off to one key's group, if that group is explained."""
        table = self.table(keys)
        if not table.explained.all():
            return None
        known, chosen, fixed = self.look_up(table, keys)
        backed_off = ""
        for key in keys if len(keys) > 1 and not known.all() else ():
            fallback_known, fallback_chosen, fallback_fixed = self.look_up(self.table((key,)), (key,))
            use = ~known & fallback_known
            chosen, fixed = np.where(use, fallback_chosen, chosen), np.where(use, fallback_fixed, fixed)
            known, backed_off = known | use, ", else by one"
        if len(keys) == 1 and not known.all():
            default = _default(table)
            if default is not None:
                chosen, fixed = np.where(known, chosen, default[0]), np.where(known, fixed, default[1])
                known, backed_off = np.ones_like(known), ", other values alike"
        if not known.all():
            return None
        copied = self.test_sources[np.arange(len(self.test)), np.maximum(chosen, 0)]
        colors = np.where(chosen == _ABSOLUTE, fixed, copied)
        if colors.min() < 0 or colors.max() > 9:
            return None
        images, start = [], 0
        for h, w in self.test_shapes:
            images.append(colors[start:start + h * w].reshape(h, w).astype(np.uint8))
            start += h * w
        return _Rule(keys, len(table.groups), tuple(images), backed_off)


def shared_by_most(values: Sequence[T]) -> T | None:
    """The value most items share, when more than half of them (three at least) do: what "every other
    value" becomes in a rule that singles out a value or two (objects of size 6 turn red, the rest
    blue, the background stays), so a value no train cell had can be read too."""
    if not values:
        return None
    commonest = max(set(values), key=list(values).count)
    count = list(values).count(commonest)
    return commonest if count >= 3 and 2 * count > len(values) else None


def _default(table: _Table) -> tuple[int, int] | None:
    """The explanation most groups of the table share (see `shared_by_most`)."""
    return shared_by_most([(int(c), int(f) if c == _ABSOLUTE else 0) for c, f in zip(table.choice, table.fixed)])


def learn_cell_logic(
    train: Sequence[tuple[Image, Image]],
    tests: Sequence[Image],
    expired: Callable[[], bool],
    steps: tuple[str, ...] = (),
    cost: float = 0.0,
    max_keys: int = 2,
    keep: int = 2,
) -> list[Fit]:
    """The `keep` simplest cell rules with distinct test predictions (empty unless shapes are kept)."""
    if not train or not tests or any(inp.shape != out.shape for inp, out in train):
        return []
    if all(np.array_equal(inp, out) for inp, out in train):
        return []
    cells = _Cells(train, tests)
    found: list[_Rule] = []
    for size in range(1, max_keys + 1):
        for keys in itertools.combinations(cells.key_columns, size):
            if expired():
                break
            if any(set(rule.keys) <= set(keys) for rule in found):
                continue  # a finer table than one that already works explains nothing more
            rule = cells.rule(keys)
            if rule is not None:
                found.append(rule)
    found.sort(key=lambda r: (bool(r.backed_off), len(r.keys), r.groups))
    names = [f.name for f in features()]
    fits: list[Fit] = []
    for rule in found:
        if already_given(rule.predictions, fits):
            continue
        described = " and ".join(names[k] for k in rule.keys) + rule.backed_off
        fits.append(Fit((*steps, LOCAL_RULE), f"by {described} ({rule.groups} cases)",
                        cost + 2.5 + 0.5 * (len(rule.keys) + bool(rule.backed_off)) + 0.01 * rule.groups,
                        rule.predictions))
        if len(fits) == keep:
            break
    return fits
