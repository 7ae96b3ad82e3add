"""Picked parts: the output is one object or panel of the input, chosen by a rule learned from the
train pairs. Tried on generated tasks whose test input has parts no train input had."""

from __future__ import annotations

import numpy as np
import pytest

from arc_ttt.domain.programs.dsl.images import pieces
from arc_ttt.domain.programs.learners.picks import learn_picks


def never() -> bool:
    return False


def _shape(rng: np.random.Generator, color: int) -> np.ndarray:
    """A random connected 3x3 one-color shape touching all four sides of its box."""
    while True:
        patch = (rng.random((3, 3)) < 0.6).astype(np.uint8) * color
        solid = patch > 0
        if (solid[0].any() and solid[-1].any() and solid[:, 0].any() and solid[:, -1].any()
                and len(pieces(patch, 8, True, 0)) == 1):
            return patch


def _scene(rng: np.random.Generator, copies: list[np.ndarray]) -> np.ndarray:
    """The patches laid out on a 4x4 lattice of 4x4 slots (a blank row and column between them), in
    random slots."""
    image = np.zeros((16, 16), dtype=np.uint8)
    for patch, slot in zip(copies, rng.permutation(16)):
        y, x = 4 * (slot // 4), 4 * (slot % 4)
        image[y:y + 3, x:x + 3] = patch
    return image


def _most_copies(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three different shapes in three random colors, drawn 3, 2 and 1 times: the answer is the shape
    drawn most often."""
    colors = rng.permutation(np.arange(1, 10))[:3]
    shapes = [_shape(rng, int(c)) for c in colors]
    while len({(s > 0).tobytes() for s in shapes}) < 3:
        shapes[1:] = [_shape(rng, int(c)) for c in colors[1:]]
    image = _scene(rng, [shapes[k] for k, n in enumerate((3, 2, 1)) for _ in range(n)])
    return image, shapes[0]


@pytest.mark.parametrize("seed", range(4))
def test_the_shape_drawn_most_often_is_picked_on_fresh_scenes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    train = [_most_copies(rng) for _ in range(3)]
    test, expected = _most_copies(rng)
    fits = learn_picks(train, [test], never)
    assert fits, "no rule picks the answer"
    assert any(np.array_equal(fit.predictions[0], expected) for fit in fits), [f.describe() for f in fits]
    assert all(fit.learned_cells for fit in fits)  # many rules tried on few pairs: never sure


def _panels(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three 3x3 panels side by side, two mirror-symmetric and one not: the answer is the odd one."""
    symmetric = []
    for _ in range(2):
        half = rng.integers(0, 10, size=(3, 2)).astype(np.uint8)
        symmetric.append(np.concatenate([half, half[:, :1][:, ::-1]], axis=1))
    odd = _shape(rng, int(rng.integers(1, 10)))
    while np.array_equal(odd, odd[:, ::-1]) or np.array_equal(odd, odd[::-1]):
        odd = _shape(rng, int(rng.integers(1, 10)))
    panels = [symmetric[0], symmetric[1], odd]
    order = rng.permutation(3)
    image = np.concatenate([panels[k] for k in order], axis=1).astype(np.uint8)
    return image, odd


def test_the_panel_no_other_is_like_is_picked() -> None:
    rng = np.random.default_rng(7)
    train = [_panels(rng) for _ in range(3)]
    test, expected = _panels(rng)
    fits = learn_picks(train, [test], never)
    assert fits and np.array_equal(fits[0].predictions[0], expected), [f.describe() for f in fits]


def test_no_pick_from_one_pair_or_when_the_output_is_not_smaller() -> None:
    rng = np.random.default_rng(1)
    image, expected = _most_copies(rng)
    assert learn_picks([(image, expected)], [image], never) == []
    assert learn_picks([(image, image), (image, image)], [image], never) == []


def test_an_expired_deadline_stops_the_search() -> None:
    rng = np.random.default_rng(2)
    train = [_most_copies(rng) for _ in range(3)]
    assert learn_picks(train, [train[0][0]], lambda: True) == []


def test_a_picked_part_may_be_turned_before_it_is_the_answer() -> None:
    rng = np.random.default_rng(5)
    train = [(image, answer[:, ::-1].copy()) for image, answer in (_most_copies(rng) for _ in range(3))]
    test, expected = _most_copies(rng)
    fits = learn_picks(train, [test], never)
    assert any(np.array_equal(f.predictions[0], expected[:, ::-1]) for f in fits), [f.describe() for f in fits]


def test_a_picked_part_may_be_scaled_up_to_the_answer() -> None:
    rng = np.random.default_rng(6)
    train = [(image, np.kron(answer, np.ones((2, 2), dtype=np.uint8))) for image, answer in
             (_most_copies(rng) for _ in range(3))]
    test, expected = _most_copies(rng)
    fits = learn_picks(train, [test], never)
    assert any(np.array_equal(f.predictions[0], np.kron(expected, np.ones((2, 2), dtype=np.uint8))) for f in fits)
    assert "upscale(2)" in fits[0].steps


def test_the_only_object_off_the_border_is_picked() -> None:
    def scene(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        image = np.zeros((9, 9), dtype=np.uint8)
        inner = _shape(rng, int(rng.integers(1, 10)))
        image[3:6, 3:6] = inner
        image[0, int(rng.integers(0, 9))] = 5  # objects on the border, one cell each
        image[8, int(rng.integers(0, 9))] = 5
        image[int(rng.integers(1, 8)), 0] = 7
        return image, inner

    rng = np.random.default_rng(8)
    train = [scene(rng) for _ in range(3)]
    test, expected = scene(rng)
    fits = learn_picks(train, [test], never)
    assert fits and np.array_equal(fits[0].predictions[0], expected), [f.describe() for f in fits]
