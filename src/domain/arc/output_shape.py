"""The output shape a task's demonstrations imply for a new input, when they imply one.

Constrained decoding uses it to stop an answer at exactly the right number of rows and columns
instead of letting the model decide (and waste tokens on, or break) the grid's frame. The rules are
the common ARC regularities, each checked against every demonstration: same shape as the input, one
fixed shape, or a fixed integer scaling of the input. Anything else leaves the shape to the model.
"""

from __future__ import annotations

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example


def predicted_output_shape(demonstrations: tuple[Example, ...], query: Grid) -> tuple[int, int] | None:
    pairs = [(d.input.shape, d.output.shape) for d in demonstrations if d.output is not None]
    if not pairs:
        return None
    if all(i == o for i, o in pairs):
        return query.shape
    outputs = {o for _, o in pairs}
    if len(outputs) == 1:
        return next(iter(outputs))
    ratios = {(o[0] / i[0], o[1] / i[1]) for i, o in pairs}
    if len(ratios) == 1:
        rh, rw = next(iter(ratios))
        h, w = query.height * rh, query.width * rw
        if h.is_integer() and w.is_integer() and 1 <= h <= 30 and 1 <= w <= 30:
            return int(h), int(w)
    return None
