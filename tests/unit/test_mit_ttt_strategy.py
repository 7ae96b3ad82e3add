from __future__ import annotations

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy, leave_one_out
from tests.builders import data_options


def pair(seed: int) -> Example:
    g = Grid.of([[seed % 10, (seed + 1) % 10], [0, (seed + 2) % 10]])
    return Example(g, Grid.of([[c for c in reversed(row)] for row in g.rows]))


def task(n: int) -> Task:
    return Task(f"t{n}", tuple(pair(i + 1) for i in range(n)), (Example(pair(9).input),))


def test_leave_one_out_makes_each_pair_a_query_of_the_others() -> None:
    pairs = task(4).train
    loo = leave_one_out(pairs)
    assert [x.query for x in loo] == list(pairs)
    assert all(len(x.demonstrations) == 3 and x.query not in x.demonstrations for x in loo)
    assert leave_one_out(pairs[:1]) == []


def test_held_out_pair_never_appears_in_training() -> None:
    options = data_options(augmentations_per_task=4, max_examples=100, validation_views=3, colors=False,
                           geometric=False, shuffle=False)
    data = MitTTTStrategy(options).dataset(task(4))
    held = task(4).train[-1]
    assert len(data.validation) == 1 and data.validation[0].query == held  # identity views collapse to one
    for example in data.train:
        grids = {example.query.input, *(d.input for d in example.demonstrations)}
        assert held.input not in grids


def test_budget_caps_examples_and_spreads_over_queries() -> None:
    data = MitTTTStrategy(data_options(augmentations_per_task=8, max_examples=6)).dataset(task(5))
    assert len(data.train) == 6 and len(data.validation) == 4
    assert len({x.query.input for x in data.train[:4]}) == 4  # one view of every base task first


def test_two_pairs_train_without_validation_and_views_are_deterministic() -> None:
    strategy = MitTTTStrategy(data_options())
    data = strategy.dataset(task(2))
    assert data.validation == () and all(len(x.demonstrations) == 1 for x in data.train)
    assert strategy.dataset(task(2)) == data and strategy.inference_views(task(2)) == strategy.inference_views(task(2))
