"""The ARC grid: an immutable, hashable rectangle of colors 0..9, 1..30 cells on each side.

Grids are compared and hashed by value everywhere (voting, deduplication, scoring), so they are
tuples of tuples rather than arrays; numeric work converts at its edge with `rows`.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from arc_ttt.domain.errors import InvalidGridError

MAX_SIDE = 30
NUM_COLORS = 10

Rows = tuple[tuple[int, ...], ...]


@dataclass(frozen=True, slots=True)
class Grid:
    rows: Rows
    # Computed once: a tuple of tuples is hashed cell by cell on every call, and grids are hashed again and
    # again (deduplicating guesses, voting, counting train outputs); a task of thousands of 30x30 pairs
    # spent most of its time there.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problem = grid_problem(self.rows)
        if problem:
            raise InvalidGridError(problem)
        object.__setattr__(self, "_hash", hash(self.rows))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def of(cls, rows: Iterable[Iterable[int]]) -> Grid:
        """Build from any nested iterable of integers (lists, tuples, numpy rows and integer scalars). Only true
        integers: 1.7, True and '9' are refused, as they are in a task file, rather than turned into colors."""
        try:
            return cls(tuple(tuple(_color(c) for c in row) for row in rows))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InvalidGridError):
                raise
            raise InvalidGridError(f"not a grid of integers ({exc})") from None

    @classmethod
    def filled(cls, height: int, width: int, color: int = 0) -> Grid:
        return cls(tuple((color,) * width for _ in range(height)))

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.rows[0])

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.rows[0]))

    def colors(self) -> frozenset[int]:
        return frozenset(c for row in self.rows for c in row)

    def to_list(self) -> list[list[int]]:
        return [list(row) for row in self.rows]

    def __str__(self) -> str:
        return "\n".join("".join(str(c) for c in row) for row in self.rows)


def _color(cell: object) -> int:
    if isinstance(cell, bool):
        raise TypeError(f"{cell!r} is a boolean, not a color")
    return operator.index(cell)  # type: ignore[call-overload]  # int and numpy integers; no float, no str


def grid_problem(rows: object) -> str | None:
    """Why `rows` is not a valid ARC grid, or None when it is. Used for clear error messages."""
    if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
        return f"expected a list of rows, got {type(rows).__name__}"
    if not 1 <= len(rows) <= MAX_SIDE:
        return f"height {len(rows)} is outside 1..{MAX_SIDE}"
    width: int | None = None
    for r, row in enumerate(rows):
        if not isinstance(row, Sequence) or isinstance(row, str | bytes):
            return f"row {r} is {type(row).__name__}, not a list of colors"
        if width is None:
            width = len(row)
            if not 1 <= width <= MAX_SIDE:
                return f"width {width} is outside 1..{MAX_SIDE}"
        elif len(row) != width:
            return f"ragged rows: row {r} has {len(row)} cells, row 0 has {width}"
        for c, cell in enumerate(row):
            if isinstance(cell, bool) or not isinstance(cell, int):
                return f"cell ({r},{c}) is {cell!r}, not an integer color"
            if not 0 <= cell < NUM_COLORS:
                return f"cell ({r},{c}) has color {cell}, outside 0..9"
    return None


def is_valid_grid(rows: object) -> bool:
    return grid_problem(rows) is None
