"""Breadth-first search over compositions of primitives, kept when they explain every train pair.

A state is the tuple of images obtained by running a program on all train and test inputs at
once, so two programs that compute the same images are one state (deduplicated by bytes). At each
state a finishing rule is tried: the images equal the train outputs, or a consistent color map
turns them into the train outputs. Programs are ranked by their cost (length first), and the test
predictions of the cheapest ones become the candidates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from arc_ttt.domain.programs.dsl.catalog import Step, catalog, finishing_steps
from arc_ttt.domain.programs.dsl.images import NEW, Image, valid
from arc_ttt.domain.programs.finishes import finish
from arc_ttt.domain.programs.fits import Fit
from arc_ttt.domain.programs.learners.attraction import learn_attraction
from arc_ttt.domain.programs.learners.cell_logic import learn_cell_logic
from arc_ttt.domain.programs.learners.color_answers import learn_color_answer
from arc_ttt.domain.programs.learners.color_steps import learn_color_steps
from arc_ttt.domain.programs.learners.counting import learn_counting
from arc_ttt.domain.programs.learners.image_classes import learn_image_classes
from arc_ttt.domain.programs.learners.line_drawing import learn_line_drawing
from arc_ttt.domain.programs.learners.local_rules import learn_local_rules
from arc_ttt.domain.programs.learners.panel_summary import learn_panel_summary
from arc_ttt.domain.programs.learners.picks import learn_picks
from arc_ttt.domain.programs.learners.stamps import learn_stamps
from arc_ttt.domain.programs.pieces import PieceCollector

Now = Callable[[], float]


@dataclass(frozen=True, slots=True)
class SearchLimits:
    max_depth: int = 3
    max_states: int = 40_000
    cell_rules_depth: int = 1  # learned cell tables are tried on states up to this depth
    enough_fits: int = 8  # stop once this many distinct programs fit (after finishing a depth)


@dataclass(slots=True)
class _State:
    steps: tuple[str, ...]
    cost: float
    images: tuple[Image, ...]


def _key(images: Sequence[Image]) -> bytes:
    return b"|".join(bytes(img.shape) + img.tobytes() for img in images)


def _expand(state: _State, step: Step, n_train: int, target_shapes: Sequence[tuple[int, int]] | None) -> _State | None:
    images: list[Image] = []
    for i, image in enumerate(state.images):
        try:
            result = step.apply(image)
        except (ValueError, IndexError):  # a primitive meeting a degenerate image is a non-match
            return None
        if result is None or not valid(result):
            return None
        if target_shapes is not None and i < n_train and result.shape != target_shapes[i]:
            return None
        images.append(result)
    return _State((*state.steps, step.name), state.cost + step.cost, tuple(images))


def search(
    train: Sequence[tuple[Image, Image]],
    tests: Sequence[Image],
    deadline: float,
    limits: SearchLimits | None = None,
    now: Now = time.monotonic,
    shard: tuple[int, int] = (0, 1),
) -> list[Fit]:
    """All programs found before `deadline` that fit every train pair, cheapest first.

    `shard` (k, n) splits the work between n searches: each keeps the k-th of every n programs of
    length one and explores only below those, so n processes share a task without talking.
    """
    index, shards = shard
    limits = limits or SearchLimits()
    n_train = len(train)
    outputs = [out for _, out in train]
    shapes = [out.shape for out in outputs]
    start = _State((), 0.0, tuple(inp for inp, _ in train) + tuple(tests))
    seen = {_key(start.images)}
    layer, fits = [start], []
    pieces = PieceCollector(outputs)
    if index == 0:  # not searches: judged once, by the first shard
        for learner in (learn_image_classes, learn_color_steps, learn_counting, learn_color_answer,
                        learn_panel_summary, learn_attraction):
            fits += learner(train, tests)
        fits += learn_line_drawing(train, tests, expired=lambda: now() > deadline)
        fits += learn_picks(train, tests, lambda: now() > deadline)
    for depth in range(limits.max_depth + 1):
        if depth <= 1:  # every shard may lay the shallow programs' pieces under the ones it finds deeper
            for state in layer:
                pieces.offer(state.steps, state.cost, state.images)
        if depth == 1 and shards > 1:
            layer = layer[index::shards]
        # the empty program is every shard's root: only the first shard judges it
        for state in ([] if depth == 0 and index > 0 else layer):
            fit = finish(state.steps, state.cost, state.images, n_train, outputs)
            if fit is not None:
                fits.append(fit)
                continue
            if depth > 1:
                pieces.offer(state.steps, state.cost, state.images)
            if depth <= limits.cell_rules_depth:
                pairs = list(zip(state.images[:n_train], outputs))
                fits += learn_local_rules(pairs, state.images[n_train:], state.steps, state.cost)
                if all(int(img.max()) < NEW for img in state.images):
                    fits += learn_stamps(pairs, state.images[n_train:], state.steps, state.cost)
                    # one or two facts on the inputs themselves; after a step, one fact (there are many states)
                    fits += learn_cell_logic(pairs, state.images[n_train:], lambda: now() > deadline, state.steps,
                                             state.cost, max_keys=2 if depth == 0 else 1, keep=2 if depth == 0 else 1)
        if depth == limits.max_depth or len(fits) >= limits.enough_fits:
            break
        last = depth + 1 == limits.max_depth
        steps = finishing_steps() if last and depth >= 2 else catalog()
        following: list[_State] = []
        for state in layer:
            if now() > deadline or len(seen) > limits.max_states:
                break
            for step in steps:
                child = _expand(state, step, n_train, shapes if last else None)
                if child is None:
                    continue
                key = _key(child.images)
                if key not in seen:
                    seen.add(key)
                    following.append(child)
        layer = following
    fits += pieces.compose() + pieces.nearest()
    fits.sort(key=lambda f: f.cost)
    return fits
