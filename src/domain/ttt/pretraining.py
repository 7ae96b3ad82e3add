"""What pretraining learns from, and how fast: ARC training tasks as an endless, reproducible stream
of leave-one-out episodes under invertible augmentations, and a warmup + cosine learning rate.

Pretraining must never see an evaluation task, so the pool drops every task id that occurs in any
evaluation set. The stream is a pure function of (seed, position): episode `k` is always the same
episode, so a resumed run only needs the position to continue exactly where the last one stopped.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from arc_ttt.domain.arc.generators import Split, generate
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.augmentation import Augmentation, random_color_permutation, random_order
from arc_ttt.domain.ttt.examples import TTTExample


def training_pool(training: Iterable[Task], excluded_ids: Iterable[str],
                  evaluation: Iterable[Task] = ()) -> tuple[Task, ...]:
    """Training tasks (first occurrence of each id, sorted by id) minus any id in `excluded_ids`, minus
    any task that shares a solved pair (the same input and output grids) with an `evaluation` task
    (the same puzzle under another id), and minus tasks with fewer than two solved pairs (no
    leave-one-out episode can be made of them)."""
    excluded = set(excluded_ids)
    held_out = {(ex.input, ex.output) for task in evaluation for ex in solved_pairs(task)}
    chosen: dict[str, Task] = {}
    for task in training:
        if task.id in excluded or task.id in chosen:
            continue
        if any((ex.input, ex.output) in held_out for ex in solved_pairs(task)):
            continue
        if len(solved_pairs(task)) >= 2:
            chosen[task.id] = task
    return tuple(chosen[k] for k in sorted(chosen))


def solved_pairs(task: Task) -> tuple[Example, ...]:
    """Every pair with a known output: demonstrations and, for training tasks, the solved tests."""
    return tuple(ex for ex in (*task.train, *task.test) if ex.output is not None)


@dataclass(frozen=True, slots=True)
class StreamOptions:
    geometric: bool = True
    colors: bool = True
    shuffle: bool = True
    max_demonstrations: int = 8  # demonstrations per episode, at most (the query is one more pair)
    generated_share: float = 0.0  # fraction of episodes made from a freshly generated task instead
    generated: Split = field(default_factory=Split)  # the generators' side they come from

    def __post_init__(self) -> None:
        if not 0.0 <= self.generated_share <= 1.0:
            raise ValueError(f"generated_share must be within 0..1, got {self.generated_share}")


class EpisodeStream:
    """Episode `k` of an endless stream over `tasks`: each epoch visits every task once in a shuffled
    order; the episode picks one solved pair as the query, the others (shuffled, capped) as
    demonstrations, then applies a random symmetry and color permutation keeping 0. With a
    `generated_share`, that fraction of positions uses a freshly generated task (domain/arc/generators.py)
    in place of the training task due there, drawn from `generated`'s side of the held-out split (a
benchmark of test-time learning pretrains on the `seen` side and evaluates on the held-out sides)."""

    def __init__(self, tasks: tuple[Task, ...], seed: int = 0, options: StreamOptions | None = None) -> None:
        if not tasks:
            raise ValueError("no training tasks to pretrain on")
        self.tasks = tasks
        self.seed = seed
        self.options = options or StreamOptions()
        self._orders: dict[int, list[int]] = {}

    def _order(self, epoch: int) -> list[int]:
        if epoch not in self._orders:
            if len(self._orders) > 4:
                self._orders.clear()
            order = list(range(len(self.tasks)))
            random.Random(f"{self.seed}:epoch:{epoch}").shuffle(order)
            self._orders[epoch] = order
        return self._orders[epoch]

    def task_at(self, position: int) -> Task:
        epoch, offset = divmod(position, len(self.tasks))
        return self.tasks[self._order(epoch)[offset]]

    def episode(self, position: int) -> TTTExample:
        if position < 0:
            raise ValueError(f"stream position must be >= 0, got {position}")
        rng = random.Random(f"{self.seed}:episode:{position}")
        share = self.options.generated_share
        if share > 0 and random.Random(f"{self.seed}:source:{position}").random() < share:
            task = generate(random.Random(f"{self.seed}:generated:{position}"), split=self.options.generated)
        else:
            task = self.task_at(position)
        pairs = list(solved_pairs(task))
        query = pairs.pop(rng.randrange(len(pairs)))
        rng.shuffle(pairs)
        demonstrations = tuple(pairs[: max(1, self.options.max_demonstrations)])
        options = self.options
        dihedral = rng.choice(list(Dihedral)) if options.geometric else Dihedral.IDENTITY
        palette = random_color_permutation(rng) if options.colors else Augmentation().colors
        order = random_order(rng, len(demonstrations)) if options.shuffle and len(demonstrations) > 1 else ()
        view = Augmentation(dihedral, palette, order)
        return TTTExample(view.apply_examples(demonstrations), view.apply_example(query))


@dataclass(frozen=True, slots=True)
class Schedule:
    """Learning rate against tokens seen: linear warmup, then cosine decay to `floor * peak` at
    `total_tokens`, flat after. Measured in tokens (not steps) so runs of any length and batch size
    accumulate along one curve."""

    peak: float
    total_tokens: int
    warmup_tokens: int
    floor: float = 0.1

    def rate(self, tokens_seen: int) -> float:
        if self.warmup_tokens > 0 and tokens_seen < self.warmup_tokens:
            return self.peak * max(tokens_seen, 1) / self.warmup_tokens
        span = max(1, self.total_tokens - self.warmup_tokens)
        progress = min(1.0, max(0.0, (tokens_seen - self.warmup_tokens) / span))
        return self.peak * (self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * progress)))


@dataclass(frozen=True, slots=True)
class PretrainProgress:
    """Where a pretraining run stands; saved with every checkpoint, accumulated across runs."""

    steps: int = 0
    tokens_seen: int = 0
    target_tokens_seen: int = 0
    stream_position: int = 0
    seconds: float = 0.0
    runs: int = 0
    last_loss: float | None = None
