"""The output shape a task's demonstrations imply for a new input, when they imply one.

Constrained decoding uses it to stop an answer at exactly the right number of rows and columns
instead of letting the model decide (and waste tokens on, or break) the grid's frame. The rules are
the common ARC regularities, each checked against every demonstration: same shape as the input, one
fixed shape, or a fixed integer scaling of the input. Anything else leaves the shape to the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from arc_ttt.domain.arc.grid import MAX_SIDE, Grid
from arc_ttt.domain.arc.task import Example


@dataclass(frozen=True, slots=True)
class ShapeRule:
    """What the demonstrations say about output shapes, read once: a task's many test inputs (or a task of
    thousands of pairs) then cost nothing more per query than the arithmetic."""

    same: bool = False
    fixed: tuple[int, int] | None = None
    ratio: tuple[float, float] | None = None

    def apply(self, query: Grid) -> tuple[int, int] | None:
        if self.same:
            return query.shape
        if self.fixed is not None:
            return self.fixed
        if self.ratio is not None:
            h, w = query.height * self.ratio[0], query.width * self.ratio[1]
            if h.is_integer() and w.is_integer() and 1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE:
                return int(h), int(w)
        return None


def output_shape_rule(demonstrations: tuple[Example, ...]) -> ShapeRule:
    pairs = [(d.input.shape, d.output.shape) for d in demonstrations if d.output is not None]
    if not pairs:
        return ShapeRule()
    if all(i == o for i, o in pairs):
        return ShapeRule(same=True)
    outputs = {o for _, o in pairs}
    if len(outputs) == 1:
        return ShapeRule(fixed=next(iter(outputs)))
    ratios = {(o[0] / i[0], o[1] / i[1]) for i, o in pairs}
    return ShapeRule(ratio=next(iter(ratios))) if len(ratios) == 1 else ShapeRule()


def predicted_output_shape(demonstrations: tuple[Example, ...], query: Grid) -> tuple[int, int] | None:
    return output_shape_rule(demonstrations).apply(query)
