"""Panel summaries: one output cell per panel of the input, its color read off a fact of the panel.

"Mark the panels holding exactly two pink cells": the input is cut into panels (between separator
lines, or equal blocks), each panel is described by the facts `picks` uses, and one fact's values are
mapped to colors consistently over every train panel. The summary is laid out like the panels (or
transposed) and must have the train outputs' size. A test panel whose value training never showed
takes the color most values share (three at least); otherwise the fact gives no answer. Never *sure*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image, background
from arc_ttt.domain.programs.fits import SUMMARIZE, Fit, already_given
from arc_ttt.domain.programs.learners.cell_logic import shared_by_most
from arc_ttt.domain.programs.learners.picks import FACTS, PLACES, facts_of, panel_cutters

COST = 3.0


def _mapping(values: Sequence[np.ndarray], colors: Sequence[np.ndarray]) -> dict[int, int] | None:
    """Each value's one color over every train panel, None if a value has two."""
    table: dict[int, int] = {}
    for value_column, color_column in zip(values, colors):
        for value, color in zip(value_column.tolist(), color_column.tolist()):
            if table.setdefault(value, color) != color:
                return None
    return table


def _apply(table: dict[int, int], values: np.ndarray) -> np.ndarray | None:
    default = shared_by_most(list(table.values()))
    out = [table.get(v, default) for v in values.tolist()]
    return None if any(c is None for c in out) else np.array(out, dtype=np.uint8)


def learn_panel_summary(train: Sequence[tuple[Image, Image]], tests: Sequence[Image], keep: int = 2) -> list[Fit]:
    """Up to `keep` distinct answers, each one cell per test panel colored by one fact of the panel."""
    if len(train) < 2:
        return []
    inputs = [inp for inp, _ in train] + list(tests)
    outputs = [out for _, out in train]
    fits: list[Fit] = []
    for name, cut in panel_cutters():
        cuts = [cut(image) for image in inputs]
        if any(len(parts) < 2 or len(parts) % rows for parts, rows in cuts):
            continue
        layouts = [(rows, len(parts) // rows) for parts, rows in cuts]
        tables = [facts_of(parts, background(image)) for image, (parts, _) in zip(inputs, cuts)]
        for transposed in (False, True):
            shapes = [(c, r) if transposed else (r, c) for r, c in layouts]
            if any(out.shape != shape for out, shape in zip(outputs, shapes)):
                continue
            # the panels in the order of the summary's cells
            orders = [np.arange(r * c).reshape(r, c).T.ravel() if transposed else np.arange(r * c) for r, c in layouts]
            for column, fact in enumerate(FACTS):
                if fact in PLACES:  # a panel's place: a color per place would only copy the layout
                    continue
                values = [table[order, column] for table, order in zip(tables, orders)]
                table = _mapping(values[:len(train)], [out.ravel() for out in outputs])
                if table is None or len(set(table.values())) < 2:
                    continue
                mapped = [_apply(table, vals) for vals in values[len(train):]]
                if any(m is None for m in mapped):
                    continue
                predictions = tuple(m.reshape(shape) for m, shape in zip(mapped, shapes[len(train):]) if m is not None)
                if already_given(predictions, fits):
                    continue
                where = f"each {name}{', transposed' if transposed else ''}"
                fits.append(Fit((SUMMARIZE,), f"one cell for {where}, colored by {fact} ({len(table)} values)",
                                COST + 0.01 * len(table), predictions))
                if len(fits) == keep:
                    return fits
                break  # the first fact of this layout; the next answer comes from another one
    return fits
