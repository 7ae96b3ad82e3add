from __future__ import annotations

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.ttt.voting import Vote, hierarchical_vote

A, B, C = Grid.of([[1]]), Grid.of([[2]]), Grid.of([[3]])


def test_transforms_vote_once_each_after_voting_inside() -> None:
    # B has more raw votes (all inside one transform) but A wins in more transforms.
    votes = [Vote("rot90", B), Vote("rot90", B), Vote("rot90", B), Vote("identity", A), Vote("flip_h", A),
             Vote("flip_h", C)]
    top = hierarchical_vote(votes)
    assert [t.grid for t in top] == [A, B]
    assert (top[0].group_votes, top[0].total_votes) == (2, 2)
    assert (top[1].group_votes, top[1].total_votes) == (1, 3)


def test_raw_votes_break_ties_between_transform_winners() -> None:
    votes = [Vote("identity", A), Vote("rot90", B), Vote("rot90", B), Vote("rot90", B), Vote("rot90", A),
             Vote("flip_v", C)]
    top = hierarchical_vote(votes, top=3)
    assert [t.grid for t in top] == [B, A, C]


def test_missing_predictions_abstain_and_empty_votes_give_nothing() -> None:
    assert hierarchical_vote([Vote("identity", None)]) == []
    top = hierarchical_vote([Vote("identity", None), Vote("rot90", C)])
    assert [t.grid for t in top] == [C]
