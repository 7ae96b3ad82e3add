"""Composing partial answers: programs right on part of the output, laid one after another.

Many outputs are made of parts that different short programs compute: the input with its mirror image
drawn over it, one color's cells moved and the rest kept, a shape erased where another one says. No
single program explains such a task, but each of a few programs is right on a share of the output's
cells. The search offers every program whose train images have the outputs' sizes; `compose` then lays
them greedily, the way a painter fills a canvas: each turn takes the program and the part of it (its
colored cells, its background cells, or all of them) that is right on every cell not yet painted and
paints the most of them, until every train output is complete. The test answer is painted with the
same programs, parts and order; a test cell nobody paints is background. This is the deepest layer
of the search: it explains tasks no composition of steps does, at the price of weaker evidence, so its
answers are never called sure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from arc_ttt.domain.programs.dsl.images import NEW, Image, background
from arc_ttt.domain.programs.fits import COMPOSE, PARTIAL, Fit

MAX_PIECES = 4
PIECE_COST = 1.0  # each piece beyond the first is one more choice the train pairs had to confirm
PARTS = ("colored cells", "background cells", "all cells")  # the part of a program's image a turn paints
MISSED_PAIR_COST = 10.0  # a program that misses a train pair ranks after every program that explains them all


@dataclass(frozen=True, slots=True)
class _Turn:
    index: int  # which offered program
    part: int  # an index into PARTS


@dataclass(slots=True)
class PieceCollector:
    """The programs whose train images have the outputs' sizes, as the search meets them (cheapest first)."""

    outputs: Sequence[Image]
    limit: int = 20_000
    background: int = field(init=False)
    _target: np.ndarray = field(init=False)  # every train output's cells, flattened and joined
    _steps: list[tuple[str, ...]] = field(init=False, default_factory=list)
    _costs: list[float] = field(init=False, default_factory=list)
    _tests: list[tuple[Image, ...]] = field(init=False, default_factory=list)
    _wrong: list[np.ndarray] = field(init=False, default_factory=list)  # packed: cells unlike the output
    _blank: list[np.ndarray] = field(init=False, default_factory=list)  # packed: cells of the background
    _starts: np.ndarray = field(init=False)  # where each train output's cells begin in `_target`
    _nearest: tuple[float, tuple[str, ...], tuple[Image, ...]] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._target = np.concatenate([out.ravel() for out in self.outputs])
        self.background = background(self._target.reshape(1, -1))
        self._starts = np.cumsum([0] + [out.size for out in self.outputs[:-1]])

    def __len__(self) -> int:
        return len(self._steps)

    def offer(self, steps: tuple[str, ...], cost: float, images: Sequence[Image]) -> None:
        """Keep the program if its train images could be laid on the outputs and its tests are finished."""
        if len(self._steps) >= self.limit:
            return
        n_train = len(self.outputs)
        if any(image.shape != output.shape for image, output in zip(images, self.outputs)):
            return
        tests = tuple(images[n_train:])
        if any(int(img.max()) >= NEW for img in tests):
            return
        train = np.concatenate([image.ravel() for image in images[:n_train]])
        wrong = train != self._target
        if not wrong.any() or wrong.all():  # a whole answer (the search's own fit) or right nowhere
            return
        self._note_missed_pairs(steps, cost, wrong, tests)
        self._steps.append(steps)
        self._costs.append(cost)
        self._tests.append(tests)
        self._wrong.append(np.packbits(wrong))
        self._blank.append(np.packbits(train == self.background))

    def _note_missed_pairs(self, steps: tuple[str, ...], cost: float, wrong: np.ndarray,
                           tests: tuple[Image, ...]) -> None:
        """Remember the cheapest program that reproduces all train outputs but one exactly."""
        if len(self.outputs) < 3 or (self._nearest is not None and self._nearest[0] <= cost):
            return
        if int((np.add.reduceat(wrong, self._starts) > 0).sum()) == 1:
            self._nearest = (cost, steps, tests)

    def nearest(self) -> list[Fit]:
        """The program closest to explaining the task, when it misses only one of at least three train pairs:
        a guess better founded than none, ranked after every program that explains them all."""
        if self._nearest is None:
            return []
        cost, steps, tests = self._nearest
        n_train = len(self.outputs)
        return [Fit((*steps, PARTIAL), f"right on {n_train - 1} of {n_train} train pairs",
                    cost + MISSED_PAIR_COST, tests)]

    def compose(self, max_pieces: int = MAX_PIECES) -> list[Fit]:
        """Whole answers the greedy painter lays from two or more programs, where they complete every output:
        its first choice, and the one it makes when its first turn is barred (a second attempt that does not
        hang on that turn)."""
        if len(self._steps) < 2:
            return []
        wrong, blank, costs = np.stack(self._wrong), np.stack(self._blank), np.array(self._costs)
        first = _paint(wrong, blank, costs, self._target.size, max_pieces)
        if first is None:
            return []
        second = _paint(wrong, blank, costs, self._target.size, max_pieces, barred=first[0])
        return [fit for turns in (first, second) if turns is not None
                for fit in [self._laid(turns)] if fit is not None]

    def _laid(self, turns: Sequence[_Turn]) -> Fit | None:
        predictions: list[Image] = []
        for k in range(len(self._tests[0])):
            painted = _lay([self._tests[t.index][k] for t in turns], [t.part for t in turns], self.background)
            if painted is None:
                return None
            predictions.append(painted)
        words = " ".join(f"[{self._describe(t.index)}: {PARTS[t.part]}]" for t in turns)
        cost = sum(self._costs[t.index] for t in turns) + PIECE_COST * (len(turns) - 1)
        return Fit((COMPOSE,), f"lay one after another: {words}", cost, tuple(predictions))

    def _describe(self, index: int) -> str:
        return " -> ".join(self._steps[index]) if self._steps[index] else "input"


def _paint(wrong: np.ndarray, blank: np.ndarray, costs: np.ndarray, cells: int, max_pieces: int,
           barred: _Turn | None = None) -> list[_Turn] | None:
    """The greedy painter's turns over packed bit rows (one per program), or None if it cannot finish.

    A turn may use a program's part only if the part is right on every cell still unpainted; it paints
    the most unpainted cells, the cheaper program on a tie. Cells already painted keep their color. The
    `barred` turn may not be the first.
    """
    unpainted = np.packbits(np.ones(cells, dtype=bool))
    parts = (~blank, blank, np.full_like(blank, 0xFF))
    turns: list[_Turn] = []
    while np.bitwise_count(unpainted).sum():
        if len(turns) == max_pieces:
            return None
        open_wrong = wrong & unpainted
        best: tuple[int, float, _Turn] | None = None
        for part, active in enumerate(parts):
            usable = ~(open_wrong & active).any(axis=1)
            if not usable.any():
                continue
            gain = np.bitwise_count(active & unpainted).sum(axis=1, dtype=np.int64)
            gain[~usable] = 0
            if not turns and barred is not None and barred.part == part:
                gain[barred.index] = 0
            order = np.lexsort((costs, -gain))
            index = int(order[0])
            if gain[index] and (best is None or (gain[index], -costs[index]) > (best[0], -best[1])):
                best = (int(gain[index]), float(costs[index]), _Turn(index, part))
        if best is None:
            return None
        turn = best[2]
        turns.append(turn)
        unpainted &= ~parts[turn.part][turn.index]
    return turns if len(turns) >= 2 else None


def _lay(images: Sequence[Image], parts: Sequence[int], bg: int) -> Image | None:
    """A test answer painted turn by turn; None when the programs disagree about its size."""
    if len({image.shape for image in images}) > 1:
        return None
    out = np.full(images[0].shape, bg, dtype=np.uint8)
    unpainted = np.ones(images[0].shape, dtype=bool)
    for image, part in zip(images, parts):
        active = image != bg if part == 0 else image == bg if part == 1 else np.ones_like(unpainted)
        paint = active & unpainted
        out[paint] = image[paint]
        unpainted &= ~paint
    return out
