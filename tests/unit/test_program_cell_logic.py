"""Cell logic: per-cell facts, and rules over a few of them learned from train pairs and never guessed."""

from __future__ import annotations

import numpy as np
import pytest

from arc_ttt.domain.programs.learners.cell_features import NONE, describe, features
from arc_ttt.domain.programs.learners.cell_logic import learn_cell_logic


def img(*rows: str) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in rows], dtype=np.uint8)


def column(image: np.ndarray, name: str) -> np.ndarray:
    index = [f.name for f in features()].index(name)
    return describe(image)[:, index].reshape(image.shape)


def never() -> bool:
    return False


def test_rays_see_the_first_colored_cell_each_way() -> None:
    image = img("0300", "0000", "2050", "0000")
    assert column(image, "ray left")[2].tolist() == [NONE, 2, 2, 5]
    assert column(image, "ray right")[2].tolist() == [5, 5, NONE, NONE]
    assert column(image, "ray up")[:, 1].tolist() == [NONE, 3, 3, 3]
    assert column(image, "ray down")[:, 2].tolist() == [5, 5, NONE, NONE]


def test_object_facts_describe_the_object_a_cell_belongs_to() -> None:
    image = img("110", "110", "002")
    assert column(image, "object size").tolist() == [[4, 4, NONE], [4, 4, NONE], [NONE, NONE, 1]]
    assert column(image, "object is largest")[0, 0] == 1 and column(image, "object is largest")[2, 2] == 0
    assert column(image, "enclosed").sum() == 0
    ring = img("00000", "01110", "01010", "01110", "00000")
    assert column(ring, "enclosed")[2, 2] == 1 and column(ring, "enclosed").sum() == 1


def _paint_down(image: np.ndarray) -> np.ndarray:
    """The rule under test, written independently: every 5 takes the color above it in the top row."""
    out = image.copy()
    for x in range(image.shape[1]):
        last = 0
        for y in range(image.shape[0]):
            if image[y, x] == 5:
                out[y, x] = last
            elif image[y, x] != 0:
                last = image[y, x]
    return out


def _random_painting(rng: np.random.Generator, colors: list[int]) -> np.ndarray:
    image = np.zeros((6, 6), dtype=np.uint8)
    image[0] = rng.choice(colors, size=6)
    columns = rng.choice(6, size=3, replace=False)
    image[rng.integers(1, 6, size=3), columns] = 5
    return image


@pytest.mark.parametrize("seed", range(5))
def test_copying_along_a_ray_is_learned_on_fresh_grids(seed: int) -> None:
    rng = np.random.default_rng(seed)
    inputs = [_random_painting(rng, [1, 2, 3, 4]) for _ in range(4)]
    test = _random_painting(rng, [1, 2, 3, 4])
    fits = learn_cell_logic([(i, _paint_down(i)) for i in inputs], [test], never)
    assert fits, "no rule fits"
    assert np.array_equal(fits[0].predictions[0], _paint_down(test)), fits[0].describe()
    assert fits[0].learned_cells  # a learned table: never reported sure


def test_recoloring_by_object_size_carries_to_new_colors() -> None:
    def by_size(image: np.ndarray) -> np.ndarray:
        out = image.copy()
        out[column(image, "object size") == 1] = 8
        return out

    inputs = [img("1001", "1100", "0003"), img("2200", "0002", "3000"), img("0404", "0400", "0004")]
    test = img("6600", "0006", "0600")
    fits = learn_cell_logic([(i, by_size(i)) for i in inputs], [test], never)
    assert fits and np.array_equal(fits[0].predictions[0], by_size(test))


def test_a_test_cell_unlike_any_train_cell_means_no_answer() -> None:
    train = [(img("01"), img("02")), (img("03"), img("04"))]  # no fact but the color itself tells 2 from 4
    assert learn_cell_logic(train, [img("05")], never) == []


def test_contradicting_pairs_give_no_rule() -> None:
    train = [(img("10"), img("20")), (img("10"), img("30"))]
    assert learn_cell_logic(train, [img("10")], never) == []


def test_nothing_to_learn_when_outputs_differ_in_shape_or_equal_inputs() -> None:
    assert learn_cell_logic([(img("10"), img("1", "0"))], [img("10")], never) == []
    assert learn_cell_logic([(img("10"), img("10"))], [img("10")], never) == []


def test_an_expired_deadline_stops_the_search() -> None:
    inputs = [img("1001", "1100", "0003")]
    assert learn_cell_logic([(i, i * 0 + 7) for i in inputs], [inputs[0]], lambda: True) == []


def test_the_search_answers_with_cell_logic_where_no_composition_fits() -> None:
    from arc_ttt.domain.programs.search import search

    rng = np.random.default_rng(7)
    inputs = [_random_painting(rng, [1, 2, 3, 4]) for _ in range(4)]
    test = _random_painting(rng, [1, 2, 3, 4])
    fits = search([(i, _paint_down(i)) for i in inputs], [test], deadline=float("inf"))
    right = [f for f in fits if np.array_equal(f.predictions[0], _paint_down(test))]
    assert right and right[0].learned_cells


def test_regions_holes_and_the_nearest_ray_are_read_off_the_picture() -> None:
    image = img("000000", "011100", "010100", "011100", "000020")
    assert column(image, "object has a hole")[1, 1] == 1 and column(image, "object has a hole")[4, 4] == 0
    assert column(image, "region size")[2, 2] == 1 and column(image, "region is smallest")[2, 2] == 1
    assert column(image, "region is largest")[0, 0] == 1 and column(image, "region size")[1, 1] == NONE
    assert column(image, "nearest ray color")[4, 1] == 1  # 1 is one row up, 2 three columns right
    assert column(image, "nearest ray color")[4, 0] == 2  # nothing above, 2 four columns right
    assert column(image, "nearest ray color")[4, 3] == -2  # 1 above and 2 to the right, both next to it
    assert column(image, "nearest ray color")[0, 5] == NONE


def test_every_feature_has_its_column() -> None:
    assert describe(img("3000", "0000", "0050", "0004")).shape == (16, len(features()))


def test_objects_know_the_color_touching_them_and_shapes_their_colors() -> None:
    image = img("1120", "1100", "0000", "0033")
    assert column(image, "color touching the object")[0].tolist() == [2, 2, 1, NONE]
    assert column(image, "color touching the object")[3, 3] == NONE
    assert column(image, "shape's commonest color")[0, 2] == 1 and column(image, "shape's rarest color")[0, 0] == 2


def _one_before_two(image: np.ndarray) -> np.ndarray:
    """The rule under test: a 1 with a 2 right of it becomes 8."""
    out = image.copy()
    out[:, :-1][(image[:, :-1] == 1) & (image[:, 1:] == 2)] = 8
    return out


def _scatter(rng: np.random.Generator, three_before_one: bool) -> np.ndarray:
    while True:
        image = rng.choice([0, 0, 0, 1, 2, 3], size=(7, 7)).astype(np.uint8)
        if three_before_one == bool(((image[:, :-1] == 3) & (image[:, 1:] == 1)).any()):
            return image


@pytest.mark.parametrize("seed", range(5))
def test_an_unseen_pair_of_facts_backs_off_to_one_fact_training_explains(seed: int) -> None:
    """No train 3 has a 1 right of it; the test's do: the pair (color 3, right neighbour 1) is new, but
    every train 3 stays a 3, so the color alone answers for those cells."""
    rng = np.random.default_rng(seed)
    train = [(i, _one_before_two(i)) for i in (_scatter(rng, False) for _ in range(3))]
    test = _scatter(rng, True)
    fits = learn_cell_logic(train, [test], never)
    answers = [fit for fit in fits if np.array_equal(fit.predictions[0], _one_before_two(test))]
    assert answers and "else by one" in answers[0].describe(), [f.describe() for f in fits]


def _bars(rng: np.random.Generator, lengths: list[int]) -> np.ndarray:
    """One gray bar of each length, each on its own row (a blank row between bars), at random columns."""
    image = np.zeros((2 * len(lengths), 8), dtype=np.uint8)
    for row, length in enumerate(rng.permutation(lengths)):
        start = int(rng.integers(0, 8 - length + 1))
        image[2 * row, start:start + length] = 5
    return image


def _threes_red(image: np.ndarray) -> np.ndarray:
    """The rule under test: bars of three cells turn red, every other bar blue."""
    out = image.copy()
    for y in range(image.shape[0]):
        out[y][image[y] == 5] = 2 if (image[y] == 5).sum() == 3 else 1
    return out


def test_a_value_no_train_cell_had_is_explained_like_the_other_values() -> None:
    rng = np.random.default_rng(3)
    train = [(i, _threes_red(i)) for i in (_bars(rng, [1, 2, 3, 4]) for _ in range(3))]
    test = _bars(rng, [3, 5, 6])  # bars of five and six cells: sizes training never showed
    fits = learn_cell_logic(train, [test], never)
    answers = [f for f in fits if np.array_equal(f.predictions[0], _threes_red(test))]
    assert answers and "other values alike" in answers[0].describe(), [f.describe() for f in fits]


def test_edge_colors_read_the_ends_of_a_cells_row_and_column() -> None:
    image = img("10002", "00000", "00300", "40005")
    assert column(image, "color at the row's start")[:, 2].tolist() == [1, 0, 0, 4]
    assert column(image, "color at the row's end")[3].tolist() == [5] * 5
    assert column(image, "color at the column's bottom")[0].tolist() == [4, 0, 0, 0, 5]
    nearest = column(image, "color at the nearest colored edge")
    assert nearest[0, 1] == 1 and nearest[0, 2] == -2 and nearest[2, 2] == NONE  # 1 and 2 tie at (0, 2)


def test_cells_take_the_color_at_the_start_of_their_row() -> None:
    def paint(image: np.ndarray) -> np.ndarray:
        out = image.copy()
        for y in range(image.shape[0]):
            out[y, 1:][image[y, 1:] == 5] = image[y, 0]
        return out

    rng = np.random.default_rng(4)
    inputs = []
    for _ in range(3):
        image = np.zeros((6, 6), dtype=np.uint8)
        image[:, 0] = rng.choice([1, 2], size=6)
        image[:, 2:5][rng.random((6, 3)) < 0.5] = 5
        inputs.append(image)
    test = inputs[0].copy()
    test[:, 0] = [2, 1, 1, 2, 1, 2]
    fits = learn_cell_logic([(i, paint(i)) for i in inputs], [test], never)
    assert any(np.array_equal(f.predictions[0], paint(test)) for f in fits), [f.describe() for f in fits]
