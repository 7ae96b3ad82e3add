"""Searching a task under an invertible view: colors renamed pair by pair, answers renamed back.

In many tasks a color means a role, not itself: the shape is red in one pair and blue in the next,
and a program that keeps "the red cells" explains one pair only. Renaming each pair's colors by role
makes the pairs alike: the colors every pair uses the same way (those in every output and no input,
the same in every output, or in every input and no output) and black keep their names; the others are
ranked in each input by how many cells they cover and renamed in that order, and the pair's output is
renamed with its input's map. The search then runs on the renamed task, and each test answer is
renamed back with its own input's map. The view is searched only when it changes something: when all
pairs are renamed alike it is the same task under other names.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image
from arc_ttt.domain.programs.fits import Fit

VIEW_COST = 0.5  # renaming colors is one more choice the train pairs had to confirm
VIEW_STEP = "rename colors by role"
_TABLE = 16  # table entries: colors 0-9, the placeholder 10 and room to spare (identity beyond 9)


@dataclass(frozen=True, slots=True)
class ColorView:
    """One renaming table per train pair, and one per test input with its inverse."""

    pairs: tuple[np.ndarray, ...]
    tests: tuple[np.ndarray, ...]
    backward: tuple[np.ndarray, ...]

    def task(self, train: Sequence[tuple[Image, Image]], tests: Sequence[Image]
             ) -> tuple[list[tuple[Image, Image]], list[Image]]:
        return ([(table[i], table[o]) for (i, o), table in zip(train, self.pairs)],
                [table[image] for image, table in zip(tests, self.tests)])

    def answer(self, fit: Fit) -> Fit:
        """The fit with its test answers renamed back, as a program that renames first."""
        predictions = tuple(table[image] for image, table in zip(fit.predictions, self.backward))
        return Fit((VIEW_STEP, *fit.steps), fit.finish, fit.cost + VIEW_COST, predictions)


def _colors(image: Image) -> set[int]:
    return set(np.unique(image).tolist())


def _roles(train: Sequence[tuple[Image, Image]]) -> set[int]:
    """The colors that keep their names: black, and those used the same way in every pair."""
    ins = [_colors(i) for i, _ in train]
    outs = [_colors(o) for _, o in train]
    in_any, in_all = set().union(*ins), set.intersection(*ins)
    out_any, out_all = set().union(*outs), set.intersection(*outs)
    kept = (out_all - in_any) | (in_all - out_any) | {0}
    if out_any == out_all:
        kept |= out_all
    return kept


def _table(image: Image, kept: set[int]) -> np.ndarray | None:
    """The renaming of one input: its other colors, most cells first, onto the free names in order;
    every color left over keeps its name where it can, so the table is a permutation. None on a tie
    in the ranking (the order would be arbitrary)."""
    counts = np.bincount(image.ravel(), minlength=_TABLE)
    ranked = sorted((c for c in range(10) if counts[c] and c not in kept), key=lambda c: -counts[c])
    if any(counts[a] == counts[b] for a, b in itertools.pairwise(ranked)):
        return None
    free = [c for c in range(10) if c not in kept]
    mapping = dict(zip(ranked, free))
    sources = [c for c in range(10) if c not in mapping]
    targets = [c for c in range(10) if c not in mapping.values()]
    for c in [c for c in sources if c in targets]:
        mapping[c] = c
    rest = [c for c in targets if c not in mapping.values()]
    for source, target in zip([c for c in sources if c not in mapping], rest, strict=True):
        mapping[source] = target
    table = np.arange(_TABLE, dtype=np.uint8)
    for source, target in mapping.items():
        table[source] = target
    return table


def color_view(train: Sequence[tuple[Image, Image]], tests: Sequence[Image]) -> ColorView | None:
    """The renaming by role, or None when some ranking ties or the renaming changes nothing."""
    kept = _roles(train)
    pairs = [_table(i, kept) for i, _ in train]
    test_tables = [_table(image, kept) for image in tests]
    if any(t is None for t in pairs) or any(t is None for t in test_tables):
        return None
    tables = [t for t in pairs if t is not None]
    test_tables_found = [t for t in test_tables if t is not None]
    if all(np.array_equal(t, tables[0]) for t in tables + test_tables_found):
        return None  # every image renamed alike: a change of names, no new view
    backward = tuple(np.argsort(t).astype(np.uint8) for t in test_tables_found)
    return ColorView(tuple(tables), tuple(test_tables_found), backward)
