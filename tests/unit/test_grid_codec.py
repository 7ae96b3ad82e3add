"""Grid <-> text <-> tokens: exact round trips, and malformed model output read as "no grid"."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arc_ttt.adapters.models.codec import COMPACT, TEXT, GridFormat, answer_budget
from arc_ttt.adapters.models.tokenizer import build_compact_tokenizer
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example
from arc_ttt.domain.ttt.examples import TTTExample


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    h, w = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    row = st.lists(st.integers(0, 9), min_size=w, max_size=w)
    return Grid.of(draw(st.lists(row, min_size=h, max_size=h)))


@pytest.fixture(scope="module")
def tokenizer():
    return build_compact_tokenizer()


@pytest.mark.parametrize("fmt", [COMPACT, TEXT], ids=lambda f: f.name)
@settings(max_examples=60, deadline=None)
@given(grid=grids())
def test_answer_text_round_trip(fmt: GridFormat, grid: Grid) -> None:
    assert fmt.parse_answer(fmt.grid_text(grid)) == grid
    assert fmt.parse_answer(fmt.grid_text(grid) + fmt.input_marker + "123\n") == grid  # model rambles on


@settings(max_examples=40, deadline=None)
@given(grid=grids())
def test_compact_tokens_are_one_per_cell_and_decode_exactly(grid: Grid) -> None:
    tokenizer = build_compact_tokenizer()
    text = COMPACT.grid_text(grid)
    ids = tokenizer(text, add_special_tokens=False).input_ids
    assert len(ids) == grid.height * (grid.width + 1)
    assert tokenizer.decode(ids) == text
    assert COMPACT.parse_answer(tokenizer.decode([*ids, tokenizer.eos_token_id], skip_special_tokens=True)) == grid


@pytest.mark.parametrize("fmt", [COMPACT, TEXT], ids=lambda f: f.name)
@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("0123456789\n IOinput:x")), max_size=80))
def test_malformed_output_is_no_grid_never_an_exception(fmt: GridFormat, text: str) -> None:
    answer = fmt.parse_answer(text)
    assert answer is None or isinstance(answer, Grid)


@pytest.mark.parametrize("text", ["", "\n", "12\n3\n", "1a\n", "12\n\n34\n", "0" * 31 + "\n", "١٢\n"])
def test_specific_malformed_answers(text: str) -> None:
    assert COMPACT.parse_answer(text) is None


def test_episode_segments_mark_targets(tokenizer) -> None:
    g = Grid.of([[1, 2]])
    example = TTTExample((Example(g, g), Example(g, g)), Example(g, g))
    query_only = COMPACT.segments(example, with_answer=True)
    assert [s.target for s in query_only] == [False, False, False, False, False, True]
    outputs = COMPACT.segments(example, with_answer=True, loss_on="outputs")
    assert [s.target for s in outputs] == [False, False, False, True, False, True]
    assert "".join(s.text for s in query_only) == "I12\nO12\nI12\nO12\nI12\nO12\n"
    assert answer_budget(example.demonstrations, COMPACT) >= len("12\n")


def test_tokenizer_saves_and_loads(tmp_path, tokenizer) -> None:
    from transformers import AutoTokenizer

    tokenizer.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    text = "I01\n23\nO45\n67\n"
    assert again(text, add_special_tokens=False).input_ids == tokenizer(text, add_special_tokens=False).input_ids
    assert (again.bos_token_id, again.eos_token_id, again.pad_token_id) == (1, 2, 0)
