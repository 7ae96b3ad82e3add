"""Policies of the training orchestrator, driven by a fake backend whose adapter is a step counter."""

from __future__ import annotations

import itertools
import math

import pytest

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example
from arc_ttt.domain.errors import OutOfMemory
from arc_ttt.domain.ttt.examples import Evaluation, TTTExample
from arc_ttt.domain.ttt.training import TrainingOrchestrator, learning_rate_at
from tests.builders import training_policy
from tests.fakes import FakeClock, FakeModelBackend

G = Grid.of([[1, 0], [0, 1]])
EXAMPLES = tuple(TTTExample((Example(G, G),), Example(G, G)) for _ in range(6))
VALIDATION = EXAMPLES[:1]


def fit(backend: FakeModelBackend, clock: FakeClock | None = None, validation=VALIDATION, **policy) -> object:
    defaults = {"max_steps": 10, "batch_size": 2, "micro_batch_size": 2, "eval_every": 2, "warmup_steps": 0}
    orchestrator = TrainingOrchestrator(backend, clock or FakeClock(), training_policy(**{**defaults, **policy}))
    return orchestrator.fit(EXAMPLES, validation)


def test_runs_to_max_steps_and_reports_held_out_gain() -> None:
    backend = FakeModelBackend()
    report = fit(backend)
    assert report.stop_reason == "max_steps" and report.steps == 10 and backend.updates == 10
    assert report.val_loss_after < report.val_loss_before
    assert report.val_accuracy_after > report.val_accuracy_before
    assert report.train_tokens == 10 * 2 * 10  # every processed token of every healthy step


def test_gradient_accumulation_keeps_the_effective_batch() -> None:
    backend = FakeModelBackend()
    fit(backend, batch_size=4, micro_batch_size=1, max_steps=3)
    assert backend.micro_batches == [1] * 12  # four forward passes per optimizer step
    assert backend.update_sizes == [4, 4, 4]
    assert backend.update_weights == [1.0, 1.0, 1.0]  # micro-batch gradients are weighted to one batch


def test_out_of_memory_halves_the_micro_batch_and_keeps_the_effective_batch() -> None:
    backend = FakeModelBackend(oom_above=1)
    report = fit(backend, batch_size=4, micro_batch_size=4, max_steps=3)
    assert report.stop_reason == "max_steps" and report.steps == 3
    assert report.oom_backoffs == 2 and report.micro_batch_size == 1
    assert backend.update_sizes == [4, 4, 4] and backend.update_weights == [1.0, 1.0, 1.0]


def test_out_of_memory_at_one_example_stops_cleanly() -> None:
    backend = FakeModelBackend(oom_above=0)
    report = fit(backend, batch_size=2, micro_batch_size=2)
    assert report.stop_reason == "out of memory" and backend.updates == 0


def test_out_of_memory_in_the_optimizer_step_stops_and_keeps_the_best_state() -> None:
    class UpdateOOM(FakeModelBackend):
        def apply_update(self, learning_rate: float) -> None:
            if self.updates == 3:
                raise OutOfMemory("fake: optimizer state")
            super().apply_update(learning_rate)

    backend = UpdateOOM()
    report = fit(backend, max_steps=10, eval_every=2)
    assert report.stop_reason == "out of memory" and backend.updates == 3 and backend.pending == 0.0


def test_divergence_restores_the_last_good_state_and_lowers_the_learning_rate() -> None:
    blown = {"done": False}

    def loss(b: FakeModelBackend) -> float:
        if b.updates == 5 and not blown["done"]:
            blown["done"] = True
            return math.nan
        return 1.0

    backend = FakeModelBackend(loss=loss)
    policy = training_policy(max_steps=10, batch_size=2, micro_batch_size=2, eval_every=2, warmup_steps=0,
                             min_lr_ratio=1.0, learning_rate=0.1, lr_backoff=0.5)
    report = TrainingOrchestrator(backend, FakeClock(), policy).fit(EXAMPLES, ())
    assert report.divergences == 1
    assert 4 in backend.imports  # snapshot taken after step 4 (eval_every=2), restored at the NaN
    assert backend.learning_rates[:5] == [0.1] * 5
    assert backend.learning_rates[5:] == [0.05] * (len(backend.learning_rates) - 5)


def test_loss_spike_against_running_mean_counts_as_divergence() -> None:
    calls = {"n": 0}

    def loss(b: FakeModelBackend) -> float:
        calls["n"] += 1
        return 50.0 if calls["n"] == 6 else 1.0

    backend = FakeModelBackend(loss=loss)
    report = fit(backend, validation=(), spike_factor=4.0, spike_after=3)
    assert report.divergences == 1 and report.stop_reason == "max_steps"
    assert 50.0 not in report.losses


def test_a_loss_up_from_near_zero_but_below_the_start_is_not_a_divergence() -> None:
    """A task being learnt brings its loss near 0; a harder augmentation then reads ten times the running mean.
    Restoring the last good state there would throw the learning away."""
    losses = iter([1.0, 0.5, 0.1] + [0.02] * 20 + [0.3, 0.02])
    backend = FakeModelBackend(loss=lambda b: next(losses))
    report = fit(backend, validation=(), max_steps=25, spike_factor=4.0, spike_after=3)
    assert report.divergences == 0 and 0.3 in report.losses and backend.updates == 25


def test_divergence_retries_are_bounded() -> None:
    backend = FakeModelBackend(loss=lambda b: math.inf)
    report = fit(backend, max_restores=2)
    assert report.stop_reason == "diverged" and report.divergences == 3 and backend.updates == 0


def test_early_stopping_with_patience_restores_the_best_state() -> None:
    def evaluation(b: FakeModelBackend) -> Evaluation:
        loss = 2.0 - 0.2 * b.updates if b.updates <= 4 else 1.2 + 0.3 * (b.updates - 4)
        return Evaluation(loss, 0.5, 10)

    backend = FakeModelBackend(evaluation=evaluation)
    report = fit(backend, max_steps=40, eval_every=2, patience=2)
    assert report.stop_reason == "early stop" and report.steps == 8
    assert backend.updates == 4 and report.val_loss_after == pytest.approx(1.2)


def test_stops_at_target_accuracy() -> None:
    backend = FakeModelBackend(evaluation=lambda b: Evaluation(1.0 / (1 + b.updates), 0.25 * b.updates, 10))
    report = fit(backend, max_steps=40, eval_every=1, target_accuracy=1.0)
    assert report.stop_reason == "target accuracy" and report.steps == 4
    assert report.val_accuracy_after == 1.0


def test_wall_time_budget_stops_training() -> None:
    backend = FakeModelBackend()
    report = fit(backend, FakeClock(tick=1.0), max_steps=100, wall_seconds=10.0, eval_every=0, validation=())
    assert report.stop_reason == "time budget" and 0 < report.steps < 10


def test_training_that_never_helps_leaves_the_fresh_adapter() -> None:
    backend = FakeModelBackend(evaluation=lambda b: Evaluation(1.0 + b.updates, 0.0, 10))
    report = fit(backend, max_steps=6, eval_every=2, patience=5)
    assert backend.updates == 0 and report.val_loss_after == report.val_loss_before


def test_epochs_bound_the_number_of_steps() -> None:
    backend = FakeModelBackend()
    report = fit(backend, max_steps=100, epochs=2, batch_size=2, eval_every=0)
    assert report.steps == 6  # 2 epochs x 6 examples / batch 2


def test_cosine_schedule_with_warmup() -> None:
    policy = training_policy(learning_rate=1.0, warmup_steps=3, min_lr_ratio=0.1)
    rates = [learning_rate_at(step, 20, policy) for step in range(20)]
    assert rates[0] < rates[1] < rates[2] < rates[3] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(rates[3:]))
    assert rates[-1] > 0.1 and learning_rate_at(20, 20, policy) == pytest.approx(0.1)


def test_the_loss_is_read_once_per_step_after_every_micro_batch() -> None:
    """A device-side loss is read only when the step's divergence check needs it: after the last
    micro-batch of the step has been queued, never between micro-batches."""
    events: list[str] = []

    class DeviceLoss:
        def __init__(self, value: float) -> None:
            self.value = value

        def __float__(self) -> float:
            events.append("read")
            return self.value

    class DeferredBackend(FakeModelBackend):
        def accumulate(self, batch, weight):  # type: ignore[no-untyped-def]
            events.append("micro-batch")
            result = super().accumulate(batch, weight)
            return type(result)(DeviceLoss(float(result.loss)), result.tokens, result.target_tokens)

    report = fit(DeferredBackend(), validation=(), batch_size=4, micro_batch_size=2, max_steps=3)
    assert report.steps == 3
    assert events == ["micro-batch", "micro-batch", "read", "read"] * 3
    assert all(isinstance(loss, float) for loss in report.losses)
