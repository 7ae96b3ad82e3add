"""The size of a test answer, read off the cheapest one-step program that gives every train input its
output's size.

The rules of `output_shape` (same size, one fixed size, a fixed scaling) say nothing when the size
comes from the content: the bounding box of the largest shape, one panel of a split grid, the input
with its blank rows removed. One step of the catalog often makes images of exactly the train outputs'
sizes even when it does not make the outputs themselves; the size it gives the test input is then the
best guess there is, and answers of that size rank first.
"""

from __future__ import annotations

from collections.abc import Sequence

from arc_ttt.domain.programs.dsl.caches import forget_task_caches
from arc_ttt.domain.programs.dsl.catalog import catalog
from arc_ttt.domain.programs.dsl.images import Image, valid
from arc_ttt.domain.programs.dsl.primitives import Transform

Shape = tuple[int, int]


def _shape(step_apply: Transform, image: Image) -> Shape | None:
    try:
        result = step_apply(image)
    except (ValueError, IndexError):  # a primitive meeting a degenerate image gives no size
        return None
    return result.shape if result is not None and valid(result) else None


def sizes_by_program(train: Sequence[tuple[Image, Image]], tests: Sequence[Image]) -> list[Shape | None]:
    """Per test input, the size the cheapest sizing step gives it (catalog order breaks ties), or None for all
    when no step sizes every train pair. A step that sizes the train pairs but fails on a test input gives
    that input no size."""
    wanted = [output.shape for _, output in train]
    try:
        for step in sorted(catalog(), key=lambda s: s.cost) if train else ():  # catalog order among equal costs
            if all(_shape(step.apply, image) == shape for (image, _), shape in zip(train, wanted)):
                return [_shape(step.apply, image) for image in tests]
        return [None for _ in tests]
    finally:
        forget_task_caches()  # the steps' memos belong to this task
