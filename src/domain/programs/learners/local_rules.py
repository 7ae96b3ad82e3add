"""Cell-wise rules learned from the train pairs: each output cell as a function of what surrounds
the same cell in the input (a cellular-automaton step).

For tasks whose output has the input's shape, a lookup table from a neighbourhood description to
an output color is built from every train cell. It is kept only when the table is consistent and
every neighbourhood met in the test inputs was seen in training, so it never guesses a cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image, background, pieces
from arc_ttt.domain.programs.fits import LOCAL_RULE, Fit

Features = Callable[[Image], list[tuple[int, ...]]]


def _padded(image: Image, radius: int, outside: int = -1) -> np.ndarray:
    return np.pad(image.astype(np.int16), radius, constant_values=outside)


def _window(image: Image, offsets: Sequence[tuple[int, int]], outside: int = -1) -> list[tuple[int, ...]]:
    """The colors at `offsets` from each cell, `outside` beyond the edge."""
    h, w = image.shape
    pad = _padded(image, 2, outside)
    columns = [pad[2 + dy:2 + dy + h, 2 + dx:2 + dx + w].ravel() for dy, dx in offsets]
    return [tuple(v) for v in np.stack(columns, axis=1).tolist()]


CROSS = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
SQUARE = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def _lines(image: Image) -> list[tuple[int, ...]]:
    """Own color plus the sets of colors on the cell's row and column (for ray and line tasks)."""
    bg = background(image)
    rows = [sum(1 << c for c in set(r.tolist()) - {bg}) for r in image]
    cols = [sum(1 << c for c in set(col.tolist()) - {bg}) for col in image.T]
    h, w = image.shape
    return [(int(image[y, x]), rows[y], cols[x]) for y in range(h) for x in range(w)]


def _count_around(image: Image) -> list[tuple[int, ...]]:
    """Own color plus how many of the 8 neighbours are not background."""
    bg = background(image)
    solid = np.pad(image != bg, 1).astype(np.int8)
    h, w = image.shape
    count = sum(solid[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
    return list(zip(image.ravel().tolist(), count.ravel().tolist()))  # type: ignore[union-attr]


def _object_features(image: Image, describe: Callable[[np.ndarray], tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Own color plus a property of the one-color object (8-connected) the cell belongs to."""
    found = pieces(image, 8, True, background(image))
    owner = np.full(image.shape, -1, dtype=np.int32)
    for i, piece in enumerate(found):
        owner[piece.mask] = i
    props = [describe(p.mask) for p in found]
    none = (-1,) * (len(props[0]) if props else 1)
    return [(int(c), *(props[k] if k >= 0 else none)) for c, k in zip(image.ravel().tolist(), owner.ravel().tolist())]


def _size_rank(image: Image) -> list[tuple[int, ...]]:
    sizes = [p.size for p in pieces(image, 8, True, background(image))] or [0]
    return _object_features(image, lambda mask: (int(mask.sum()) == max(sizes), int(mask.sum()) == min(sizes)))


def _touches_border(image: Image) -> list[tuple[int, ...]]:
    return _object_features(image, lambda m: (bool(m[0].any() or m[-1].any() or m[:, 0].any() or m[:, -1].any()),))


def _object_size(image: Image) -> list[tuple[int, ...]]:
    return _object_features(image, lambda mask: (int(mask.sum()),))


def _size_order(image: Image) -> list[tuple[int, ...]]:
    """Own color plus the rank of the cell's object among the distinct object sizes, largest first."""
    sizes = sorted({p.size for p in pieces(image, 8, True, background(image))}, reverse=True)
    return _object_features(image, lambda mask: (sizes.index(int(mask.sum())),))


FEATURES: dict[str, Features] = {
    "neighbour count": _count_around,
    "object is largest/smallest": _size_rank,
    "object touches border": _touches_border,
    "object size": _object_size,
    "object size rank": _size_order,
    "cross": lambda image: _window(image, CROSS),
    "row and column colors": _lines,
    "3x3 window": lambda image: _window(image, SQUARE),
    # the same, with the picture's edge unseen: a pattern drawn against the border as anywhere else
    "3x3 window, background beyond the edge": lambda image: _window(image, SQUARE, background(image)),
}


def learn_local_rules(
    train: Sequence[tuple[Image, Image]], tests: Sequence[Image], steps: tuple[str, ...] = (), cost: float = 0.0
) -> list[Fit]:
    """Cell tables that map the images `steps` made from the inputs onto the train outputs."""
    if not train or any(inp.shape != out.shape for inp, out in train):
        return []
    if all(np.array_equal(inp, out) for inp, out in train):
        return []
    fits: list[Fit] = []
    tables: list[tuple[str, Features, dict[tuple[int, ...], int]]] = []
    for rank, (name, describe) in enumerate(FEATURES.items()):
        table = _table(train, describe)
        if table is None:
            continue
        tables.append((name, describe, table))
        predictions = []
        for image in tests:
            keys = describe(image)
            if any(k not in table for k in keys):
                break
            predictions.append(np.array([table[k] for k in keys], dtype=np.uint8).reshape(image.shape))
        else:
            fits.append(Fit((*steps, LOCAL_RULE), f"by {name}", cost + 2.5 + rank * 0.25, tuple(predictions)))
    if not fits and len(tables) > 1:
        combined = _combined(tables, tests)
        if combined is not None:
            names = ", then ".join(name for name, _, _ in sorted(tables, key=_specificity))
            fits.append(Fit((*steps, LOCAL_RULE), f"by {names}", cost + 4.0, combined))
    return fits


def _table(train: Sequence[tuple[Image, Image]], describe: Features) -> dict[tuple[int, ...], int] | None:
    table: dict[tuple[int, ...], int] = {}
    for inp, out in train:
        for key, color in zip(describe(inp), out.ravel().tolist()):
            if table.setdefault(key, color) != color:
                return None
    return table


def _specificity(entry: tuple[str, Features, dict[tuple[int, ...], int]]) -> int:
    return -len(entry[2])  # more distinct keys seen: a finer description


def _combined(tables: list[tuple[str, Features, dict[tuple[int, ...], int]]],
              tests: Sequence[Image]) -> tuple[Image, ...] | None:
    """Each test cell by the finest consistent table that has seen its neighbourhood, when no single
    table covers every cell; None if some cell is covered by none."""
    ordered = sorted(tables, key=_specificity)
    predictions = []
    for image in tests:
        described = [(describe(image), table) for _, describe, table in ordered]
        cells = []
        for i in range(image.size):
            color = next((table[keys[i]] for keys, table in described if keys[i] in table), None)
            if color is None:
                return None
            cells.append(color)
        predictions.append(np.array(cells, dtype=np.uint8).reshape(image.shape))
    return tuple(predictions)
