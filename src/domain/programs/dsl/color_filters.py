"""Steps named by one color: keep only its cells, erase them, or paint every shape in it.

Shapes of one color are often the part of a picture an answer is built from, and a color that
means the same in every pair (the marker, the wall) is how ARC tells them apart. On their own these
steps rarely explain a task; their worth is as parts: a composition laid from "the input" and "the
red cells, moved" needs a program that names the red cells. A step whose color is missing from an
image, or is its background, does not apply (the search drops it at once).
"""

from __future__ import annotations

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image, background, bounding_box
from arc_ttt.domain.programs.dsl.primitives import Transform


def keep_color(color: int) -> Transform:
    def step(image: Image) -> Image | None:
        bg = background(image)
        cells = image == color
        if color == bg or not cells.any() or cells.all():
            return None
        return np.where(cells, image, bg).astype(np.uint8)

    return step


def erase_color(color: int) -> Transform:
    def step(image: Image) -> Image | None:
        bg = background(image)
        cells = image == color
        if color == bg or not cells.any():
            return None
        return np.where(cells, bg, image).astype(np.uint8)

    return step


def paint_shapes(color: int) -> Transform:
    """Every cell that is not background, in `color`."""
    def step(image: Image) -> Image | None:
        bg = background(image)
        shapes = image != bg
        if color == bg or not shapes.any() or (image[shapes] == color).all():
            return None
        return np.where(shapes, color, bg).astype(np.uint8)

    return step



def fill_color_boxes(image: Image) -> Image | None:
    """Each color's bounding box, its background cells painted that color; the boxes of colors with fewer
    cells are painted last, so they lie on top (two corners of a color span a rectangle; a color's frame
    is filled)."""
    bg = background(image)
    counts = np.bincount(image.ravel(), minlength=11)
    out = image.copy()
    for color in sorted((c for c in range(11) if counts[c] and c != bg), key=lambda c: (-counts[c], c)):
        box = bounding_box(image == color)
        assert box is not None
        top, left, bottom, right = box
        window = out[top:bottom, left:right]
        window[image[top:bottom, left:right] == bg] = color
    return None if np.array_equal(out, image) else out
