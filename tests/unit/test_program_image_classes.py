"""Image classes: the answer is the train output of the test input's class, never a guess."""

from __future__ import annotations

import numpy as np

from arc_ttt.domain.programs.learners.image_classes import learn_image_classes

YES, NO = np.array([[1]], dtype=np.uint8), np.array([[7]], dtype=np.uint8)


def _symmetric(rng: np.random.Generator, symmetric: bool) -> np.ndarray:
    while True:
        half = rng.integers(0, 3, size=(3, 2)).astype(np.uint8)
        image = np.concatenate([half, rng.integers(0, 3, size=(3, 1)).astype(np.uint8), half[:, ::-1]], axis=1)
        if not symmetric:
            image[rng.integers(0, 3), 0] = 3  # a color its mirror cell cannot have
        if bool(np.array_equal(image, image[:, ::-1])) == symmetric:
            return image


def test_a_yes_or_no_answer_follows_the_symmetry_of_fresh_inputs() -> None:
    rng = np.random.default_rng(3)
    kinds = [True, False, True, False, False]
    train = [(_symmetric(rng, k), YES if k else NO) for k in kinds]
    tests = [_symmetric(rng, True), _symmetric(rng, False)]
    fits = learn_image_classes(train, tests)
    assert fits, "no fact separates the classes"
    right = [f for f in fits if np.array_equal(f.predictions[0], YES) and np.array_equal(f.predictions[1], NO)]
    assert right and right[0].learned_cells  # never reported sure


def test_no_answer_for_a_class_no_train_input_had() -> None:
    one, two, three = (np.full((2, 2), c, dtype=np.uint8) for c in (1, 2, 3))
    train = [(one, YES), (two, NO), (one, YES)]
    assert learn_image_classes(train, [three]) == []  # only the color tells 1 from 2, and 3 is neither


def test_outputs_that_never_repeat_are_no_classification() -> None:
    train = [(np.full((2, 2), c, dtype=np.uint8), np.full((1, 1), c, dtype=np.uint8)) for c in (1, 2, 3)]
    assert learn_image_classes(train, [np.full((2, 2), 1, dtype=np.uint8)]) == []
