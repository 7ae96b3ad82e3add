"""Test-time training works as a mechanism: on generated tasks, fitting a LoRA adapter on the
leave-one-out dataset lowers the held-out loss and raises held-out token accuracy (a real run on a
tiny randomly initialised model, so the gain is learned from the task's demonstrations alone)."""

from __future__ import annotations

import random
from collections.abc import Callable

from arc_ttt.adapters.models.backend import TransformersBackend
from arc_ttt.adapters.models.model_loading import build_model
from arc_ttt.adapters.system.clock import MonotonicClock
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
from arc_ttt.domain.ttt.training import TrainingOrchestrator
from tests.builders import backend_options, data_options, service_options, training_policy

Rule = Callable[[Grid], Grid]
RULES: dict[str, Rule] = {
    "swap_1_2": lambda g: Grid(tuple(tuple({1: 2, 2: 1}.get(c, c) for c in row) for row in g.rows)),
    "flip_h": lambda g: Grid(tuple(row[::-1] for row in g.rows)),
    "flip_v": lambda g: Grid(g.rows[::-1]),
    "paint_3": lambda g: Grid(tuple(tuple(3 if c else 0 for c in row) for row in g.rows)),
}


def generated_task(name: str, rule: Rule, seed: int) -> Task:
    rng = random.Random(seed)

    def pair() -> Example:
        h, w = rng.randint(3, 5), rng.randint(3, 5)
        g = Grid.of([[rng.choice([0, 0, 1, 2, 4]) for _ in range(w)] for _ in range(h)])
        return Example(g, rule(g))

    return Task(f"{name}-{seed}", tuple(pair() for _ in range(4)), (Example(pair().input),))


def test_ttt_lowers_held_out_loss_and_raises_token_accuracy_on_most_tasks() -> None:
    backend = TransformersBackend(build_model("tiny", seed=0),
                                  backend_options(lora_rank=8, lora_alpha=16, lora_dropout=0.0))
    strategy = MitTTTStrategy(data_options(augmentations_per_task=4, max_examples=24, validation_views=2))
    policy = training_policy(max_steps=20, batch_size=4, micro_batch_size=4, learning_rate=1e-2, warmup_steps=2,
                             eval_every=0, wall_seconds=120)
    tasks = [generated_task(name, rule, seed) for seed, (name, rule) in enumerate(sorted(RULES.items()))]
    tasks += [generated_task(name, rule, 10 + seed) for seed, (name, rule) in enumerate(sorted(RULES.items()))][:2]
    improved = []
    for task in tasks:
        backend.new_adapter(seed=0)
        data = strategy.dataset(task)
        assert data.validation, "four pairs leave one out for validation"
        report = TrainingOrchestrator(backend, MonotonicClock(), policy).fit(data.train, data.validation)
        assert report.steps == 20
        improved.append(report.val_loss_after < report.val_loss_before
                        and report.val_accuracy_after > report.val_accuracy_before)
    assert sum(improved) >= len(tasks) - 1, improved


def test_the_whole_service_answers_a_rule_the_tiny_model_can_learn() -> None:
    """Every output is the 1x1 background grid: learnable in seconds, so the path from training through
    generation, inverse transforms and voting must deliver it, and it must come from training."""
    from arc_ttt.domain.ttt.examples import TTTExample
    from arc_ttt.domain.ttt.service import TTTModelService

    rng = random.Random(1)

    def grid() -> Grid:
        h, w = rng.randint(2, 4), rng.randint(2, 4)
        return Grid.of([[rng.choice([0, 1, 2, 5]) for _ in range(w)] for _ in range(h)])

    dot = Grid.of([[0]])
    task = Task("dot", tuple(Example(grid(), dot) for _ in range(4)), (Example(grid()),))
    # unconstrained decoding: the shape constraint alone would force the 1x1 frame, and the point here is
    # that training teaches the model the whole answer
    backend = TransformersBackend(build_model("tiny", seed=0),
                                  backend_options(lora_dropout=0.0, constrained_decoding=False))
    untrained = backend.generate([TTTExample(task.train, Example(task.test[0].input))])
    assert untrained != [dot]
    strategy = MitTTTStrategy(data_options(max_examples=32, inference_samples=1))
    policy = training_policy(max_steps=40, learning_rate=1e-2, batch_size=4, micro_batch_size=4, eval_every=10)
    solution = TTTModelService(backend, strategy, policy, MonotonicClock(),
                               options=service_options()).solve(task, time_limit=120)
    best = solution.candidates[0][0]
    assert best.grid == dot and best.score >= 6  # most of the 8 symmetries agree
