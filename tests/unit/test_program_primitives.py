"""Each primitive of the program search on small hand-made images, and invariants as properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from arc_ttt.domain.programs.dsl import partitions as part
from arc_ttt.domain.programs.dsl import primitives as prim
from arc_ttt.domain.programs.dsl import symmetry as sym
from arc_ttt.domain.programs.dsl.catalog import catalog
from arc_ttt.domain.programs.dsl.images import NEW, background, pieces


def img(*rows: str) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in rows], dtype=np.uint8)


images = st.integers(1, 8).flatmap(
    lambda h: st.integers(1, 8).flatmap(lambda w: arrays(np.uint8, (h, w), elements=st.integers(0, 9)))
)


@given(images)
def test_four_quarter_turns_are_the_identity(image: np.ndarray) -> None:
    turned = image
    for _ in range(4):
        turned = prim.rotate(1)(turned)
    assert np.array_equal(turned, image)


@given(images)
def test_flips_and_transposes_undo_themselves(image: np.ndarray) -> None:
    for step in (prim.flip_lr, prim.flip_ud, prim.transpose, prim.anti_transpose):
        assert np.array_equal(step(step(image)), image)


@given(images, st.integers(2, 3))
def test_downscale_undoes_upscale(image: np.ndarray, factor: int) -> None:
    result = prim.downscale(factor)(prim.upscale(factor)(image))
    assert result is not None and np.array_equal(result, image)


@given(images)
def test_gravity_keeps_every_color_count(image: np.ndarray) -> None:
    moved = prim.gravity(0)(image)
    if moved is not None:
        assert np.array_equal(np.bincount(moved.ravel(), minlength=10), np.bincount(image.ravel(), minlength=10))


def test_rotation_is_clockwise() -> None:
    assert np.array_equal(prim.rotate(1)(img("12", "34")), img("31", "42"))


def test_crop_content_cuts_to_the_non_background_box() -> None:
    assert np.array_equal(prim.crop_content(img("0000", "0120", "0030", "0000")), img("12", "03"))
    assert prim.crop_content(img("00", "00")) is None


def test_trim_frame_removes_a_uniform_border() -> None:
    assert np.array_equal(prim.trim_uniform_border(img("5555", "5125", "5345", "5555")), img("12", "34"))


def test_pieces_by_connectivity_and_color() -> None:
    image = img("110", "100", "002")
    assert [p.size for p in pieces(image, 4, True)] == [3, 1]
    assert [p.size for p in pieces(img("10", "01"), 8, True)] == [2]
    assert [p.size for p in pieces(img("10", "01"), 4, True)] == [1, 1]
    assert [p.colors for p in pieces(img("12", "00"), 4, False)] == [2]


def test_crop_object_picks_the_largest_and_the_odd_color() -> None:
    image = img("11000", "11030", "00000", "00022")
    largest = prim.crop_piece(4, True, prim.SELECTORS["largest"])(image)
    assert np.array_equal(largest, img("11", "11"))
    odd = prim.crop_piece(4, True, prim.SELECTORS["odd_color"])(img("10101", "00000", "20000"))
    assert np.array_equal(odd, img("2"))


def test_a_tie_selects_nothing() -> None:
    assert prim.crop_piece(4, True, prim.SELECTORS["largest"])(img("101")) is None


def test_fill_enclosed_marks_holes_only() -> None:
    image = img("00000", "01110", "01010", "01110", "00000")
    filled = prim.fill_enclosed(image)
    assert filled is not None and filled[2, 2] == NEW and (filled == NEW).sum() == 1


def test_outline_marks_the_halo() -> None:
    out = prim.outline_pieces(img("000", "010", "000"))
    assert out is not None and (out == NEW).sum() == 8


def test_denoise_and_colors() -> None:
    assert np.array_equal(prim.remove_small_pieces(img("1100", "1103", "0000")), img("1100", "1100", "0000"))
    assert np.array_equal(prim.keep_rarest_color(img("1020", "1000")), img("0020", "0000"))
    assert np.array_equal(prim.remove_commonest_color(img("1020", "1000")), img("0020", "0000"))


def test_gravity_drops_cells_down_and_left() -> None:
    assert np.array_equal(prim.gravity(0)(img("10", "00", "01")), img("00", "00", "11"))
    assert np.array_equal(prim.gravity(1)(img("01", "00")), img("10", "00"))
    assert np.array_equal(prim.gravity(3)(img("10", "00")), img("01", "00"))


def test_tiles_and_mirrors() -> None:
    image = img("12")
    assert np.array_equal(prim.tile(2, 1)(image), img("12", "12"))
    assert np.array_equal(prim.mirror_tile("right")(image), img("1221"))
    assert np.array_equal(prim.mirror_tile("quad")(image), img("1221", "1221"))
    assert np.array_equal(prim.squeeze_repeats(img("1122", "1122")), img("12"))


def test_self_kron_draws_the_fractal() -> None:
    out = prim.self_kron(img("10", "01"))
    assert np.array_equal(out, img("1000", "0100", "0010", "0001"))


def test_panels_split_by_lines_and_combine() -> None:
    image = img("10501", "11500", "55555", "00500", "01511")
    cells = part.split_by_lines(image)
    assert cells is not None and len(cells) == 4 and all(c.shape == (2, 2) for c in cells)
    anded = part.combine(part.split_by_lines, "and")(img("10510", "11501"))
    assert np.array_equal(anded, np.array([[NEW, 0], [0, NEW]]))
    ored = part.combine(part.split_by_lines, "or")(img("10501", "11500"))
    assert np.array_equal(ored, np.array([[NEW, NEW], [NEW, NEW]]))
    xored = part.combine(part.split_halves(1), "xor")(img("1011", "1100"))
    assert np.array_equal(xored, np.array([[0, NEW], [NEW, NEW]]))


def test_pick_the_panel_that_differs() -> None:
    picked = part.pick_cell(part.split_by_lines, "odd")(img("12512512", "34534534"))
    assert picked is None  # all panels equal: no odd one
    odd = part.pick_cell(part.split_by_lines, "odd")(img("12512577", "34534577"))
    assert np.array_equal(odd, img("77", "77"))


def test_symmetry_fill_restores_a_hidden_patch() -> None:
    full = img("123321", "456654", "789987", "789987", "456654", "123321")
    hidden = full.copy()
    hidden[1:3, 1:3] = 0
    assert np.array_equal(sym.symmetry_fill("zero")(hidden), full)
    masked = full.copy()
    masked[0:2, 3:5] = 0
    assert np.array_equal(sym.symmetry_patch(masked), full[0:2, 3:5])


def test_background_is_zero_unless_zero_is_rare() -> None:
    assert background(img("01", "10")) == 0
    assert background(img("10", "11")) == 0
    assert background(img("11", "12")) == 1
    assert background(img("11111", "11110")) == 1


def test_connect_and_rays_draw_lines_over_the_background() -> None:
    assert np.array_equal(prim.connect(True, False)(img("20002", "30000")), img("22222", "30000"))
    assert np.array_equal(prim.connect(False, True)(img("10", "00", "10")), img("10", "10", "10"))
    assert np.array_equal(prim.rays(0)(img("010", "000", "020", "000")), img("010", "010", "020", "020"))
    assert np.array_equal(prim.rays(2)(img("000", "030")), img("030", "030"))
    crossed = prim.diagonal_rays(img("00000", "00000", "00400", "00000", "11000"))
    assert np.array_equal(crossed, img("40004", "04040", "00400", "04040", "11004"))  # a line stops at a cell
    assert prim.diagonal_rays(img("110", "000")) is None  # no lone cell
    filled = prim.fill_boxes(img("100", "011"))
    assert filled is not None and filled[0, 1] == NEW and filled[0, 2] == NEW


def test_period_tile_and_periodic_completion() -> None:
    pattern = np.tile(img("12", "31"), (3, 4))[:5, :7]
    assert np.array_equal(prim.period_tile(pattern), img("12", "31"))
    assert prim.period_tile(img("12", "34")) is None
    hidden = np.tile(img("123", "456"), (3, 3)).copy()
    full = hidden.copy()
    hidden[2:4, 3:5] = 0
    assert np.array_equal(sym.symmetry_fill("zero")(hidden), full)


def test_shift_and_sliding_objects() -> None:
    assert np.array_equal(prim.shift(0, 1)(img("120", "300")), img("012", "030"))
    slid = prim.slide_objects(0)(img("110", "010", "000", "000", "002"))
    assert np.array_equal(slid, img("000", "000", "000", "110", "012"))
    stacked = prim.slide_objects(0)(img("220", "000", "000", "011", "000"))
    assert np.array_equal(stacked, img("000", "000", "000", "220", "011"))


def test_a_full_line_inside_a_panel_is_not_taken_for_the_separator() -> None:
    image = img("1105010", "0015111", "1105010")  # column 5 is all 1, but only the 5s cut equal panels
    cells = part.split_by_lines(image)
    assert cells is not None and [c.tolist() for c in cells] == [img("110", "001", "110").tolist(),
                                                                   img("010", "111", "010").tolist()]


def test_panel_colors_keep_the_panels_layout() -> None:
    image = img("110300", "110300", "333333", "220344", "202344")
    assert part.panel_colors(image).tolist() == [[1, 0], [2, 4]]
    assert part.panel_colors(img("1234", "5678")) is None  # no separator line


def test_the_object_with_most_cells_off_its_main_color_is_picked() -> None:
    image = img("11100000", "12100222", "11100272", "00000277", "00000000")
    picked = prim.crop_piece(8, False, prim.SELECTORS["most_minority"])(image)
    assert picked is not None and picked.tolist() == img("222", "272", "277").tolist()


def test_colors_are_listed_in_the_order_their_bands_lie() -> None:
    bands = img("4422211", "4422111", "4442211")
    assert prim.color_order(bands).tolist() == [[4, 2, 1]]
    assert prim.color_order(bands.T).tolist() == [[4], [2], [1]]
    assert prim.color_order(img("0050", "0000")) is None  # one color is no order


def test_symmetry_fill_finds_a_mask_made_of_several_patches() -> None:
    rng = np.random.default_rng(5)
    quarter = rng.integers(1, 7, size=(5, 5)).astype(np.uint8)
    full = np.block([[quarter, quarter[:, ::-1]], [quarter[::-1], quarter[::-1, ::-1]]])
    masked = full.copy()
    masked[1:3, 1:4] = 9  # two rectangles, and an L-shaped block of 2x2 squares
    masked[6:8, 6:9] = 9
    masked[7:9, 8:10] = 9
    assert np.array_equal(sym.symmetry_fill("patch")(masked), full)
    assert sym.symmetry_patch(masked) is None  # the hidden cells are not one rectangle


def test_upscale_by_the_number_of_colors() -> None:
    assert np.array_equal(prim.upscale_by_colors(img("20", "07")), img("2200", "2200", "0077", "0077"))
    assert prim.upscale_by_colors(img("20", "02")) is None  # one color: a factor of one changes nothing


@settings(max_examples=40, deadline=None)
@given(images)
def test_every_catalog_step_gives_a_valid_image_or_declines(image: np.ndarray) -> None:
    for step in catalog():
        try:
            result = step.apply(image)
        except (ValueError, IndexError):  # the search reads these as "does not apply"
            continue
        if result is not None:
            assert result.ndim == 2 and result.dtype == np.uint8 and int(result.max()) <= NEW, step.name


def test_shrink_by_majority_ignores_noise_in_each_block() -> None:
    noisy = img("335888", "333858", "733888", "000999", "050999", "000995")
    assert np.array_equal(prim.shrink_by_majority(3)(noisy), img("38", "09"))
    assert prim.shrink_by_majority(2)(img("1200", "2100")) is None  # a tie in the first block
    assert prim.shrink_by_majority(2)(img("1100", "1100")) is None  # no noise: plain downscaling
