"""The MIT test-time-training strategy (Akyürek et al., 2024): what to train on for one task and which
views to predict under.

Training data comes from the task's own demonstrations: each pair in turn is the query of a
leave-one-out task made of the others, and every such task is seen under several invertible
augmentations (symmetries, color permutations keeping 0, demonstration orders), up to a budget.
When there are enough pairs, one is held out entirely (never a query nor a demonstration in
training) and becomes the validation set: it is the query of tasks made of all the other pairs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.augmentation import Augmentation, augmentation_plan, inference_plan
from arc_ttt.domain.ttt.examples import TTTDataset, TTTExample


@dataclass(frozen=True, slots=True, kw_only=True)
class MitTTTOptions:
    """No defaults here: the application builds these from the `ttt.data` and `ttt.inference` settings."""

    augmentations_per_task: int  # views of each leave-one-out task (identity included)
    max_examples: int  # training examples per task, at most
    holdout: bool  # hold one demonstration pair out for validation (needs >= 3 pairs)
    validation_views: int  # views of the held-out task
    geometric: bool
    colors: bool
    shuffle: bool
    inference_transforms: int  # symmetries predicted under (identity first)
    inference_samples: int  # views per symmetry (colors, order) for voting within it
    seed: int


def leave_one_out(pairs: tuple[Example, ...], limit: int | None = None) -> list[TTTExample]:
    """Each pair as the query of a task made of the other pairs (tasks need at least one demonstration); the
    first `limit` of them when a limit is given (each holds every other pair: all of them for a task of
    thousands of pairs would take time and memory growing with the square of its pairs)."""
    if len(pairs) < 2:
        return []
    count = len(pairs) if limit is None else min(limit, len(pairs))
    return [TTTExample(pairs[:i] + pairs[i + 1 :], pairs[i]) for i in range(count)]


def augmented(examples: list[TTTExample], views: int, rng: random.Random, options: MitTTTOptions) -> list[
        list[TTTExample]]:
    """For each example, its views (identity first), each a full transform of demonstrations and query."""
    result = []
    for example in examples:
        plan = augmentation_plan(rng, views, num_examples=len(example.demonstrations), geometric=options.geometric,
                                 colors=options.colors, shuffle=options.shuffle)
        result.append([apply_view(aug, example) for aug in plan])
    return result


def apply_view(aug: Augmentation, example: TTTExample) -> TTTExample:
    return TTTExample(aug.apply_examples(example.demonstrations), aug.apply_example(example.query))


def round_robin(groups: list[list[TTTExample]], budget: int) -> list[TTTExample]:
    """Take one view of every base task in turn, so a small budget still covers every query."""
    chosen: list[TTTExample] = []
    depth = 0
    while len(chosen) < budget and any(depth < len(g) for g in groups):
        for group in groups:
            if depth < len(group) and len(chosen) < budget:
                chosen.append(group[depth])
        depth += 1
    return chosen


class MitTTTStrategy:
    def __init__(self, options: MitTTTOptions) -> None:
        self.options = options

    def _rng(self, task: Task, purpose: str) -> random.Random:
        return random.Random(f"{self.options.seed}:{task.id}:{purpose}")

    def dataset(self, task: Task) -> TTTDataset:
        pairs = tuple(ex for ex in task.train if ex.output is not None)
        options = self.options
        validation: list[TTTExample] = []
        if options.holdout and len(pairs) >= 3:
            held, pairs = pairs[-1], pairs[:-1]
            rng = self._rng(task, "validation")
            validation = augmented([TTTExample(pairs, held)], options.validation_views, rng, options)[0]
        # round_robin takes one view of each base task before a second of any, so the first max_examples base
        # tasks are all it can ever take: the others are not built
        groups = augmented(leave_one_out(pairs, options.max_examples), options.augmentations_per_task,
                           self._rng(task, "train"), options)
        return TTTDataset(tuple(round_robin(groups, options.max_examples)), tuple(validation))

    def inference_views(self, task: Task) -> list[Augmentation]:
        return inference_plan(self._rng(task, "inference"), transforms=self.options.inference_transforms,
                              per_transform=self.options.inference_samples, num_examples=len(task.train),
                              colors=self.options.colors, shuffle=self.options.shuffle)
