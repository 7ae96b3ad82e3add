"""The grid constraint never lets a non-grid token through, keeps rows rectangular, and ends at the
implied shape, whatever the logits say (random logits stand in for any model)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from arc_ttt.adapters.models.codec import COMPACT  # noqa: E402
from arc_ttt.adapters.models.decoding import GridConstraint, GridGrammar, grid_token_ids, tokens_needed  # noqa: E402
from arc_ttt.adapters.models.draft_decoding import CellDrafter, greedy_choice  # noqa: E402
from arc_ttt.adapters.models.tokenizer import build_compact_tokenizer  # noqa: E402


def decode(shapes: list[tuple[int, int] | None], seed: int, steps: int,
           limits: list[int] | None = None) -> list[list[int]]:
    tok = build_compact_tokenizer()
    ids = grid_token_ids(tok, COMPACT)
    assert ids is not None
    vocab = len(tok)
    prompt = torch.full((len(shapes), 3), tok.bos_token_id)
    constraint = GridConstraint(prompt.shape[1], ids, shapes, vocab, "cpu", limits)
    gen = torch.Generator().manual_seed(seed)
    seqs = prompt
    for _ in range(steps):
        scores = torch.randn(len(shapes), vocab, generator=gen) * 5
        scores[:, ids[1]] += 2.0  # a model fond of ending rows early
        scores[:, ids[2]] += 1.0
        nxt = constraint(seqs, scores).argmax(-1)
        seqs = torch.cat([seqs, nxt[:, None]], dim=1)
    return [row[3:] for row in seqs.tolist()]


def rows_of(tokens: list[int], digits: list[int], row_end: int, eos: int) -> list[list[int]]:
    assert eos in tokens, "the answer ends within the budget"
    body = tokens[: tokens.index(eos)]
    assert set(body) <= {*digits, row_end}
    assert body and body[-1] == row_end
    rows, current = [], []
    for token in body:
        if token == row_end:
            rows.append(current)
            current = []
        else:
            current.append(token)
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_only_grid_tokens_and_rectangular_rows(seed: int) -> None:
    tok = build_compact_tokenizer()
    digits, row_end, eos = grid_token_ids(tok, COMPACT)  # type: ignore[misc]
    shapes: list[tuple[int, int] | None] = [(3, 4), None, (1, 1), (30, 30), None]
    for tokens, shape in zip(decode(shapes, seed, 30 * 31 + 1), shapes):
        rows = rows_of(tokens, digits, row_end, eos)
        assert len({len(r) for r in rows}) == 1 and len(rows[0]) >= 1
        assert len(rows) <= 30 and len(rows[0]) <= 30
        if shape is not None:
            assert (len(rows), len(rows[0])) == shape
            assert tokens.index(eos) + 1 == tokens_needed(shape, 10_000)
        assert all(t == eos for t in tokens[tokens.index(eos):]), "nothing but the end after the end"


@pytest.mark.parametrize("seed", range(4))
def test_an_open_shape_still_ends_within_its_token_limit(seed: int) -> None:
    tok = build_compact_tokenizer()
    digits, row_end, eos = grid_token_ids(tok, COMPACT)  # type: ignore[misc]
    limits = [3, 7, 16, 40]
    for tokens, limit in zip(decode([None] * 4, seed, 50, limits), limits):
        rows = rows_of(tokens, digits, row_end, eos)
        assert tokens.index(eos) + 1 <= limit
        assert len({len(r) for r in rows}) == 1


def test_tokenizers_that_merge_digits_are_not_constrained() -> None:
    class Merging:
        eos_token_id = 2

        def __call__(self, text: str, add_special_tokens: bool = False) -> object:
            class Out:
                input_ids = [7] if len(text) > 1 else [ord(text)]
            return Out()

    assert grid_token_ids(Merging(), COMPACT) is None


@pytest.mark.parametrize("seed", range(8))
def test_the_scalar_grammar_allows_what_the_constraint_allows_and_picks_its_argmax(seed: int) -> None:
    """GridGrammar (draft-and-verify decoding) and GridConstraint (batched generate) are one rule: along
    random walks through allowed tokens, the same tokens are allowed at every position and the constrained
    argmax is the same token, ties included (integer logits tie often)."""
    tok = build_compact_tokenizer()
    ids = grid_token_ids(tok, COMPACT)
    assert ids is not None
    digits, row_end, eos = ids
    vocab = len(tok)
    shapes: list[tuple[int, int] | None] = [(3, 4), None, (1, 1), (30, 2), None, (2, 30)]
    limits = [tokens_needed(s, 40) for s in shapes]
    constraint = GridConstraint(2, ids, shapes, vocab, "cpu", limits)
    grammars = [GridGrammar.of(s, limit) for s, limit in zip(shapes, limits, strict=True)]
    kind = CellDrafter([[0]], ids).kind
    candidates = sorted([*digits, row_end, eos])
    gen = torch.Generator().manual_seed(seed)
    seqs = torch.full((len(shapes), 2), tok.bos_token_id)
    for _ in range(max(limits) + 2):
        scores = torch.randint(-3, 3, (len(shapes), vocab), generator=gen).float()
        masked = constraint(seqs, scores)
        for row, grammar in enumerate(grammars):
            digit, row_ok, eos_ok = grammar.allowed()
            open_ = masked[row] > float("-inf")
            assert bool(open_[digits].all()) == digit and bool(open_[digits].any()) == digit
            assert bool(open_[row_end]) == row_ok and bool(open_[eos]) == eos_ok
            values, kinds = scores[row, candidates].tolist(), [kind(t) for t in candidates]
            assert greedy_choice(grammar, values, candidates, kinds) == int(masked[row].argmax())
        # walk on through a random allowed token (argmax alone would visit few states)
        pick = torch.multinomial((masked > float("-inf")).float(), 1, generator=gen)[:, 0]
        for grammar, token in zip(grammars, pick.tolist(), strict=True):
            grammar.observe(kind(token))
        seqs = torch.cat([seqs, pick[:, None]], dim=1)
