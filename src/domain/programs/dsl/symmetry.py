"""Symmetry completion: cells hidden under a mask color are restored from their mirror images, turns
or periodic repeats.

A symmetry is found, not assumed: every mirror or rotation whose axis or centre lies near the
picture is tried, and those that agree on every visible pair of cells (and see enough pairs) are
used together to fill the hidden cells.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image, bounding_box
from arc_ttt.domain.programs.dsl.primitives import Transform

# a candidate symmetry: for each cell its partner's (row, col), clipped inside, and whether it is inside
Mapping = tuple[np.ndarray, np.ndarray, np.ndarray]


@lru_cache(maxsize=16)
def _candidates(h: int, w: int) -> tuple[Mapping, ...]:
    ys, xs = np.indices((h, w))
    raw: list[tuple[np.ndarray, np.ndarray]] = []
    for a in range(w // 2, 2 * w - 1 - w // 2):  # left-right mirror about x = a / 2
        raw.append((ys, a - xs))
    for b in range(h // 2, 2 * h - 1 - h // 2):  # up-down mirror about y = b / 2
        raw.append((b - ys, xs))
    for b in range(h - 3, h + 2):
        for a in range(w - 3, w + 2):
            raw.append((b - ys, a - xs))  # half turn
    for k in range(-3, 4):
        raw.append((xs + k, ys - k))  # main diagonal
        raw.append((w - 1 - xs + k, h - 1 - ys + k))  # anti-diagonal
    for s in range((h + w) // 2 - 3, (h + w) // 2 + 3):
        for d in range((h - w) // 2 - 2, (h - w) // 2 + 3):
            raw.append((xs + d, s - ys))  # quarter turn about ((s+d)/2, (s-d)/2)
    for dy in range(0, h // 2 + 1):  # translations: periodic patterns, both directions
        for dx in range(-(w // 2), w // 2 + 1):
            if dy > 0 or dx > 0:
                raw.append((ys + dy, xs + dx))
                raw.append((ys - dy, xs - dx))
    maps = []
    for ty, tx in raw:
        inside = (ty >= 0) & (ty < h) & (tx >= 0) & (tx < w)
        if inside.sum() * 2 >= h * w:  # a partner for at least half the cells, or it cannot be checked
            maps.append((np.where(inside, ty, 0).astype(np.int16), np.where(inside, tx, 0).astype(np.int16), inside))
    return tuple(maps)


@lru_cache(maxsize=16)
def _stacked(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every candidate of one size at once, (candidates, h, w) each: one array operation checks them all."""
    maps = _candidates(h, w)
    return (np.stack([m[0] for m in maps]), np.stack([m[1] for m in maps]), np.stack([m[2] for m in maps]))


def complete(image: Image, hidden: np.ndarray) -> Image | None:
    """Fill the `hidden` cells from symmetric visible ones, or None if some stay unknown."""
    if not hidden.any() or hidden.all():
        return None
    done = _complete(image.tobytes(), image.shape, np.packbits(hidden).tobytes())
    return None if done is None else done.copy()


@lru_cache(maxsize=1024)
def _complete(data: bytes, shape: tuple[int, int], packed_hidden: bytes) -> Image | None:
    image = np.frombuffer(data, dtype=np.uint8).reshape(shape)
    hidden = np.unpackbits(np.frombuffer(packed_hidden, dtype=np.uint8), count=image.size).reshape(shape).astype(bool)
    visible = ~hidden
    need = int(visible.sum()) // 2
    rows, columns, inside = _stacked(*shape)
    both = inside & visible & visible[rows, columns]
    agree = ~(both & (image != image[rows, columns])).any(axis=(1, 2))
    found = np.flatnonzero(agree & (both.sum(axis=(1, 2)) >= need))
    if found.size == 0:
        return None
    maps = _candidates(*shape)
    usable: list[Mapping] = [maps[i] for i in found.tolist()]
    out, unknown = image.copy(), hidden.copy()
    changed = True
    while unknown.any() and changed:
        changed = False
        for py, px, inside in usable:
            fill = unknown & inside & ~unknown[py, px]
            if fill.any():
                out[fill] = out[py[fill], px[fill]]
                unknown &= ~fill
                changed = True
    return None if unknown.any() else out


def _mask_colors(image: Image) -> list[int]:
    """Colors that could hide parts of the picture, biggest first: the patches of the color are solid
    rectangles (no 2x2 window holds exactly three of its cells), or blocks made of them (every cell of
    the color lies in a 2x2 square of it), the usual ways ARC hides cells."""
    found = []
    for color in set(image.ravel().tolist()):
        cells = (image == color).astype(np.int8)
        area = int(cells.sum())
        if area * 2 >= image.size:
            continue
        windows = cells[:-1, :-1] + cells[1:, :-1] + cells[:-1, 1:] + cells[1:, 1:]
        if (windows == 3).any():
            squares = windows == 4
            covered = np.zeros(cells.shape, dtype=bool)
            for dy in (0, 1):
                for dx in (0, 1):
                    covered[dy:dy + squares.shape[0], dx:dx + squares.shape[1]] |= squares
            if (covered != cells.astype(bool)).any():
                continue
        found.append((area, color))
    return [color for _, color in sorted(found, reverse=True)]


def symmetry_fill(hidden_color: str) -> Transform:
    """`hidden_color`: "zero" (color 0 hides) or "patch" (a color of solid rectangles hides, biggest first)."""
    def step(image: Image) -> Image | None:
        for color in [0] if hidden_color == "zero" else _mask_colors(image):
            done = complete(image, image == color)
            if done is not None:
                return done
        return None

    return step


def symmetry_patch(image: Image) -> Image | None:
    """Only the restored contents of the hidden rectangle."""
    for color in _mask_colors(image):
        hidden = image == color
        box = bounding_box(hidden)
        assert box is not None
        top, left, bottom, right = box
        if (bottom - top) * (right - left) != int(hidden.sum()):
            continue  # not one rectangle
        done = complete(image, hidden)
        if done is not None:
            return done[top:bottom, left:right].copy()
    return None
