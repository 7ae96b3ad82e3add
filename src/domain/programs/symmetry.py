"""Symmetry completion: cells hidden under a mask color are restored from their mirror images, turns
or periodic repeats.

A symmetry is found, not assumed: every mirror or rotation whose axis or centre lies near the
picture is tried, and those that agree on every visible pair of cells (and see enough pairs) are
used together to fill the hidden cells.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from arc_ttt.domain.programs.images import Image, bounding_box
from arc_ttt.domain.programs.primitives import Transform

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
    usable: list[Mapping] = []
    for py, px, inside in _candidates(*shape):
        both = inside & visible & visible[py, px]
        if int(both.sum()) < need:
            continue
        if (image[both] == image[py[both], px[both]]).all():
            usable.append((py, px, inside))
    if not usable:
        return None
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


def _mask_color(image: Image) -> int | None:
    """The color that covers one solid rectangle (the usual way ARC hides a patch), if one does."""
    best, best_area = None, 0
    for color in set(image.ravel().tolist()):
        cells = image == color
        box = bounding_box(cells)
        assert box is not None
        top, left, bottom, right = box
        area = (bottom - top) * (right - left)
        if cells[top:bottom, left:right].all() and area == cells.sum() and area > best_area and area < image.size // 2:
            best, best_area = color, area
    return best


def symmetry_fill(hidden_color: str) -> Transform:
    """`hidden_color`: "zero" (color 0 hides) or "patch" (the solid-rectangle color hides)."""
    def step(image: Image) -> Image | None:
        color = 0 if hidden_color == "zero" else _mask_color(image)
        return None if color is None else complete(image, image == color)

    return step


def symmetry_patch(image: Image) -> Image | None:
    """Only the restored contents of the hidden rectangle."""
    color = _mask_color(image)
    if color is None:
        return None
    hidden = image == color
    done = complete(image, hidden)
    box = bounding_box(hidden)
    if done is None or box is None:
        return None
    top, left, bottom, right = box
    return done[top:bottom, left:right].copy()
