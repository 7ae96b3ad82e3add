"""What the search returns: a program that fits every train pair, with its test predictions."""

from __future__ import annotations

from dataclasses import dataclass

from arc_ttt.domain.programs.images import Image

LOCAL_RULE = "local rule"  # the step name of a learned cell table (never called sure)
CLASSIFY = "classify"  # the step name of an answer picked among the train outputs (never called sure)


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
        """Learned as a table from the train pairs rather than composed: a weaker kind of evidence."""
        return LOCAL_RULE in self.steps or CLASSIFY in self.steps
