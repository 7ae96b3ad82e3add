"""The eight symmetries of the square (rotations, flips, transposes) on grids, with inverses.

They are the backbone of ARC augmentations and of the simplest whole-grid solutions.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from arc_ttt.domain.arc.grid import Grid, Rows


def _rot90(rows: Rows) -> Rows:  # clockwise
    return tuple(zip(*rows[::-1]))


def _transpose(rows: Rows) -> Rows:
    return tuple(zip(*rows))


def _flip_h(rows: Rows) -> Rows:  # left <-> right
    return tuple(row[::-1] for row in rows)


def _flip_v(rows: Rows) -> Rows:  # top <-> bottom
    return rows[::-1]


class Dihedral(str, Enum):
    IDENTITY = "identity"
    ROT90 = "rot90"
    ROT180 = "rot180"
    ROT270 = "rot270"
    FLIP_H = "flip_h"
    FLIP_V = "flip_v"
    TRANSPOSE = "transpose"
    ANTI_TRANSPOSE = "anti_transpose"

    def apply(self, grid: Grid) -> Grid:
        return Grid(_OPS[self](grid.rows))

    def inverse(self) -> Dihedral:
        return _INVERSE.get(self, self)

    @property
    def swaps_axes(self) -> bool:
        return self in (Dihedral.ROT90, Dihedral.ROT270, Dihedral.TRANSPOSE, Dihedral.ANTI_TRANSPOSE)


_OPS: dict[Dihedral, Callable[[Rows], Rows]] = {
    Dihedral.IDENTITY: lambda r: r,
    Dihedral.ROT90: _rot90,
    Dihedral.ROT180: lambda r: _flip_v(_flip_h(r)),
    Dihedral.ROT270: lambda r: _rot90(_rot90(_rot90(r))),
    Dihedral.FLIP_H: _flip_h,
    Dihedral.FLIP_V: _flip_v,
    Dihedral.TRANSPOSE: _transpose,
    Dihedral.ANTI_TRANSPOSE: lambda r: _rot90(_rot90(_transpose(r))),
}
_INVERSE = {Dihedral.ROT90: Dihedral.ROT270, Dihedral.ROT270: Dihedral.ROT90}
