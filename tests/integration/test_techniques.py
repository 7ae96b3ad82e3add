"""Each technique switch runs end to end on a tiny real model: training, the technique's own tensor work
(scoring, entropy steps, repeated updates) and voting, leaving two attempts per test input."""

from __future__ import annotations

import math
import random

import pytest

from arc_ttt.adapters.models.backend import TransformersBackend
from arc_ttt.adapters.models.model_loading import build_model
from arc_ttt.adapters.system.clock import MonotonicClock
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.examples import TTTExample
from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
from arc_ttt.domain.ttt.notes import TTTNote
from arc_ttt.domain.ttt.service import TTTModelService
from tests.builders import (
    backend_options,
    confidence_rule,
    data_options,
    entropy_policy,
    notes_of,
    predict_correct_policy,
    scoring_options,
    service_options,
    training_policy,
)


def flip_task() -> Task:
    rng = random.Random(3)

    def grid() -> Grid:
        return Grid.of([[rng.choice([0, 1, 2]) for _ in range(3)] for _ in range(3)])

    pairs = []
    for _ in range(4):
        g = grid()
        pairs.append(Example(g, Grid(g.rows[::-1])))
    return Task("flip", tuple(pairs), (Example(grid()), Example(grid())))


@pytest.fixture(scope="module")
def backend() -> TransformersBackend:
    return TransformersBackend(build_model("tiny", seed=0), backend_options(lora_dropout=0.0))


def solve(backend: TransformersBackend, **switches: object) -> tuple[Task, TTTNote, list[int]]:
    task = flip_task()
    strategy = MitTTTStrategy(data_options(augmentations_per_task=4, max_examples=16, inference_transforms=4,
                                           inference_samples=2, validation_views=2))
    policy = training_policy(max_steps=12, batch_size=2, micro_batch_size=2, learning_rate=1e-2, eval_every=0)
    service = TTTModelService(backend, strategy, policy, MonotonicClock(), options=service_options(**switches))
    solution = service.solve(task, time_limit=60)
    return task, notes_of(solution), [len(c) for c in solution.candidates]


def test_fixed_rounds_baseline(backend: TransformersBackend) -> None:
    task, notes, counts = solve(backend)
    assert notes.predictions == 8 * len(task.test)
    assert len(counts) == 2 and all(1 <= n <= 2 for n in counts)


def test_confidence_rounds_run_and_respect_the_view_cap(backend: TransformersBackend) -> None:
    task, notes, counts = solve(backend, confidence=confidence_rule(round_views=2, min_views=2, max_views=12))
    assert 2 * len(task.test) <= notes.predictions <= 12 * len(task.test)
    assert len(counts) == 2


def test_augmentation_scoring_scores_real_log_probs(backend: TransformersBackend) -> None:
    _, notes, counts = solve(backend, scoring=scoring_options(candidates=3, views=2))
    assert notes.scored is not None and notes.scored >= 2 * 2  # >= one candidate x 2 views per input
    assert len(counts) == 2
    task = flip_task()
    example = TTTExample(task.train[:3], task.train[3])
    wrong = TTTExample(task.train[:3], Example(task.train[3].input, Grid.filled(3, 3, 7)))
    right, other = backend.score_answers([example, wrong])
    assert right is not None and other is not None and right <= 0 and other <= 0 and math.isfinite(right)
    # the same number teacher-forced evaluation reports (mean loss over the answer tokens, loss on the query)
    evaluation = backend.evaluate([example])
    assert right == pytest.approx(-evaluation.loss * evaluation.tokens, rel=1e-4)


def test_entropy_steps_run_after_training(backend: TransformersBackend) -> None:
    _, notes, counts = solve(backend, entropy=entropy_policy(steps=3, learning_rate=1e-3, views=2))
    assert notes.entropy is not None
    if notes.entropy.stop_reason == "no answers":  # the tiny model produced no grid at all: nothing to sharpen
        pytest.skip("no parsable answer to sharpen")
    assert notes.entropy.steps == 3 and notes.entropy.tokens > 0
    assert len(counts) == 2


def test_predict_correct_skips_some_steps_and_trains(backend: TransformersBackend) -> None:
    _, notes, counts = solve(backend, predict_correct=predict_correct_policy(warmup=3, window=3, tolerance=1.0))
    assert notes.training is not None and notes.training.predicted_steps >= 1 and notes.training.steps == 12
    assert len(counts) == 2


def test_repeating_an_update_moves_the_adapter_by_the_same_change(backend: TransformersBackend) -> None:
    import torch

    backend.new_adapter(0)
    params = [p for p in backend.model.parameters() if p.requires_grad]
    task = flip_task()
    backend.accumulate([TTTExample(task.train[:3], task.train[3])], 1.0)
    backend.remember_parameters()
    before = [p.detach().clone() for p in params]
    backend.apply_update(1e-2)
    after = [p.detach().clone() for p in params]
    backend.repeat_last_update(0.5)
    for b, a, p in zip(before, after, params):
        assert torch.allclose(p, a + 0.5 * (a - b), atol=1e-6)
