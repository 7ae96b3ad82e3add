import pytest
from hypothesis import given
from hypothesis import strategies as st

from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.grid import Grid, grid_problem
from arc_ttt.domain.errors import InvalidGridError
from tests.builders import grid

grids = st.integers(1, 30).flatmap(
    lambda h: st.integers(1, 30).flatmap(
        lambda w: st.lists(st.lists(st.integers(0, 9), min_size=w, max_size=w), min_size=h, max_size=h)
    )
).map(Grid.of)


def test_grid_is_immutable_hashable_and_compared_by_value() -> None:
    a, b = grid("01", "23"), Grid.of([[0, 1], [2, 3]])
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.shape == (2, 2) and a.colors() == {0, 1, 2, 3}
    with pytest.raises(AttributeError):
        a.rows = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ([], "height 0"),
        ([[]], "width 0"),
        ([[0] * 31], "width 31"),
        ([[0]] * 31, "height 31"),
        ([[1, 2], [3]], "ragged"),
        ([[1, 10]], "color 10"),
        ([[1, -1]], "color -1"),
        ([[1.0]], "not an integer"),
        ([[True]], "not an integer"),
        ("12", "expected a list"),
        ([None], "row 0"),
    ],
)
def test_invalid_grids_are_named_precisely(rows: object, words: str) -> None:
    problem = grid_problem(rows)
    assert problem is not None and words in problem
    with pytest.raises(InvalidGridError, match=words.split()[0]):
        Grid(rows)  # type: ignore[arg-type]


def test_largest_and_smallest_grids_are_valid() -> None:
    assert Grid.filled(30, 30, 9).shape == (30, 30)
    assert Grid.filled(1, 1).shape == (1, 1)


@given(grids, st.sampled_from(list(Dihedral)))
def test_every_symmetry_is_undone_by_its_inverse(g: Grid, sym: Dihedral) -> None:
    assert sym.inverse().apply(sym.apply(g)) == g


@given(grids)
def test_four_quarter_turns_are_the_identity(g: Grid) -> None:
    turned = g
    for _ in range(4):
        turned = Dihedral.ROT90.apply(turned)
    assert turned == g


def test_symmetries_move_cells_where_expected() -> None:
    g = grid("12", "34")
    assert Dihedral.ROT90.apply(g) == grid("31", "42")
    assert Dihedral.FLIP_H.apply(g) == grid("21", "43")
    assert Dihedral.FLIP_V.apply(g) == grid("34", "12")
    assert Dihedral.TRANSPOSE.apply(g) == grid("13", "24")
    assert Dihedral.ANTI_TRANSPOSE.apply(g) == grid("42", "31")
    assert len({s.apply(g) for s in Dihedral}) == 8
