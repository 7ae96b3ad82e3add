"""Ports of test-time training: what to train on (the strategy), the model that trains (the backend), and
the model side of pretraining a small model from scratch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.errors import ArcTttError
from arc_ttt.domain.ttt.augmentation import Augmentation
from arc_ttt.domain.ttt.examples import Evaluation, StepLoss, TTTDataset, TTTExample
from arc_ttt.domain.ttt.lift import TTTLift
from arc_ttt.domain.ttt.pretraining import PretrainProgress


class TTTStrategy(Protocol):
    """How test-time training sees a task: which examples to train on and which views to predict under."""

    def dataset(self, task: Task) -> TTTDataset: ...

    def inference_views(self, task: Task) -> list[Augmentation]: ...

class ModelBackend(Protocol):
    """A causal language model with one trainable adapter on a frozen, shared base.

    It does the tensor work; the training orchestrator decides when. Training is split into
    `accumulate` (forward and backward of one micro-batch, gradients weighted and summed) and
    `apply_update` (one optimizer step), so that the caller owns accumulation and out-of-memory
    back-off. Any step may raise `OutOfMemory`. Adapter weights cross as safetensors bytes.
    """

    @property
    def model_name(self) -> str: ...

    @property
    def model_hash(self) -> str:
        """Identifies the base weights, so a stored adapter is reused only on the base it was fit on."""
        ...

    def lora_config(self) -> Mapping[str, object]: ...

    def new_adapter(self, seed: int) -> None:
        """Start a fresh adapter (the model then behaves exactly as the base) and a fresh optimizer."""
        ...

    def accumulate(self, batch: Sequence[TTTExample], weight: float) -> StepLoss: ...

    def apply_update(self, learning_rate: float) -> None: ...

    def discard_gradients(self) -> None: ...

    def evaluate(self, examples: Sequence[TTTExample]) -> Evaluation: ...

    def generate(self, prompts: Sequence[TTTExample], max_seconds: float | None = None) -> list[Grid | None]:
        """One greedy answer per prompt; None where the model's text is not a grid (or time ran out first)."""
        ...

    def prompts_fit(self, prompts: Sequence[TTTExample]) -> list[bool]:
        """Whether `generate` would ask the model for each prompt (sent together as in `generate`):
        the prompt, with room for its answer, keeps at least one of its demonstrations in the context.
        A prompt that keeps none shows the model no task, so it is answered None without a call."""
        ...

    def demonstrations_kept(self, prompts: Sequence[TTTExample]) -> list[int]:
        """How many of each prompt's demonstrations (the latest ones) stay in the context once room is left
        for its answer: 0 where `prompts_fit` says False. It costs time linear in the prompt's size."""
        ...

    def score_answers(self, prompts: Sequence[TTTExample]) -> list[float | None]:
        """Total log-probability (nats) of each prompt's query output as the answer, teacher-forced;
        None where the episode does not fit the context."""
        ...

    def entropy_step(self, examples: Sequence[TTTExample], weight: float) -> StepLoss:
        """Forward and backward of the mean prediction entropy over each query output's positions
        (gradients weighted and summed, like `accumulate`); `loss` is that mean entropy in nats."""
        ...

    def remember_parameters(self) -> None:
        """Note the adapter's parameters, so the update that follows can be repeated."""
        ...

    def repeat_last_update(self, scale: float) -> None:
        """Apply again, times `scale`, the change made since `remember_parameters` (or repeat the
        change already repeated); a no-op when nothing was remembered."""
        ...

    def export_adapter(self) -> bytes: ...

    def import_adapter(self, weights: bytes) -> None:
        """Load adapter weights (from `export_adapter`) and reset the optimizer."""
        ...

    def save_adapter(self, directory: Path) -> None: ...

    def load_adapter(self, directory: Path) -> None: ...

    def merge_adapter(self) -> None:
        """Fold the adapter into the base weights for serving one task; the base is no longer shared."""
        ...

class PretrainStateError(ArcTttError):
    """A pretraining folder that cannot be resumed (wrong size, missing or damaged files)."""

@dataclass(frozen=True, slots=True)
class PretrainSetup:
    """What a pretraining run trains: the model size, its initialisation (and data stream) seed, tokens per
    episode, and the device to train on."""

    size: str
    seed: int
    max_length: int
    device: str

@dataclass(frozen=True, slots=True)
class PretrainCheckpoint:
    """What the last save in a pretraining folder holds: the model it trained and how far it got, so that the
    next run goes on with the same model and the same stream."""

    size: str
    seed: int
    max_length: int
    progress: PretrainProgress

class PretrainTrainer(Protocol):
    """A model, its tokenizer and its optimizer: encodes episodes and takes optimizer steps on them."""

    @property
    def parameters(self) -> int: ...

    @property
    def loss_on(self) -> str:
        """Which tokens the loss is taken on (recorded with the run's data)."""
        ...

    def encode(self, example: TTTExample) -> object | None:
        """The episode as the model reads it; None when it does not fit an episode's tokens."""
        ...

    def tokens(self, encoded: object) -> int:
        """How many tokens an encoded episode takes (what a batch holding it pads to)."""
        ...

    def step(self, batch: list[object], learning_rate: float) -> StepLoss: ...

    def save(self, directory: Path, progress: PretrainProgress, extra: Mapping[str, object]) -> None:
        """Save the model, the optimizer and `progress` (with `extra` facts) so that a later run resumes."""
        ...

class PretrainingBackend(Protocol):
    """The model side of pretraining, in runs that accumulate into one folder: what the last run saved
    there, and a trainer that starts afresh or goes on from it."""

    def last_save(self, directory: Path) -> PretrainCheckpoint | None:
        """None when nothing was saved in `directory` yet; PretrainStateError when what is there is damaged."""
        ...

    def trainer(self, setup: PretrainSetup, resume_from: Path | None) -> PretrainTrainer: ...


class LiftRecords(Protocol):
    """Where a model's recorded TTT lift is kept (beside its weights, for a model folder)."""

    def lift_of(self, model: str) -> TTTLift | None:
        """The lift recorded for `model` (a folder or hub id); None when none is recorded. An ArcTttError naming
        the place and the field when a record is there but not readable: a damaged record must not silently
        switch TTT off or on."""
        ...

    def ensure_recordable(self, model: str) -> None:
        """The error `record` would raise for `model`, raised now: a measurement takes long, and a record that
        could not be kept should be refused before it starts, not after."""
        ...

    def record(self, model: str, lift: TTTLift) -> str:
        """Keep `lift` as `model`'s record, replacing an earlier one, and say where it was written. An ArcTttError
        when `model` is not a model folder with its marker file (a hub id, a folder of someone else's weights)."""
        ...
