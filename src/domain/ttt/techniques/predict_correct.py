"""Predict/correct training: skip the backward pass on steps whose outcome is predictable.

When the training loss has been falling along a straight line for a few steps, the next step is
likely to move the adapter the same way again. Such a step is *predicted*: no forward or backward
pass, its loss is extrapolated from the line and the previous parameter update is applied again
(scaled to the current learning rate). After at most `max_skips` predicted steps a real step
*corrects* the course, and any deviation from the line (a real loss off the prediction by more than
`tolerance`) switches prediction off until the line is straight again.

It wraps any ModelBackend, so the training orchestrator (which decides when to step, validate, stop
and restore) is unchanged and unaware: it sees micro-batches that cost no tokens and an update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.ttt.examples import Evaluation, StepLoss, TTTExample
from arc_ttt.domain.ttt.ports import ModelBackend


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictCorrectPolicy:
    """No defaults here: built from `ttt.techniques.predict_correct`, where they are declared once."""

    warmup: int  # real steps before any prediction
    window: int  # recent real losses the line is fit through
    tolerance: float  # largest relative residual of that fit for the trend to count as predictable
    max_skips: int  # predicted steps in a row before a real one

    def __post_init__(self) -> None:
        if self.window < 2 or self.warmup < self.window or self.max_skips < 1 or self.tolerance < 0:
            raise ValueError("window >= 2, warmup >= window, max_skips >= 1, tolerance >= 0")


def fit_line(points: Sequence[tuple[int, float]]) -> tuple[float, float, float]:
    """Least-squares slope and intercept through (step, loss) points, and the largest residual
    relative to the mean loss."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0
    intercept = mean_y - slope * mean_x
    scale = abs(mean_y) or 1.0
    worst = max(abs(y - (intercept + slope * x)) for x, y in points) / scale
    return slope, intercept, worst


class PredictCorrectBackend:
    """A ModelBackend that skips predictable training steps of the backend it wraps."""

    def __init__(self, inner: ModelBackend, policy: PredictCorrectPolicy) -> None:
        self.inner = inner
        self.policy = policy
        self.real_steps = 0
        self.predicted_steps = 0
        self._reset()

    def _reset(self) -> None:
        self._history: list[tuple[int, float]] = []  # (step index, loss) of real steps since the last reset
        self._step = 0
        self._skips = 0
        self._in_step = False
        self._skipping = False
        self._loss = 0.0
        self._predicted = 0.0
        self._last_lr: float | None = None

    # --- the policy ----------------------------------------------------------------------------------
    def _predictable(self) -> tuple[bool, float]:
        p = self.policy
        if len(self._history) < p.warmup or self._skips >= p.max_skips or not self._last_lr:
            return False, 0.0
        slope, intercept, worst = fit_line(self._history[-p.window :])
        if slope >= 0 or worst > p.tolerance:
            return False, 0.0
        return True, max(0.0, intercept + slope * self._step)  # a loss is never negative

    def _begin(self) -> None:
        if not self._in_step:
            self._in_step = True
            self._skipping, self._predicted = self._predictable()
            self._loss = 0.0

    # --- training, intercepted -----------------------------------------------------------------------
    def accumulate(self, batch: Sequence[TTTExample], weight: float) -> StepLoss:
        self._begin()
        if self._skipping:
            return StepLoss(self._predicted, 0, 0)
        result = self.inner.accumulate(batch, weight)
        self._loss += result.loss * weight
        return result

    def apply_update(self, learning_rate: float) -> None:
        self._begin()
        if self._skipping:
            assert self._last_lr
            self.inner.repeat_last_update(learning_rate / self._last_lr)
            self._skips += 1
            self.predicted_steps += 1
        else:
            self.inner.remember_parameters()
            self.inner.apply_update(learning_rate)
            if self._skips and self._history:  # a correction: did the line hold?
                slope, intercept, _ = fit_line(self._history[-self.policy.window :])
                expected = intercept + slope * self._step
                if abs(self._loss - expected) > self.policy.tolerance * max(abs(expected), 1e-8):
                    self._history = []  # off the line: predict again only after a fresh warmup
            self._history.append((self._step, self._loss))
            self._skips = 0
            self._last_lr = learning_rate
            self.real_steps += 1
        self._step += 1
        self._in_step = False

    def discard_gradients(self) -> None:
        self._in_step = False
        self.inner.discard_gradients()

    def import_adapter(self, weights: bytes) -> None:
        """A restore (divergence, best state) invalidates the trend and the remembered update."""
        self.inner.import_adapter(weights)
        self._history, self._skips, self._last_lr, self._in_step = [], 0, None, False

    def new_adapter(self, seed: int) -> None:
        self.inner.new_adapter(seed)
        self._reset()

    # --- everything else, passed through -------------------------------------------------------------
    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def model_hash(self) -> str:
        return self.inner.model_hash

    def lora_config(self) -> Mapping[str, object]:
        return self.inner.lora_config()

    def evaluate(self, examples: Sequence[TTTExample]) -> Evaluation:
        return self.inner.evaluate(examples)

    def generate(self, prompts: Sequence[TTTExample], max_seconds: float | None = None) -> list[Grid | None]:
        return self.inner.generate(prompts, max_seconds)

    def score_answers(self, prompts: Sequence[TTTExample]) -> list[float | None]:
        return self.inner.score_answers(prompts)

    def entropy_step(self, examples: Sequence[TTTExample], weight: float) -> StepLoss:
        return self.inner.entropy_step(examples, weight)

    def remember_parameters(self) -> None:
        self.inner.remember_parameters()

    def repeat_last_update(self, scale: float) -> None:
        self.inner.repeat_last_update(scale)

    def export_adapter(self) -> bytes:
        return self.inner.export_adapter()

    def save_adapter(self, directory: Path) -> None:
        self.inner.save_adapter(directory)

    def load_adapter(self, directory: Path) -> None:
        self.inner.load_adapter(directory)
        self._history, self._skips, self._last_lr = [], 0, None

    def merge_adapter(self) -> None:
        self.inner.merge_adapter()
