"""Generated tasks: reproducible, valid, and each following its rule on every pair."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from arc_ttt.domain.arc.generators import (
    GENERATORS,
    HELD_FAMILIES,
    HELD_PARAMETERS,
    PARAMETERS,
    SYMMETRY_CLASSES,
    Split,
    families,
    generate,
    parameters,
)
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.task import Example
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
        task_key = generate(random.Random(seed), "upscale").id.rsplit("-", 1)[1]
        assert len(factors) == 1 and "x".join(map(str, sorted(next(iter(factors))))) == task_key
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


def key_of(task_id: str, family: str) -> str:
    return task_id.removeprefix(f"gen-{family}").removeprefix("-")


@pytest.mark.parametrize("family", sorted(PARAMETERS))
def test_the_seen_and_held_out_parameters_of_a_family_never_overlap(family: str) -> None:
    seen, held = set(parameters(family, Split("seen"))), set(parameters(family, Split("held-parameters")))
    assert seen and held and not seen & held
    assert seen | held == set(PARAMETERS[family]) and held == HELD_PARAMETERS[family]
    drawn = {side: {key_of(generate(random.Random(k), family, Split(side)).id, family) for k in range(60)}
             for side in ("seen", "held-parameters")}
    assert drawn["seen"] == seen and drawn["held-parameters"] == held  # each side draws all its keys, only its keys


def test_the_seen_side_never_draws_a_held_out_family_or_parameter_and_is_deterministic() -> None:
    seen, held = Split("seen", max_side=6), Split("held-parameters", max_side=6)
    assert not set(families(seen)) & HELD_FAMILIES and set(families(Split("held-families"))) == HELD_FAMILIES
    held_ids = {f"gen-{f}-{k}" for f, keys in HELD_PARAMETERS.items() for k in keys}
    seen_ids = {generate(random.Random(k), split=seen).id for k in range(400)}
    assert not seen_ids & held_ids and not {i.split("-")[1] for i in seen_ids} & HELD_FAMILIES
    drawn_held = {generate(random.Random(k), split=held).id for k in range(400)}
    assert drawn_held == held_ids
    assert [generate(random.Random(k), split=held) for k in range(5)] == [
        generate(random.Random(k), split=held) for k in range(5)]
    with pytest.raises(ValueError):
        generate(random.Random(0), "crop", seen)


def test_a_held_out_symmetry_task_follows_a_symmetry_of_its_class_and_max_side_caps_inputs() -> None:
    for seed in range(20):
        task = generate(random.Random(seed), "symmetry", Split("held-parameters", max_side=5))
        pairs = solved_pairs(task)
        transforms = SYMMETRY_CLASSES[key_of(task.id, "symmetry")]
        assert any(all(d.apply(ex.input) == ex.output for ex in pairs) for d in transforms)
        assert all(ex.input.height <= 5 and ex.input.width <= 5 for ex in pairs)


def test_shift_rolls_every_pair_by_one_offset_and_color_map_changes_as_many_colors_as_its_key() -> None:
    for seed in range(20):
        pairs = pairs_of("shift", seed)
        for ex in pairs:
            assert Counter(c for r in ex.input.rows for c in r) == Counter(c for r in ex.output.rows for c in r)
        task = generate(random.Random(seed), "color-map")
        changed = {a for ex in solved_pairs(task) for ra, rb in zip(ex.input.rows, ex.output.rows)
                   for a, b in zip(ra, rb) if a != b}
        assert len(changed) == int(key_of(task.id, "color-map"))


def wrapped_offsets(ex: Example) -> set[tuple[int, int]]:
    """Every shift (smallest wrapping offsets, sorted) that rolls `ex`'s input onto its output."""
    grid, h, w = ex.input, ex.input.height, ex.input.width
    return {tuple(sorted((min(dy, h - dy), min(dx, w - dx)))) for dy in range(h) for dx in range(w)  # type: ignore[misc]
            if all(grid.rows[(i - dy) % h][(j - dx) % w] == ex.output.rows[i][j] for i in range(h) for j in range(w))}


@pytest.mark.parametrize("cap", [3, 4, 6])
def test_a_held_out_shift_is_never_a_seen_one_in_disguise(cap: int) -> None:
    """A shift by 2 on a grid 3 wide wraps into a shift by 1 (seen): under a cap too small to tell them apart the
    held-out side draws no shift at all, above it no held-out task is also a seen shift on every pair."""
    split = Split("held-parameters", max_side=cap)
    assert ("shift" in families(split)) == (cap >= 4)
    seen = {tuple(int(x) for x in key.split("x")) for key in parameters("shift", Split("seen"))}
    for seed in range(40 if cap >= 4 else 0):
        task = generate(random.Random(seed), "shift", split)
        fitting = set.intersection(*(wrapped_offsets(ex) for ex in solved_pairs(task)))
        assert not fitting & seen, (task.id, fitting)


def test_a_stream_draws_its_generated_tasks_through_its_split() -> None:
    pool = (symmetry_task("t0", Dihedral.ROT90, size=(4, 5)),)
    stream = EpisodeStream(pool, seed=3, options=StreamOptions(generated_share=1.0, generated=Split("seen", 6)))
    sides = {max(g.height, g.width) for k in range(50) for ex in (*stream.episode(k).demonstrations,
                                                                  stream.episode(k).query)
             for g in (ex.input,)}
    assert max(sides) <= 6
    with pytest.raises(ValueError):
        Split("unseen")  # type: ignore[arg-type]
