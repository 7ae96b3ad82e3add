"""For any task, however random, the search answers with valid grids (at most two distinct ones per test
input) or with nothing: never a placeholder color, an empty grid or a crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.programs.program_search import ProgramSearch
from tests.builders import program_search_options


@st.composite
def grids(draw: st.DrawFn, colors: int) -> Grid:
    height, width = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    cells = st.integers(0, colors - 1)
    return Grid(tuple(tuple(draw(cells) for _ in range(width)) for _ in range(height)))


@st.composite
def tasks(draw: st.DrawFn) -> Task:
    colors = draw(st.integers(1, 10))
    train = tuple(Example(draw(grids(colors)), draw(grids(colors))) for _ in range(draw(st.integers(1, 4))))
    tests = tuple(Example(draw(grids(colors))) for _ in range(draw(st.integers(1, 2))))
    return Task("random", train, tests)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tasks())
def test_the_search_returns_valid_grids_or_nothing(task: Task) -> None:
    solution = ProgramSearch(program_search_options(max_depth=2)).solve(task, time_limit=2.0)
    assert len(solution.candidates) == len(task.test)
    for candidates in solution.candidates:
        assert len(candidates) <= 2
        assert len({c.grid for c in candidates}) == len(candidates)
        for candidate in candidates:
            rows = candidate.grid.rows
            assert 1 <= len(rows) <= 30 and all(1 <= len(row) <= 30 for row in rows)
            assert len({len(row) for row in rows}) == 1
            assert all(0 <= cell <= 9 for row in rows for cell in row)
