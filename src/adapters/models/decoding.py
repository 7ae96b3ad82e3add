"""Constrained greedy decoding of grids: only cell colors, the row end and the end token can be
emitted, every row has the width of the first, and an answer whose shape the demonstrations imply
stops at exactly that many rows and columns.

An answer also always fits its token limit: with the shape known that is exactly the shape's size;
with the shape open the limit caps the first row's width and the number of rows, so that the end
token always has room and every answer not cut short by time is a whole grid.

`GridConstraint` is a transformers `LogitsProcessor`, so the batched fast path and a plain
`model.generate` loop apply the very same rule (and give the same greedy answers). It needs a
tokenizer that spells a grid one token per cell and one per row end (the compact tokenizer does;
byte-pair vocabularies that merge digits do not, and decode unconstrained).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from arc_ttt.adapters.models.codec import GridFormat

MAX_SIDE = 30
DIGIT, ROW, END, OTHER = range(4)  # token kinds `GridGrammar` tells apart


def grid_token_ids(tokenizer: Any, fmt: GridFormat) -> tuple[list[int], int, int] | None:
    """(ids of the colors 0-9, id of the row end, id of the end token), or None where the tokenizer
    does not spell a grid one token per cell and row end."""
    if tokenizer.eos_token_id is None:
        return None
    digits = []
    for color in range(10):
        ids = tokenizer(str(color), add_special_tokens=False).input_ids
        if len(ids) != 1:
            return None
        digits.append(ids[0])
    row = tokenizer(fmt.row_end, add_special_tokens=False).input_ids
    if len(row) != 1:
        return None
    sample = "0123456789" + fmt.row_end + "9876543210" + fmt.row_end
    if list(tokenizer(sample, add_special_tokens=False).input_ids) != [*digits, row[0], *reversed(digits), row[0]]:
        return None
    return digits, row[0], tokenizer.eos_token_id


class GridConstraint:
    """Masks every token the grid grammar does not allow at each row's next position.

    State per row of the batch (all tensors, updated from the last emitted token): column in the
    current row, rows finished, the row width (known from the shape, or set by the first row), and
    whether the answer has ended."""

    def __init__(self, prompt_length: int, ids: tuple[list[int], int, int],
                 shapes: Sequence[tuple[int, int] | None], vocab_size: int, device: Any,
                 limits: Sequence[int] | None = None) -> None:
        import torch

        digits, row_end, eos = ids
        self.prompt_length = prompt_length
        self.row_end, self.eos = row_end, eos
        batch = len(shapes)
        self.height = torch.tensor([s[0] if s else -1 for s in shapes], device=device)
        self.width = torch.tensor([s[1] if s else -1 for s in shapes], device=device)
        self.column = torch.zeros(batch, dtype=torch.long, device=device)
        self.rows = torch.zeros(batch, dtype=torch.long, device=device)
        self.ended = torch.zeros(batch, dtype=torch.bool, device=device)
        # new tokens each answer may take (at least a 1x1 grid: a cell, the row end, the end)
        caps = limits if limits is not None else [tokens_needed(s, MAX_SIDE * (MAX_SIDE + 1) + 1) for s in shapes]
        self.limit = torch.tensor([max(3, c) for c in caps], device=device)
        self.digit_mask = torch.zeros(vocab_size, dtype=torch.bool, device=device)
        self.digit_mask[digits] = True
        self.digit_ids = torch.tensor(digits, device=device)

    def _observe(self, last: Any) -> None:
        import torch

        is_digit = torch.isin(last, self.digit_ids) & ~self.ended
        is_row = (last == self.row_end) & ~self.ended
        self.width = torch.where(is_row & (self.width < 0), self.column, self.width)
        self.column = torch.where(is_digit, self.column + 1, torch.where(is_row, 0, self.column))
        self.rows = self.rows + is_row.long()
        self.ended = self.ended | (last == self.eos)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if input_ids.shape[1] > self.prompt_length:
            self._observe(input_ids[:, -1])
        room = self.limit - (input_ids.shape[1] - self.prompt_length)  # tokens left, this one included
        side = torch.where(self.width >= 0, self.width, torch.full_like(self.width, MAX_SIDE))
        row_open = self.column > 0
        row_full = self.column >= side
        last_row = torch.where(self.height >= 0, self.rows >= self.height, self.rows >= MAX_SIDE)
        # a digit: inside a row that still has room, or at a row start when more rows may follow
        digit_ok = ~row_full & ~(~row_open & last_row) & ~self.ended
        # ...and only while the row can still end and the answer still close within the limit
        fits = torch.where(self.width >= 0, row_open | (room >= self.width + 2), room >= 3)
        digit_ok = digit_ok & fits
        # the row end: once the row reaches the known width (or, while the width is open, after any cell)
        row_ok = torch.where(self.width >= 0, row_full, row_open) & row_open & ~self.ended
        # the end: at a row start, after the known height (or, with the height open, after one row)
        eos_ok = ~row_open & torch.where(self.height >= 0, last_row, self.rows >= 1)
        eos_ok = eos_ok | (~row_open & (self.rows >= 1) & ~fits)
        allowed = (digit_ok[:, None] & self.digit_mask[None, :])
        allowed[:, self.row_end] |= row_ok
        allowed[:, self.eos] |= eos_ok | self.ended
        return scores.masked_fill(~allowed, float("-inf"))


def tokens_needed(shape: tuple[int, int] | None, budget: int) -> int:
    """New tokens an answer can take: exactly rows x (width + 1) + the end for a known shape."""
    if shape is None:
        return budget
    return shape[0] * (shape[1] + 1) + 1


@dataclass(slots=True)
class GridGrammar:
    """`GridConstraint`'s rule for one answer in plain Python, for decoders that step through several
    candidate positions of one view (draft-and-verify): copying four integers is cheaper there than a
    dozen tensor operations per position. Same state and the same allowed tokens, position by position
    (tests/unit/test_grid_constraint.py walks both side by side)."""

    height: int  # -1: open
    width: int  # -1: set by the first row
    limit: int  # new tokens the answer may take
    column: int = 0
    rows: int = 0
    ended: bool = False
    emitted: int = 0

    @classmethod
    def of(cls, shape: tuple[int, int] | None, limit: int) -> GridGrammar:
        return cls(shape[0] if shape else -1, shape[1] if shape else -1, max(3, limit))

    def copy(self) -> GridGrammar:
        return GridGrammar(self.height, self.width, self.limit, self.column, self.rows, self.ended, self.emitted)

    def allowed(self) -> tuple[bool, bool, bool]:
        """Whether a digit, the row end and the end token may come next."""
        room = self.limit - self.emitted
        side = self.width if self.width >= 0 else MAX_SIDE
        row_open = self.column > 0
        last_row = self.rows >= (self.height if self.height >= 0 else MAX_SIDE)
        fits = (row_open or room >= self.width + 2) if self.width >= 0 else room >= 3
        digit = self.column < side and (row_open or not last_row) and not self.ended and fits
        row = (self.column >= side if self.width >= 0 else row_open) and row_open and not self.ended
        eos = not row_open and (last_row if self.height >= 0 else self.rows >= 1)
        eos = eos or (not row_open and self.rows >= 1 and not fits) or self.ended
        return digit, row, eos

    def observe(self, kind: int) -> None:
        """Advance past an emitted token of `kind`: DIGIT, ROW or END (anything else changes nothing but
        the count, as in `GridConstraint`)."""
        self.emitted += 1
        if self.ended:
            return
        if kind == DIGIT:
            self.column += 1
        elif kind == ROW:
            if self.width < 0:
                self.width = self.column
            self.column = 0
            self.rows += 1
        elif kind == END:
            self.ended = True
