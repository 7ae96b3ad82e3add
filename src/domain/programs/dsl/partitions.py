"""Images cut into cells: by separator lines of one color, or into equal halves.

Many ARC tasks draw two or more panels side by side and ask for a cell-wise combination of them
(AND, OR, XOR...) or for the panel that differs. Combinations paint NEW where the relation holds and
0 elsewhere; the final color map of the search chooses the real colors.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from arc_ttt.domain.programs.dsl.images import NEW, Image, background
from arc_ttt.domain.programs.dsl.primitives import Transform


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """Maximal [start, end) runs of False between True flags."""
    runs, start = [], None
    for i, flag in enumerate([*flags, True]):
        if not flag and start is None:
            start = i
        elif flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def split_by_lines(image: Image) -> list[Image] | None:
    """The panels between full rows/columns of one separator color, in reading order."""
    found = _split_by_lines(image.tobytes(), image.shape)
    return None if found is None else list(found[0])


def split_by_lines_in_rows(image: Image) -> tuple[list[Image], int] | None:
    """The panels between separator lines in reading order, and how many rows of panels they make."""
    found = _split_by_lines(image.tobytes(), image.shape)
    return None if found is None else (list(found[0]), found[1])


@lru_cache(maxsize=2048)
def _split_by_lines(data: bytes, shape: tuple[int, int]) -> tuple[tuple[Image, ...], int] | None:
    """The panels, and how many panel rows they make."""
    image = np.frombuffer(data, dtype=np.uint8).reshape(shape)
    h, w = shape
    found: list[tuple[tuple[Image, ...], int]] = []
    for color in sorted(set(image.ravel().tolist()), key=lambda c: c == background(image)):
        full_rows = [bool((image[r] == color).all()) for r in range(h)]
        full_cols = [bool((image[:, c] == color).all()) for c in range(w)]
        if not any(full_rows) and not any(full_cols):
            continue
        row_runs, col_runs = _runs(full_rows), _runs(full_cols)
        cells = tuple(image[r0:r1, c0:c1] for r0, r1 in row_runs for c0, c1 in col_runs)
        if len(cells) >= 2:
            found.append((cells, len(row_runs)))
    # a line of a picture's own color can look like a separator: equal panels tell the real one
    equal = [split for split in found if len({c.shape for c in split[0]}) == 1]
    return (equal or found or [None])[0]


def panel_colors(image: Image) -> Image | None:
    """One cell per panel (cut by separator lines), in the panels' layout: the panel's commonest color."""
    found = _split_by_lines(image.tobytes(), image.shape)
    if found is None:
        return None
    cells, rows = found
    colors = [int(np.bincount(cell.ravel(), minlength=10).argmax()) for cell in cells]
    return np.array(colors, dtype=np.uint8).reshape(rows, len(cells) // rows)


def split_halves(axis: int) -> Callable[[Image], list[Image] | None]:
    def split(image: Image) -> list[Image] | None:
        size = image.shape[axis]
        if size % 2:
            return None
        half = size // 2
        return [image[:half], image[half:]] if axis == 0 else [image[:, :half], image[:, half:]]

    return split


Splitter = Callable[[Image], list[Image] | None]
SPLITTERS: dict[str, Splitter] = {"lines": split_by_lines, "rows": split_halves(0), "cols": split_halves(1)}


def _same_shape(cells: list[Image]) -> bool:
    return len({c.shape for c in cells}) == 1


def _masks(cells: list[Image]) -> np.ndarray:
    bg = 0 if any((c == 0).any() for c in cells) else background(cells[0])
    return np.stack([c != bg for c in cells])


LOGIC: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "and": lambda m: m.all(axis=0),
    "or": lambda m: m.any(axis=0),
    "xor": lambda m: m.sum(axis=0) == 1,
    "nor": lambda m: ~m.any(axis=0),
    "first_only": lambda m: m[0] & ~m[1:].any(axis=0),
    "last_only": lambda m: m[-1] & ~m[:-1].any(axis=0),
}


def combine(split: Splitter, logic: str) -> Transform:
    def step(image: Image) -> Image | None:
        cells = split(image)
        if not cells or not _same_shape(cells):
            return None
        relation = LOGIC[logic](_masks(cells))
        return np.where(relation, NEW, 0).astype(np.uint8)

    return step


def overlay(split: Splitter, reverse: bool) -> Transform:
    """Stack the panels; later panels' non-background cells cover earlier ones."""
    def step(image: Image) -> Image | None:
        cells = split(image)
        if not cells or not _same_shape(cells):
            return None
        order = cells[::-1] if reverse else cells
        bg = background(image)
        out = order[0].copy()
        for cell in order[1:]:
            out = np.where(cell != bg, cell, out)
        return out.astype(np.uint8)

    return step


def _pick(cells: list[Image], key: Callable[[Image], float]) -> Image | None:
    scores = [key(c) for c in cells]
    best = max(scores)
    return cells[scores.index(best)].copy() if scores.count(best) == 1 else None


def _odd_cell(cells: list[Image]) -> Image | None:
    keys = [c.tobytes() + bytes(c.shape) for c in cells]
    alone = [c for c, k in zip(cells, keys) if keys.count(k) == 1]
    return alone[0].copy() if len(cells) >= 3 and len(alone) == 1 else None


def _filled(cell: Image) -> int:
    return int((cell != background(cell)).sum()) if cell.size else 0


CELL_PICKS: dict[str, Callable[[list[Image]], Image | None]] = {
    "most_filled": lambda cs: _pick(cs, _filled),
    "least_filled": lambda cs: _pick(cs, lambda c: -_filled(c)),
    "most_colors": lambda cs: _pick(cs, lambda c: len(set(c.ravel().tolist()))),
    "odd": _odd_cell,
}


def pick_cell(split: Splitter, rule: str) -> Transform:
    def step(image: Image) -> Image | None:
        cells = split(image)
        return None if not cells else CELL_PICKS[rule](cells)

    return step
