"""The vocabulary of the search: every primitive with its parameters spelled out, by readable name.

Order matters: the search tries steps in this order and ranks equally long programs by it, so the
simpler and more common transformations come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from arc_ttt.domain.programs.dsl import color_filters as colors
from arc_ttt.domain.programs.dsl import partitions as part
from arc_ttt.domain.programs.dsl import primitives as prim
from arc_ttt.domain.programs.dsl import symmetry as sym


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    apply: prim.Transform
    cost: float = 1.0
    finishing: bool = False  # cheap enough to try as the last step of the deepest programs


@cache
def catalog() -> tuple[Step, ...]:
    steps: list[Step] = [
        Step("rotate(90)", prim.rotate(1), finishing=True),
        Step("rotate(180)", prim.rotate(2), finishing=True),
        Step("rotate(270)", prim.rotate(3), finishing=True),
        Step("flip(left-right)", prim.flip_lr, finishing=True),
        Step("flip(up-down)", prim.flip_ud, finishing=True),
        Step("transpose", prim.transpose, finishing=True),
        Step("anti_transpose", prim.anti_transpose, finishing=True),
        Step("crop(content)", prim.crop_content, finishing=True),
        Step("trim(frame)", prim.trim_uniform_border, finishing=True),
        Step("squeeze(repeats)", prim.squeeze_repeats, finishing=True),
        Step("period_tile", prim.period_tile, finishing=True),
    ]
    steps += [Step(f"downscale({k})", prim.downscale(k), finishing=True) for k in (2, 3, 4, 5)]
    steps += [Step(f"shrink_by_majority({k})", prim.shrink_by_majority(k), finishing=True) for k in (2, 3)]
    steps += [Step(f"upscale({k})", prim.upscale(k), finishing=True) for k in (2, 3, 4, 5)]
    steps.append(Step("upscale(by colors)", prim.upscale_by_colors, finishing=True))
    steps += [Step(f"tile({r}x{c})", prim.tile(r, c), finishing=True)
              for r, c in ((1, 2), (2, 1), (2, 2), (3, 3), (1, 3), (3, 1), (4, 4))]
    steps += [Step(f"mirror_tile({kind})", prim.mirror_tile(kind), finishing=True)
              for kind in ("right", "down", "left", "up", "quad")]
    steps += [
        Step("rotation_quad", prim.rotation_quad, finishing=True),
        Step("self_kron", prim.self_kron),
        Step("cell_kron", prim.cell_kron),
        Step("fill(enclosed)", prim.fill_enclosed, finishing=True),
        Step("outline", prim.outline_pieces),
        Step("denoise", prim.remove_small_pieces),
        Step("keep(rarest color)", prim.keep_rarest_color),
        Step("color_order", prim.color_order, finishing=True),
        Step("colors_by_count", prim.colors_by_count, finishing=True),
        Step("remove(commonest color)", prim.remove_commonest_color),
        Step("mark(largest object)", prim.mark_largest_piece),
    ]
    steps += [Step(f"gravity({side})", prim.gravity(turns)) for side, turns in
              (("down", 0), ("left", 1), ("up", 2), ("right", 3))]
    steps += [Step(f"slide_objects({side})", prim.slide_objects(turns)) for side, turns in
              (("down", 0), ("left", 1), ("up", 2), ("right", 3))]
    steps += [Step(f"shift({dy},{dx})", prim.shift(dy, dx)) for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0))]
    steps += [Step(f"connect({name})", prim.connect(h, v)) for name, h, v in
              (("rows", True, False), ("columns", False, True), ("both", True, True))]
    steps += [Step(f"rays({side})", prim.rays(turns)) for side, turns in
              (("down", 0), ("left", 1), ("up", 2), ("right", 3))]
    steps.append(Step("rays(diagonals, lone cells)", prim.diagonal_rays))
    steps.append(Step("fill(boxes)", prim.fill_boxes))
    steps.append(Step("fill(color boxes)", colors.fill_color_boxes))
    steps += [Step(f"symmetry_fill({how})", sym.symmetry_fill(how), cost=0.5) for how in ("patch", "zero")]
    steps.append(Step("symmetry_patch", sym.symmetry_patch, cost=0.5))
    for rule, select in prim.SELECTORS.items():
        for conn in (8, 4):
            steps.append(Step(f"crop_object({rule}, {conn}-conn)", prim.crop_piece(conn, False, select)))
            steps.append(Step(f"crop_object({rule}, {conn}-conn, one color)", prim.crop_piece(conn, True, select)))
        steps.append(Step(f"crop_box({rule})", prim.crop_piece_box(8, select)))
        steps.append(Step(f"keep_object({rule})", prim.keep_piece(select)))
        if rule in ("largest", "largest_box", "odd_color"):  # the frames ARC draws around a region
            steps.append(Step(f"crop_box({rule}, one color)", prim.crop_piece_box(8, select, by_color=True)))
    steps.append(Step("panels(lines).colors", part.panel_colors, cost=0.5))
    for split_name, split in part.SPLITTERS.items():
        for logic in part.LOGIC:
            steps.append(Step(f"panels({split_name}).{logic}", part.combine(split, logic), cost=0.5))
        for reverse in (False, True):
            steps.append(Step(f"panels({split_name}).overlay({'backward' if reverse else 'forward'})",
                              part.overlay(split, reverse), cost=0.5))
        for rule in part.CELL_PICKS:
            steps.append(Step(f"panels({split_name}).pick({rule})", part.pick_cell(split, rule), cost=0.5))
    for color in range(10):
        steps.append(Step(f"keep(color {color})", colors.keep_color(color)))
        steps.append(Step(f"erase(color {color})", colors.erase_color(color)))
        steps.append(Step(f"paint_shapes(color {color})", colors.paint_shapes(color)))
    return tuple(steps)


def finishing_steps() -> tuple[Step, ...]:
    return tuple(step for step in catalog() if step.finishing)
