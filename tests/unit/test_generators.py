"""Generated tasks: reproducible, valid, and each following its rule on every pair."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from arc_ttt.domain.arc.generators import GENERATORS, generate
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.ttt.pretraining import EpisodeStream, StreamOptions, solved_pairs
from tests.builders import symmetry_task


def pairs_of(name: str, seed: int) -> tuple:
    return solved_pairs(generate(random.Random(seed), name))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_every_generator_is_reproducible_and_gives_valid_varied_tasks(name: str) -> None:
    for seed in range(20):
        task = generate(random.Random(seed), name)
        assert task == generate(random.Random(seed), name)
        pairs = solved_pairs(task)
        assert 3 <= len(pairs) <= 5 and task.has_solutions
        assert all(g.height <= 30 and g.width <= 30 for ex in pairs for g in (ex.input, ex.output))
    assert len({generate(random.Random(s), name) for s in range(10)}) == 10


def test_a_symmetry_task_uses_one_symmetry_for_all_its_pairs() -> None:
    for seed in range(20):
        pairs = pairs_of("symmetry", seed)
        fits = [d for d in Dihedral if all(d.apply(ex.input) == ex.output for ex in pairs)]
        assert fits and Dihedral.IDENTITY not in fits


def test_gravity_keeps_every_colored_cell_and_packs_them_against_one_side() -> None:
    for seed in range(20):
        for ex in pairs_of("gravity", seed):
            colors = lambda g: Counter(c for row in g.rows for c in row if c)  # noqa: E731
            assert colors(ex.input) == colors(ex.output)


def test_crop_and_upscale_and_tile_sizes() -> None:
    for seed in range(20):
        for ex in pairs_of("crop", seed):
            out = ex.output
            assert any(out.rows[0]) and any(out.rows[-1])
            assert any(row[0] for row in out.rows) and any(row[-1] for row in out.rows)
        scaled = pairs_of("upscale", seed)
        factors = {(ex.output.height // ex.input.height, ex.output.width // ex.input.width) for ex in scaled}
        assert len(factors) == 1 and next(iter(factors))[0] in (2, 3)
        for ex in pairs_of("tile", seed):
            assert (ex.output.height, ex.output.width) == (2 * ex.input.height, 2 * ex.input.width)


def test_fill_colors_only_empty_cells_inside_outlines() -> None:
    task = generate(random.Random(1), "fill")
    line = next(c for ex in solved_pairs(task) for row in ex.input.rows for c in row if c)
    new = {c for ex in solved_pairs(task) for row in ex.output.rows for c in row} - {0, line}
    assert len(new) == 1
    for ex in solved_pairs(task):
        changed = [(a, b) for ra, rb in zip(ex.input.rows, ex.output.rows) for a, b in zip(ra, rb) if a != b]
        assert all(a == 0 and b in new for a, b in changed)
        assert changed  # every input has at least one rectangle with an inside
        rows = ex.output.rows
        border = [*rows[0], *rows[-1], *(r[0] for r in rows), *(r[-1] for r in rows)]
        assert not set(border) & new  # a cell on the edge is never enclosed


def test_a_stream_mixes_in_generated_tasks_at_the_asked_share() -> None:
    pool = (symmetry_task("t0", Dihedral.ROT90, size=(4, 5)), symmetry_task("t1", Dihedral.FLIP_H, size=(4, 5)))
    plain = EpisodeStream(pool, seed=0)
    mixed = EpisodeStream(pool, seed=0, options=StreamOptions(generated_share=0.5))
    differing = sum(plain.episode(k) != mixed.episode(k) for k in range(200))
    assert 70 < differing < 130  # the other positions hold exactly the episode the plain stream has there
    assert [mixed.episode(k) for k in range(5)] == [EpisodeStream(pool, 0, StreamOptions(generated_share=0.5))
                                                    .episode(k) for k in range(5)]
    with pytest.raises(ValueError):
        StreamOptions(generated_share=1.5)
