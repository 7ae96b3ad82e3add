"""The training orchestrator: the policy of one test-time training run.

It decides when to step, accumulate, validate, stop, restore and back off; the model backend does
the tensor work. Kept free of torch so every policy can be tested with a fake backend and clock.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from arc_ttt.domain.errors import OutOfMemory
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.ttt.examples import Evaluation, TrainingReport, TTTExample
from arc_ttt.domain.ttt.ports import ModelBackend


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingPolicy:
    """The budget and rules of one training run. No defaults here: the application builds it from the `ttt.training`
    settings (same field names), where each default is declared once."""

    max_steps: int  # optimizer steps at most
    epochs: float  # > 0: also stop after this many passes over the training examples
    wall_seconds: float
    batch_size: int  # effective batch: examples per optimizer step
    micro_batch_size: int  # examples per forward pass; halved on out-of-memory
    learning_rate: float
    warmup_steps: int
    min_lr_ratio: float  # the cosine ends at this fraction of the peak
    eval_every: int  # steps between validations (0: validate only before and after)
    patience: int  # validations without improvement before stopping early
    min_improvement: float  # held-out loss drop that counts as an improvement
    target_accuracy: float  # stop once held-out token accuracy reaches this (>1: never)
    spike_factor: float  # a loss above this multiple of its running mean and of the first loss is a divergence
    spike_after: int  # healthy steps needed before spikes are judged
    lr_backoff: float  # learning-rate factor after each divergence
    max_restores: int
    seed: int

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.micro_batch_size < 1:
            raise ValueError("batch sizes must be at least 1")
        if self.max_steps < 0 or self.patience < 1:
            raise ValueError("max_steps must be >= 0 and patience >= 1")

    def total_steps(self, num_examples: int) -> int:
        if self.epochs > 0 and num_examples > 0:
            return min(self.max_steps, max(1, math.ceil(self.epochs * num_examples / self.batch_size)))
        return self.max_steps


def learning_rate_at(step: int, total: int, policy: TrainingPolicy) -> float:
    """Linear warmup to the peak, then a cosine down to `min_lr_ratio` of it."""
    peak = policy.learning_rate
    if policy.warmup_steps > 0 and step < policy.warmup_steps:
        return peak * (step + 1) / (policy.warmup_steps + 1)
    span = max(1, total - policy.warmup_steps)
    progress = min(1.0, (step - policy.warmup_steps) / span)
    floor = peak * policy.min_lr_ratio
    return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


class _Batches:
    """Effective batches drawn epoch by epoch from a seeded shuffle."""

    def __init__(self, examples: Sequence[TTTExample], size: int, seed: int) -> None:
        self.examples = list(examples)
        self.size = size
        self.rng = random.Random(seed)
        self.queue: list[TTTExample] = []

    def next(self) -> list[TTTExample]:
        batch: list[TTTExample] = []
        while len(batch) < self.size:
            if not self.queue:
                self.queue = list(self.examples)
                self.rng.shuffle(self.queue)
            batch.append(self.queue.pop())
        return batch


class TrainingOrchestrator:
    def __init__(self, backend: ModelBackend, clock: Clock, policy: TrainingPolicy) -> None:
        self.backend = backend
        self.clock = clock
        self.policy = policy

    def fit(self, train: Sequence[TTTExample], validation: Sequence[TTTExample] = ()) -> TrainingReport:
        """Train the backend's current adapter on `train`; leave it at the best state seen."""
        return _Run(self.backend, self.clock, self.policy, train, validation).go()


class _Run:
    def __init__(self, backend: ModelBackend, clock: Clock, policy: TrainingPolicy,
                 train: Sequence[TTTExample], validation: Sequence[TTTExample]) -> None:
        self.backend, self.clock, self.policy = backend, clock, policy
        self.train, self.validation = list(train), list(validation)
        self.micro = min(policy.micro_batch_size, policy.batch_size)
        self.lr_scale = 1.0
        self.lr = 0.0
        self.running: float | None = None
        self.healthy = 0
        self.tokens = 0
        self.losses: list[float] = []
        self.divergences = 0
        self.ooms = 0
        self.start = clock.now()

    def _validate(self) -> Evaluation | None:
        if not self.validation:
            return None
        try:
            return self.backend.evaluate(self.validation)
        except OutOfMemory:
            return None

    def _step(self, batch: list[TTTExample]) -> tuple[float, int] | None:
        """Forward and backward over micro-batches; None when memory ran out even at one example."""
        while True:
            try:
                results = []
                for i in range(0, len(batch), self.micro):
                    chunk = batch[i : i + self.micro]
                    results.append((self.backend.accumulate(chunk, len(chunk) / len(batch)), len(chunk) / len(batch)))
                # the step's one read of a loss value (the divergence check needs it), after all micro-batches
                total_loss = sum(float(result.loss) * share for result, share in results)
                return total_loss, sum(result.tokens for result, _ in results)
            except OutOfMemory:
                self.backend.discard_gradients()
                if self.micro == 1:
                    return None
                self.micro = max(1, self.micro // 2)
                self.ooms += 1

    def _diverged(self, loss: float) -> bool:
        """Non-finite, or a spike above both the running mean and the first step's loss. Against the running mean
        alone, a fit that has brought its loss near 0 (a task learnt) reads the first harder augmentation as a
        divergence and throws the learning away."""
        if not math.isfinite(loss):
            return True
        if self.running is None or self.healthy < self.policy.spike_after:
            return False
        return loss > self.policy.spike_factor * max(self.running, self.losses[0])

    def _settle(self, stop: str, current: Evaluation | None, best_eval: Evaluation | None,
                best_state: bytes | None) -> Evaluation | None:
        """Leave the adapter at the best held-out state seen and return its evaluation."""
        if not self.validation:
            return None
        if stop == "target accuracy":
            return current
        final = current if stop == "early stop" else self._validate()
        if final is not None and (best_eval is None or final.loss <= best_eval.loss):
            return final
        if best_state is not None:
            self.backend.import_adapter(best_state)
        return best_eval

    def go(self) -> TrainingReport:
        policy, backend = self.policy, self.backend
        total = policy.total_steps(len(self.train))
        before = self._validate()
        best_eval = before
        best_state = backend.export_adapter() if before is not None else None
        last_good = backend.export_adapter()
        batches = _Batches(self.train, policy.batch_size, policy.seed)
        stop, steps, bad_evals = "max_steps", 0, 0
        current: Evaluation | None = None
        if not self.train or total == 0:
            stop = "no training examples" if not self.train else "max_steps"
            total = 0
        for step in range(total):
            if self.clock.now() - self.start >= policy.wall_seconds:
                stop = "time budget"
                break
            outcome = self._step(batches.next())
            if outcome is None:
                stop = "out of memory"
                break
            loss, tokens = outcome
            steps = step + 1
            if self._diverged(loss):
                backend.discard_gradients()
                self.divergences += 1
                if self.divergences > policy.max_restores:
                    backend.import_adapter(last_good)
                    stop = "diverged"
                    break
                backend.import_adapter(last_good)
                self.lr_scale *= policy.lr_backoff
                continue
            self.lr = learning_rate_at(step, total, policy) * self.lr_scale
            try:
                backend.apply_update(self.lr)
            except OutOfMemory:  # the optimizer state itself does not fit: nothing smaller to try
                backend.discard_gradients()
                stop = "out of memory"
                break
            self.tokens += tokens
            self.losses.append(loss)
            self.healthy += 1
            self.running = loss if self.running is None else 0.8 * self.running + 0.2 * loss
            due = policy.eval_every > 0 and steps % policy.eval_every == 0 and steps < total
            if not due:
                continue
            last_good = backend.export_adapter()  # finite losses so far: a state worth returning to
            current = self._validate()
            if current is None:
                continue
            if best_eval is None or current.loss < best_eval.loss - policy.min_improvement:
                best_eval, best_state, bad_evals = current, last_good, 0
            else:
                bad_evals += 1
            if current.token_accuracy >= policy.target_accuracy:
                stop = "target accuracy"
                break
            if bad_evals >= policy.patience:
                stop = "early stop"
                break
        after = self._settle(stop, current, best_eval, best_state)
        return TrainingReport(
            steps=steps,
            train_tokens=self.tokens,
            train_seconds=self.clock.now() - self.start,
            stop_reason=stop,
            val_loss_before=before.loss if before else None,
            val_loss_after=after.loss if after else None,
            val_accuracy_before=before.token_accuracy if before else None,
            val_accuracy_after=after.token_accuracy if after else None,
            val_exact_after=after.exact_share if after else None,
            divergences=self.divergences,
            oom_backoffs=self.ooms,
            micro_batch_size=self.micro,
            final_learning_rate=self.lr,
            losses=tuple(self.losses),
        )
