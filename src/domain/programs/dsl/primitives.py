"""Grid primitives: each takes one image and returns another, or None where it does not apply.

They are deliberately total and cheap: the search calls them thousands of times per task and
discards whatever returns None, so a primitive never raises on an image it cannot handle.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from arc_ttt.domain.programs.dsl.images import NEW, Image, Piece, background, bounding_box, enclosed_background, pieces

Transform = Callable[[Image], Image | None]


# -- geometry -----------------------------------------------------------------------------------

def rotate(quarter_turns: int) -> Transform:
    return lambda image: np.rot90(image, -quarter_turns).copy()


def flip_lr(image: Image) -> Image:
    return image[:, ::-1].copy()


def flip_ud(image: Image) -> Image:
    return image[::-1, :].copy()


def transpose(image: Image) -> Image:
    return image.T.copy()


def anti_transpose(image: Image) -> Image:
    return np.rot90(image, 2).T.copy()


# -- cropping -----------------------------------------------------------------------------------

def crop_content(image: Image) -> Image | None:
    """The bounding box of everything that is not background."""
    box = bounding_box(image != background(image))
    if box is None:
        return None
    top, left, bottom, right = box
    return image[top:bottom, left:right].copy()


def trim_uniform_border(image: Image) -> Image | None:
    """Remove outer rows and columns made of one color (a frame)."""
    frame = image[0, 0]
    top, bottom, left, right = 0, image.shape[0], 0, image.shape[1]

    def uniform(line: np.ndarray) -> bool:
        return bool((line == frame).all())

    while bottom - top > 2 and uniform(image[top, left:right]):
        top += 1
    while bottom - top > 2 and uniform(image[bottom - 1, left:right]):
        bottom -= 1
    while right - left > 2 and uniform(image[top:bottom, left]):
        left += 1
    while right - left > 2 and uniform(image[top:bottom, right - 1]):
        right -= 1
    if (top, bottom, left, right) == (0, image.shape[0], 0, image.shape[1]):
        return None
    return image[top:bottom, left:right].copy()


# -- objects ------------------------------------------------------------------------------------

Selector = Callable[[tuple[Piece, ...]], Piece | None]


def _unique_best(items: tuple[Piece, ...], key: Callable[[Piece], float]) -> Piece | None:
    if not items:
        return None
    scores = [key(p) for p in items]
    best = max(scores)
    winners = [p for p, s in zip(items, scores) if s == best]
    return winners[0] if len(winners) == 1 else None


def _odd_one_out(items: tuple[Piece, ...], key: Callable[[Piece], object]) -> Piece | None:
    """The only object whose `key` no other object shares."""
    if len(items) < 3:
        return None
    keys = [key(p) for p in items]
    alone = [p for p, k in zip(items, keys) if keys.count(k) == 1]
    return alone[0] if len(alone) == 1 else None


SELECTORS: dict[str, Selector] = {
    "largest": lambda ps: _unique_best(ps, lambda p: p.size),
    "smallest": lambda ps: _unique_best(ps, lambda p: -p.size),
    "most_colors": lambda ps: _unique_best(ps, lambda p: p.colors),
    "largest_box": lambda ps: _unique_best(ps, lambda p: (p.box[2] - p.box[0]) * (p.box[3] - p.box[1])),
    "most_minority": lambda ps: _unique_best(ps, lambda p: p.size - p.main_count),
    "densest": lambda ps: _unique_best(ps, lambda p: p.size / ((p.box[2] - p.box[0]) * (p.box[3] - p.box[1]))),
    "odd_color": lambda ps: _odd_one_out(ps, lambda p: p.main_color),
    "odd_shape": lambda ps: _odd_one_out(ps, Piece.shape_key),
    "top": lambda ps: _unique_best(ps, lambda p: -p.box[0]),
    "left": lambda ps: _unique_best(ps, lambda p: -p.box[1]),
    "bottom": lambda ps: _unique_best(ps, lambda p: p.box[2]),
    "right": lambda ps: _unique_best(ps, lambda p: p.box[3]),
}


def crop_piece(connectivity: int, by_color: bool, select: Selector) -> Transform:
    def step(image: Image) -> Image | None:
        bg = background(image)
        found = pieces(image, connectivity, by_color, bg)
        if len(found) < 2:
            return None
        chosen = select(found)
        return None if chosen is None else chosen.crop(image, bg)

    return step


def crop_piece_box(connectivity: int, select: Selector, by_color: bool = False) -> Transform:
    """The chosen object's bounding box with everything inside it (other colors included); with
    `by_color`, objects are one color each (a frame around other things)."""
    def step(image: Image) -> Image | None:
        found = pieces(image, connectivity, by_color)
        if len(found) < 2:
            return None
        chosen = select(found)
        if chosen is None:
            return None
        top, left, bottom, right = chosen.box
        return image[top:bottom, left:right].copy()

    return step


def keep_piece(select: Selector) -> Transform:
    """Erase every object but the chosen one, in place."""
    def step(image: Image) -> Image | None:
        bg = background(image)
        found = pieces(image, 8, False, bg)
        if len(found) < 2:
            return None
        chosen = select(found)
        if chosen is None:
            return None
        out = np.full_like(image, bg)
        out[chosen.mask] = image[chosen.mask]
        return out

    return step


def remove_small_pieces(image: Image) -> Image | None:
    """Denoise: erase objects of one or two cells (by color, 4-connected), keep the rest."""
    bg = background(image)
    out = image.copy()
    changed = False
    for piece in pieces(image, 4, True, bg):
        if piece.size <= 2:
            out[piece.mask] = bg
            changed = True
    return out if changed else None


def mark_largest_piece(image: Image) -> Image | None:
    """The largest object painted NEW; a final color map names the color."""
    bg = background(image)
    found = pieces(image, 8, False, bg)
    chosen = SELECTORS["largest"](found)
    if chosen is None:
        return None
    out = image.copy()
    out[chosen.mask] = NEW
    return out


# -- colors -------------------------------------------------------------------------------------

def _foreground_colors(image: Image) -> tuple[int, list[int], np.ndarray] | None:
    """Background, the other colors present (None unless at least two), and every color's count."""
    counts = np.bincount(image.ravel(), minlength=11)
    bg = background(image)
    present = [c for c in range(11) if counts[c] and c != bg]
    return (bg, present, counts) if len(present) >= 2 else None


def color_order(image: Image) -> Image | None:
    """The colors in the order their bands lie: along the axis where their extents overlap least, by
    the mean position of each color's cells; a column when they run top to bottom, a row when left
    to right. Black (0) is left out, as ARC's blank (the commonest color cannot be: bands may fill
    the whole picture)."""
    present = [c for c in range(1, 10) if (image == c).any()]
    if len(present) < 2:
        return None
    overlaps, orders = [], []
    for axis in (0, 1):
        where = np.indices(image.shape)[axis]
        spans = []
        for c in present:
            at = where[image == c]
            spans.append((float(at.mean()), int(at.min()), int(at.max()), c))
        spans.sort()
        overlaps.append(sum(max(0, a[2] - b[1] + 1) for a, b in itertools.pairwise(spans)))
        orders.append([c for *_, c in spans])
    if overlaps[0] == overlaps[1]:
        return None
    axis = 0 if overlaps[0] < overlaps[1] else 1
    order = np.array(orders[axis], dtype=np.uint8)
    return order[:, None] if axis == 0 else order[None, :]


def colors_by_count(image: Image) -> Image | None:
    """A column of the colors besides the background, the most cells first (None on a tie)."""
    found = _foreground_colors(image)
    if found is None:
        return None
    _, present, counts = found
    if len({int(counts[c]) for c in present}) < len(present):
        return None
    return np.array(sorted(present, key=lambda c: -counts[c]), dtype=np.uint8)[:, None]


def keep_rarest_color(image: Image) -> Image | None:
    found = _foreground_colors(image)
    if found is None:
        return None
    bg, present, counts = found
    rarest = min(present, key=lambda c: (counts[c], c))
    return np.where(image == rarest, image, bg).astype(np.uint8)


def remove_commonest_color(image: Image) -> Image | None:
    found = _foreground_colors(image)
    if found is None:
        return None
    bg, present, counts = found
    commonest = max(present, key=lambda c: (counts[c], -c))
    return np.where(image == commonest, bg, image).astype(np.uint8)


def fill_enclosed(image: Image) -> Image | None:
    """Background cells that cannot reach the border (4-connected) become NEW."""
    holes = enclosed_background(image, background(image))
    if not holes.any():
        return None
    out = image.copy()
    out[holes] = NEW
    return out


def outline_pieces(image: Image) -> Image | None:
    """Background cells touching an object (8-neighbourhood) become NEW: a halo."""
    bg = background(image)
    solid = np.pad(image != bg, 1)
    near = np.zeros_like(solid)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= np.roll(np.roll(solid, dy, axis=0), dx, axis=1)
    halo = near[1:-1, 1:-1] & (image == bg)
    if not halo.any():
        return None
    out = image.copy()
    out[halo] = NEW
    return out


# -- gravity ------------------------------------------------------------------------------------

def gravity(quarter_turns: int) -> Transform:
    """Every non-background cell falls down (after turning the image), then the turn is undone."""
    def step(image: Image) -> Image | None:
        bg = background(image)
        turned = np.rot90(image, quarter_turns)
        out = np.full_like(turned, bg)
        for col in range(turned.shape[1]):
            cells = turned[:, col][turned[:, col] != bg]
            if cells.size:
                out[-cells.size:, col] = cells
        result = np.rot90(out, -quarter_turns).copy()
        return None if np.array_equal(result, image) else result

    return step


# -- scale and tile -----------------------------------------------------------------------------

def upscale(factor: int) -> Transform:
    return lambda image: image.repeat(factor, axis=0).repeat(factor, axis=1)


def upscale_by_colors(image: Image) -> Image | None:
    """Each cell becomes a k x k block, k the number of colors besides the background."""
    k = len(set(np.unique(image).tolist()) - {background(image)})
    return upscale(k)(image) if k >= 2 else None


def downscale(factor: int) -> Transform:
    def step(image: Image) -> Image | None:
        h, w = image.shape
        if h % factor or w % factor:
            return None
        small = image[::factor, ::factor]
        return small.copy() if np.array_equal(small.repeat(factor, axis=0).repeat(factor, axis=1), image) else None

    return step


def shrink_by_majority(factor: int) -> Transform:
    """Each factor x factor block becomes its commonest color (a noisy picture scaled down); None on a
    tie, or when every block is one color already (plain downscaling says that)."""
    def step(image: Image) -> Image | None:
        h, w = image.shape
        if h % factor or w % factor or (h == factor and w == factor):
            return None
        blocks = image.reshape(h // factor, factor, w // factor, factor).transpose(0, 2, 1, 3)
        blocks = blocks.reshape(h // factor, w // factor, factor * factor)
        counts = (blocks[..., None] == np.arange(10, dtype=np.uint8)).sum(axis=2)
        top = np.sort(counts, axis=2)
        if (top[..., -1] == top[..., -2]).any() or (top[..., -1] == factor * factor).all():
            return None
        return counts.argmax(axis=2).astype(np.uint8)

    return step


def squeeze_repeats(image: Image) -> Image | None:
    """Collapse runs of identical adjacent rows and columns into one."""
    rows = np.flatnonzero(np.r_[True, (image[1:] != image[:-1]).any(axis=1)])
    squeezed = image[rows]
    cols = np.flatnonzero(np.r_[True, (squeezed[:, 1:] != squeezed[:, :-1]).any(axis=0)])
    out = squeezed[:, cols]
    return None if out.shape == image.shape else out.copy()


def tile(rows: int, cols: int) -> Transform:
    return lambda image: np.tile(image, (rows, cols))


def mirror_tile(kind: str) -> Transform:
    def step(image: Image) -> Image:
        if kind == "right":
            return np.hstack([image, image[:, ::-1]])
        if kind == "down":
            return np.vstack([image, image[::-1]])
        if kind == "left":
            return np.hstack([image[:, ::-1], image])
        if kind == "up":
            return np.vstack([image[::-1], image])
        top = np.hstack([image, image[:, ::-1]])
        return np.vstack([top, top[::-1]])  # "quad"

    return step


def rotation_quad(image: Image) -> Image | None:
    """Four copies turned about the centre: the pinwheel tiling."""
    if image.shape[0] != image.shape[1]:
        return None
    top = np.hstack([image, np.rot90(image, -1)])
    bottom = np.hstack([np.rot90(image, 1), np.rot90(image, 2)])
    return np.vstack([top, bottom])


def self_kron(image: Image) -> Image | None:
    """Each non-background cell becomes a copy of the whole image (the fractal tiling)."""
    bg = background(image)
    mask = (image != bg).astype(np.uint8)
    out = np.kron(mask, image)
    out[np.kron(mask, np.ones_like(image)) == 0] = bg
    return out


def cell_kron(image: Image) -> Image | None:
    """Each cell becomes a block of its color in the image's own mask pattern."""
    bg = background(image)
    mask = (image != bg).astype(np.uint8)
    out = np.kron(image, mask)
    out[np.kron(np.ones_like(image), mask) == 0] = bg
    return out


# -- lines --------------------------------------------------------------------------------------

def connect(horizontal: bool, vertical: bool) -> Transform:
    """Background cells between two cells of the same color on a row (column) take that color."""
    def along_rows(image: Image, bg: int) -> Image:
        out = image.copy()
        for r, row in enumerate(image):
            last: dict[int, int] = {}
            for c, color in enumerate(row.tolist()):
                if color == bg:
                    continue
                if color in last and (image[r, last[color] + 1:c] == bg).all():
                    out[r, last[color] + 1:c] = color
                last[color] = c
        return out

    def step(image: Image) -> Image | None:
        bg = background(image)
        out = image
        if horizontal:
            out = along_rows(out, bg)
        if vertical:
            out = along_rows(out.T, bg).T.copy()
        return None if np.array_equal(out, image) else out

    return step


def rays(quarter_turns: int) -> Transform:
    """Every non-background cell shoots a line of its color across the background (downwards after
    turning the image), stopping at the first non-background cell."""
    def step(image: Image) -> Image | None:
        bg = background(image)
        turned = np.rot90(image, quarter_turns).copy()
        for col in range(turned.shape[1]):
            color = None
            for row in range(turned.shape[0]):
                value = turned[row, col]
                if value != bg:
                    color = value
                elif color is not None:
                    turned[row, col] = color
        out = np.rot90(turned, -quarter_turns).copy()
        return None if np.array_equal(out, image) else out

    return step


def diagonal_rays(image: Image) -> Image | None:
    """Every lone cell (no colored neighbour, diagonals included) shoots lines of its color along both
    diagonals across the background, each stopping at the first non-background cell."""
    bg = background(image)
    lone = [p for p in pieces(image, 8, False, bg) if p.size == 1]
    if not lone:
        return None
    out = image.copy()
    h, w = image.shape
    for piece in lone:
        y, x = piece.box[0], piece.box[1]
        for dy, dx in ((-1, -1), (-1, 1), (1, -1), (1, 1)):
            r, c = y + dy, x + dx
            while 0 <= r < h and 0 <= c < w and image[r, c] == bg:
                out[r, c] = image[y, x]
                r, c = r + dy, c + dx
    return None if np.array_equal(out, image) else out


def fill_boxes(image: Image) -> Image | None:
    """Background cells inside each object's bounding box become NEW."""
    bg = background(image)
    out = image.copy()
    for piece in pieces(image, 8, False, bg):
        top, left, bottom, right = piece.box
        window = out[top:bottom, left:right]
        window[window == bg] = NEW
    return None if np.array_equal(out, image) else out


def row_period(image: Image) -> int:
    """The smallest p with row i equal to row i + p for every i (the height if none is smaller)."""
    rows = [row.tobytes() for row in image]  # comparing lists of bytes is one C loop per candidate period
    h = len(rows)
    return next(p for p in range(1, h + 1) if p == h or rows[p:] == rows[:h - p])


def period_tile(image: Image) -> Image | None:
    """The smallest tile whose repetition (cut to size) is the whole image."""
    ph, pw = row_period(image), row_period(image.T)
    if (ph, pw) == image.shape:
        return None
    return image[:ph, :pw].copy()


def shift(dy: int, dx: int) -> Transform:
    """Everything moves by (dy, dx); cells moved in from outside are background."""
    def step(image: Image) -> Image | None:
        h, w = image.shape
        if abs(dy) >= h or abs(dx) >= w:
            return None
        out = np.full_like(image, background(image))
        out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            image[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
        return out

    return step


def slide_objects(quarter_turns: int) -> Transform:
    """Objects (8-connected, any colors) fall down as rigid bodies after turning the image, the lowest
    first, each stopping on the floor or on what fell before it; then the turn is undone."""
    def step(image: Image) -> Image | None:
        turned = np.rot90(image, quarter_turns).copy()
        bg = background(turned)
        found = sorted(pieces(turned, 8, False, bg), key=lambda p: -p.box[2])
        if not found:
            return None
        out = np.full_like(turned, bg)
        h = turned.shape[0]
        for piece in found:
            ys, xs = np.nonzero(piece.mask)
            fall = 0
            while (ys + fall + 1 < h).all() and (out[ys + fall + 1, xs] == bg).all():
                fall += 1
            out[ys + fall, xs] = turned[ys, xs]
        result = np.rot90(out, -quarter_turns).copy()
        return None if np.array_equal(result, image) else result

    return step
