"""Image helpers for the program search: numpy arrays of colors, background, boxes and objects.

The search works on `numpy` arrays rather than `Grid`s because it applies thousands of
transformations per task; `Grid`s come in and go out at the solver's edge. Color 10 is a
placeholder a step may paint ("some new color"); only a final color map may turn it into a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

from arc_ttt.domain.arc.grid import MAX_SIDE, Grid

Image = np.ndarray  # 2-D uint8
NEW = 10  # placeholder color


def to_image(grid: Grid) -> Image:
    return np.array(grid.rows, dtype=np.uint8)


def to_grid(image: Image) -> Grid | None:
    """The `Grid` of a finished image, or None when it is not a valid ARC grid."""
    if not valid(image) or int(image.max()) > 9:
        return None
    return Grid(tuple(tuple(int(c) for c in row) for row in image.tolist()))


def valid(image: Image | None) -> bool:
    return image is not None and image.ndim == 2 and 1 <= image.shape[0] <= MAX_SIDE and 1 <= image.shape[1] <= MAX_SIDE


def background(image: Image) -> int:
    """0, ARC's usual background, when it covers a fifth of the image; else the most frequent color."""
    counts = np.bincount(image.ravel(), minlength=11)
    if counts[0] * 5 >= image.size:
        return 0
    return int(counts.argmax())


def enclosed_background(image: Image, bg: int) -> np.ndarray:
    """Background cells that cannot reach the border through background (4-connected)."""
    free = image == bg
    reach = np.zeros_like(free)
    reach[0, :], reach[-1, :], reach[:, 0], reach[:, -1] = free[0, :], free[-1, :], free[:, 0], free[:, -1]
    while True:
        grown = reach.copy()
        grown[1:, :] |= reach[:-1, :]
        grown[:-1, :] |= reach[1:, :]
        grown[:, 1:] |= reach[:, :-1]
        grown[:, :-1] |= reach[:, 1:]
        grown &= free
        if (grown == reach).all():
            return free & ~reach
        reach = grown


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right), inclusive-exclusive, of the true cells; None if there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


@dataclass(frozen=True, slots=True)
class Piece:
    """A connected object: its cells (as a full-size mask) and what the selectors rank it by."""

    mask: np.ndarray
    box: tuple[int, int, int, int]
    size: int
    colors: int
    main_color: int
    main_count: int  # cells of the main color; the rest are its minority colors

    def crop(self, image: Image, bg: int) -> Image:
        top, left, bottom, right = self.box
        patch = image[top:bottom, left:right].copy()
        patch[~self.mask[top:bottom, left:right]] = bg
        return patch

    def shape_key(self) -> bytes:
        top, left, bottom, right = self.box
        part = self.mask[top:bottom, left:right]
        return bytes(part.shape) + np.packbits(part).tobytes()


_STRUCTURES = {4: ndimage.generate_binary_structure(2, 1), 8: ndimage.generate_binary_structure(2, 2)}


def pieces(image: Image, connectivity: int, by_color: bool, bg: int | None = None) -> tuple[Piece, ...]:
    """Connected non-background objects, in reading order of their first cell."""
    bg = background(image) if bg is None else bg
    return _pieces(image.tobytes(), image.shape, connectivity, by_color, bg)


def _labels(image: Image, connectivity: int, by_color: bool, bg: int) -> np.ndarray:
    """Every object's cells numbered 1, 2, ... (0: background), in reading order of their first cell."""
    structure = _STRUCTURES[connectivity]
    if not by_color:
        labels, _ = ndimage.label(image != bg, structure=structure)
        return labels
    labels = np.zeros(image.shape, dtype=np.int32)
    count = 0
    for color in np.unique(image).tolist():
        if color == bg:
            continue
        found, more = ndimage.label(image == color, structure=structure)
        labels[found > 0] = found[found > 0] + count
        count += int(more)
    if count:  # numbered color after color: renumber in reading order of each object's first cell
        values, first = np.unique(labels.ravel(), return_index=True)
        order = np.argsort(first[values > 0])
        renumber = np.zeros(count + 1, dtype=np.int32)
        renumber[order + 1] = np.arange(1, count + 1, dtype=np.int32)
        labels = renumber[labels]
    return labels


@lru_cache(maxsize=4096)
def _pieces(data: bytes, shape: tuple[int, int], connectivity: int, by_color: bool, bg: int) -> tuple[Piece, ...]:
    image = np.frombuffer(data, dtype=np.uint8).reshape(shape)
    labels = _labels(image, connectivity, by_color, bg)
    found: list[Piece] = []
    for label, where in enumerate(ndimage.find_objects(labels), start=1):
        if where is None:
            continue
        mask = labels == label
        counts = np.bincount(image[mask], minlength=11)
        rows, columns = where
        found.append(Piece(mask, (rows.start, columns.start, rows.stop, columns.stop), int(counts.sum()),
                           int((counts > 0).sum()), int(counts.argmax()), int(counts.max())))
    return tuple(found)


ANY_COLOR = -1  # for `source_cells`: cells of every color


def source_cells(image: Image, bg: int, color: int, lone: bool) -> list[tuple[int, int]]:
    """The (row, column) of every cell of `color` (ANY_COLOR: of every non-background color), reading order;
    with `lone`, only cells with no colored neighbour (diagonals included): where learned drawings start."""
    if lone:
        return [(p.box[0], p.box[1]) for p in pieces(image, 8, False, bg)
                if p.size == 1 and color in (ANY_COLOR, p.main_color)]
    found = image != bg if color == ANY_COLOR else image == color
    return list(zip(*(a.tolist() for a in np.nonzero(found))))
