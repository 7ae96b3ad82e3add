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

import numpy as np

from arc_ttt.domain.programs.catalog import Step, catalog, finishing_steps
from arc_ttt.domain.programs.cell_logic import learn_cell_logic
from arc_ttt.domain.programs.fits import Fit
from arc_ttt.domain.programs.image_classes import learn_image_classes
from arc_ttt.domain.programs.images import NEW, Image, valid
from arc_ttt.domain.programs.local_rules import learn_local_rules

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


def learn_color_map(sources: Sequence[Image], targets: Sequence[Image]) -> dict[int, int] | None:
    mapping: dict[int, int] = {}
    for src, dst in zip(sources, targets):
        if src.shape != dst.shape:
            return None
        pairs = np.unique(src.astype(np.int16) * 16 + dst, return_counts=False)
        for code in pairs.tolist():
            a, b = divmod(code, 16)
            if mapping.setdefault(a, b) != b:
                return None
    return mapping


def _recolor(image: Image, mapping: dict[int, int]) -> Image | None:
    table = np.arange(16, dtype=np.uint8)
    for a, b in mapping.items():
        table[a] = b
    out = table[image]
    return None if int(out.max()) > 9 else out


def _finish(state: _State, n_train: int, outputs: Sequence[Image]) -> Fit | None:
    train, tests = state.images[:n_train], state.images[n_train:]
    if any(img.shape != out.shape for img, out in zip(train, outputs)):
        return None
    if all(np.array_equal(img, out) for img, out in zip(train, outputs)):
        if any(int(img.max()) >= NEW for img in tests):
            return None
        return Fit(state.steps, "as is", state.cost, tests)
    mapping = learn_color_map(train, outputs)
    if mapping is None:
        return None
    predictions = tuple(_recolor(img, mapping) for img in tests)
    if any(p is None for p in predictions):
        return None
    changes = {a: b for a, b in sorted(mapping.items()) if a != b}
    # every learned color pair is one more free parameter, so a bigger map is a weaker explanation
    cost = state.cost + 0.5 + 0.25 * max(0, len(changes) - 1)
    return Fit(state.steps, f"recolor {changes}", cost, predictions)  # type: ignore[arg-type]


_CORNERS = {"top-left": (False, False), "top-right": (False, True),
            "bottom-left": (True, False), "bottom-right": (True, True)}


def _corner(image: Image, shape: tuple[int, int], corner: str) -> Image | None:
    (h, w), (bottom, right) = shape, _CORNERS[corner]
    if image.shape[0] < h or image.shape[1] < w:
        return None
    rows = slice(image.shape[0] - h, None) if bottom else slice(0, h)
    columns = slice(image.shape[1] - w, None) if right else slice(0, w)
    return image[rows, columns]


def _finish_in_corner(state: _State, n_train: int, outputs: Sequence[Image]) -> Fit | None:
    """The outputs are one fixed-size window in the same corner of every image (a cut the search
    cannot name as a step, since the size comes from the train outputs)."""
    shape = outputs[0].shape
    train, tests = state.images[:n_train], state.images[n_train:]
    if any(out.shape != shape for out in outputs) or all(img.shape == shape for img in train):
        return None
    for corner in _CORNERS:
        if all((cut := _corner(img, shape, corner)) is not None and np.array_equal(cut, out)
               for img, out in zip(train, outputs)):
            predictions = [_corner(img, shape, corner) for img in tests]
            if any(p is None or int(p.max()) >= NEW for p in predictions):
                return None
            return Fit(state.steps, f"corner({corner}, {shape[0]}x{shape[1]})", state.cost + 1.0,
                       tuple(p.copy() for p in predictions if p is not None))
    return None


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
    if index == 0:  # not a search: judged once, by the first shard
        fits += learn_image_classes(train, tests)
    for depth in range(limits.max_depth + 1):
        if depth == 1 and shards > 1:
            layer = layer[index::shards]
        # the empty program is every shard's root: only the first shard judges it
        for state in ([] if depth == 0 and index > 0 else layer):
            fit = _finish(state, n_train, outputs) or _finish_in_corner(state, n_train, outputs)
            if fit is not None:
                fits.append(fit)
            elif depth <= limits.cell_rules_depth:
                pairs = list(zip(state.images[:n_train], outputs))
                fits += learn_local_rules(pairs, state.images[n_train:], state.steps, state.cost)
                if all(int(img.max()) < NEW for img in state.images):
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
    fits.sort(key=lambda f: f.cost)
    return fits
