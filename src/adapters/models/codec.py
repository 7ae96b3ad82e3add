"""Grids as text, both ways, for causal language models.

Two formats share one shape: an episode is demonstrations (input, output) then a query input whose
output is the model's answer. `compact` spends one token per cell (digits), one per row end and one
per marker, with the project's own tokenizer. `text` is a plain, human-readable layout ("input:" /
"output:" headers, one row of digits per line) for pretrained language models and their own
tokenizers. Reading an answer never raises: anything that is not a well-formed grid is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from arc_ttt.domain.arc.grid import Grid, grid_problem
from arc_ttt.domain.arc.task import Example
from arc_ttt.domain.ttt.examples import TTTExample

LossOn = Literal["query", "outputs"]


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of prompt text; `target` segments are the ones the loss is computed on."""

    text: str
    target: bool = False


@dataclass(frozen=True, slots=True)
class GridFormat:
    name: str
    input_marker: str
    output_marker: str
    row_end: str = "\n"
    example_end: str = ""

    def grid_text(self, grid: Grid) -> str:
        return "".join("".join(str(c) for c in row) + self.row_end for row in grid.rows)

    def segments(self, example: TTTExample, *, with_answer: bool, loss_on: LossOn = "query") -> list[Segment]:
        """The episode as text pieces. With `loss_on="outputs"` every demonstration output after the
        first is a target too (the first has nothing before it to learn from)."""
        parts: list[Segment] = []
        for index, demo in enumerate(example.demonstrations):
            parts.append(Segment(self.input_marker + self.grid_text(demo.input) + self.output_marker))
            assert demo.output is not None, "demonstrations have outputs"
            parts.append(Segment(self.grid_text(demo.output), target=loss_on == "outputs" and index > 0))
            if self.example_end:
                parts.append(Segment(self.example_end))
        parts.append(Segment(self.input_marker + self.grid_text(example.query.input) + self.output_marker))
        if with_answer:
            if example.query.output is None:
                raise ValueError("a training example needs the query output")
            parts.append(Segment(self.grid_text(example.query.output), target=True))
        return parts

    def parse_answer(self, text: str) -> Grid | None:
        """The grid at the start of a generated answer, or None if there is none there."""
        body = text.split(self.input_marker, 1)[0] if self.input_marker.strip() else text
        lines = [line.strip() for line in body.split(self.row_end)]
        if self.example_end.strip() == "" and self.example_end:  # a blank line ends the example
            lines = lines[: lines.index("")] if "" in lines else lines
        while lines and not lines[-1]:
            lines.pop()
        if not lines or any(not line or not line.isdigit() or not line.isascii() for line in lines):
            return None
        rows = [[int(ch) for ch in line] for line in lines]
        return Grid.of(rows) if grid_problem(rows) is None else None


COMPACT = GridFormat(name="compact", input_marker="I", output_marker="O")
TEXT = GridFormat(name="text", input_marker="input:\n", output_marker="output:\n", example_end="\n")
FORMATS = {f.name: f for f in (COMPACT, TEXT)}


def answer_budget(demonstrations: tuple[Example, ...], fmt: GridFormat, slack: float = 1.5) -> int:
    """Characters an answer plausibly needs: the largest output seen, with slack, at most a 30x30 grid."""
    largest = max((len(fmt.grid_text(d.output)) for d in demonstrations if d.output is not None), default=0)
    ceiling = len(fmt.grid_text(Grid.filled(30, 30)))
    return min(ceiling, max(16, int(largest * slack) + 2))
