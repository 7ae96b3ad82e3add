"""Equal-length groups hold every item once, with no padding, and logits are kept where labels follow."""

from __future__ import annotations

from arc_ttt.adapters.models.encoding import IGNORE, Encoded, length_groups, target_positions


def item(n: int, targets: int = 2) -> Encoded:
    return Encoded(list(range(n)), [IGNORE] * (n - targets) + list(range(targets)))


def test_groups_are_sorted_equal_length_runs_of_every_item() -> None:
    items = [item(5), item(3), item(5), item(4), item(3)]
    groups = length_groups(items)
    assert [[len(x.ids) for x in g] for g in groups] == [[3, 3], [4], [5, 5]]
    assert sorted(id(x) for g in groups for x in g) == sorted(id(x) for x in items)


def test_target_positions_are_those_predicting_a_label() -> None:
    a = Encoded([1, 2, 3, 4, 5], [IGNORE, IGNORE, IGNORE, 4, 5])
    b = Encoded([1, 2, 3, 4, 5], [IGNORE, IGNORE, 3, IGNORE, 5])
    assert target_positions([a]) == [2, 3]
    assert target_positions([a, b]) == [1, 2, 3]
