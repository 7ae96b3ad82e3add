"""What the search returns: a program that fits every train pair, with its test predictions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from arc_ttt.domain.programs.dsl.images import Image

LOCAL_RULE = "local rule"  # the step name of a learned cell table (never called sure)
CLASSIFY = "classify"  # the step name of an answer picked among the train outputs (never called sure)
COUNT = "count"  # the step name of a number read off the input and drawn (never called sure)
PICK_COLOR = "pick color"  # the step name of a one-color answer whose color is read off the input (never sure)
PICK_PART = "pick part"  # the step name of an object or panel chosen by a learned rule (never sure)
SUMMARIZE = "summarize panels"  # the step name of one cell per panel, colored by a learned fact (never sure)
STAMP = "stamp"  # the step name of patterns each cell of a color paints around itself (never sure)
DRAW_LINES = "draw lines"  # the step name of lines whose colors, directions and ends are learned (never sure)
ATTRACT = "attract"  # the step name of shapes moving onto an anchor that is learned (never sure)
COMPOSE = "compose"  # the step name of an answer laid from partial programs (never sure)
PARTIAL = "partial"  # the last step name of a program that misses a train pair (never sure)


@dataclass(frozen=True, slots=True)
class Fit:
    steps: tuple[str, ...]
    finish: str
    cost: float
    predictions: tuple[Image, ...]

    def describe(self) -> str:
        body = " -> ".join(self.steps) if self.steps else "input"
        return body if self.finish == "as is" else f"{body} -> {self.finish}"

    @property
    def learned_cells(self) -> bool:
        """Learned from the train pairs as a table, a class or a count rather than composed: weaker evidence."""
        return any(step in self.steps for step in (LOCAL_RULE, CLASSIFY, COUNT, PICK_COLOR, PICK_PART, DRAW_LINES,
                                                   SUMMARIZE, STAMP, ATTRACT, COMPOSE,
                                                   PARTIAL))


def already_given(predictions: Sequence[Image], fits: Iterable[Fit]) -> bool:
    """Whether one of `fits` predicts exactly these test images (a second program saying the same adds nothing)."""
    return any(all(np.array_equal(a, b) for a, b in zip(predictions, fit.predictions)) for fit in fits)
