"""The vocabulary of test-time training: what a TTT example is, what a training step and an
evaluation report back, and what a finished fit tells the rest of the product."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import SupportsFloat

from arc_ttt.domain.arc.task import Example


@dataclass(frozen=True, slots=True)
class TTTExample:
    """A task in miniature: demonstrations, then a query whose output is the target (None at inference)."""

    demonstrations: tuple[Example, ...]
    query: Example


@dataclass(frozen=True, slots=True)
class TTTDataset:
    """Training examples for one task, and a held-out split that training never sees."""

    train: tuple[TTTExample, ...]
    validation: tuple[TTTExample, ...] = ()


@dataclass(frozen=True, slots=True)
class StepLoss:
    """Mean loss of one micro-batch over its target tokens; `tokens` counts every token processed.

    `loss` may be a device scalar (anything `float()` reads): reading it waits for the device, so the
    orchestrator reads it once per optimizer step, after every micro-batch has been queued."""

    loss: SupportsFloat
    tokens: int
    target_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Held-out loss and next-token accuracy over target tokens (teacher forcing).

    `exact` counts the examples whose every target token is the model's most likely next token: greedy
    decoding would reproduce those outputs cell for cell, the only accuracy a grid answer is judged by."""

    loss: float
    token_accuracy: float
    tokens: int
    examples: int = 0
    exact: int = 0

    @property
    def exact_share(self) -> float | None:
        return self.exact / self.examples if self.examples else None


@dataclass(frozen=True, slots=True)
class TrainingReport:
    steps: int = 0
    train_tokens: int = 0
    train_seconds: float = 0.0
    stop_reason: str = "not started"
    val_loss_before: float | None = None
    val_loss_after: float | None = None
    val_accuracy_before: float | None = None
    val_accuracy_after: float | None = None
    val_exact_after: float | None = None  # share of held-out examples reproduced exactly after training
    divergences: int = 0
    oom_backoffs: int = 0
    micro_batch_size: int = 0
    final_learning_rate: float = 0.0
    predicted_steps: int = 0  # steps of the predict/correct shortcut (no forward or backward pass)
    losses: tuple[float, ...] = field(default=(), repr=False)

    @property
    def tokens_per_second(self) -> float:
        return self.train_tokens / self.train_seconds if self.train_seconds > 0 else 0.0

    def metrics(self) -> dict[str, float]:
        """Numbers worth storing with an adapter (no None values)."""
        values: dict[str, float | None] = {
            "steps": float(self.steps),
            "train_tokens": float(self.train_tokens),
            "train_seconds": self.train_seconds,
            "val_loss_before": self.val_loss_before,
            "val_loss_after": self.val_loss_after,
            "val_accuracy_before": self.val_accuracy_before,
            "val_accuracy": self.val_accuracy_after,
            "val_exact": self.val_exact_after,
        }
        return {k: float(v) for k, v in values.items() if v is not None}
