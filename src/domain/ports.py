"""Ports: what the domain and the use cases need from the outside world, as typing.Protocols.

Adapters implement them; tests/fakes.py holds small honest fakes for unit tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from arc_ttt.domain.augmentation import Augmentation
from arc_ttt.domain.errors import TaskFormatError
from arc_ttt.domain.grid import Grid
from arc_ttt.domain.hardware import HardwareInfo, MemorySample
from arc_ttt.domain.prediction import TaskSolution
from arc_ttt.domain.results import TaskResult
from arc_ttt.domain.task import Task
from arc_ttt.domain.ttt import Evaluation, StepLoss, TTTDataset, TTTExample


@dataclass(frozen=True, slots=True)
class TaskLoad:
    """What a source yielded: the valid tasks, and one problem per task or file it had to skip."""

    tasks: tuple[Task, ...]
    problems: tuple[TaskFormatError, ...] = ()


@runtime_checkable
class TaskSource(Protocol):
    @property
    def name(self) -> str: ...

    def load(self) -> TaskLoad: ...


@runtime_checkable
class Solver(Protocol):
    """Proposes ranked candidates per test input. It sees tasks without test outputs and should
    return within `time_limit` seconds; the caller guards against it raising or returning garbage."""

    @property
    def name(self) -> str: ...

    def solve(self, task: Task, time_limit: float) -> TaskSolution: ...


class ResultStore(Protocol):
    """Durable per-task results of a run: each result is committed as soon as it is recorded."""

    notices: tuple[str, ...]  # what opening the store had to do that the user should hear about

    def record(self, result: TaskResult) -> None: ...

    def results(self) -> list[TaskResult]: ...

    def final_task_ids(self) -> set[str]: ...

    def clear(self) -> None:
        """Forget every result (a fresh run in the same place, not a resumed one)."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Keep one fact about the run (its source, settings) for a later report."""
        ...

    def close(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...


class ProgressListener(Protocol):
    def started(self, total: int, already_done: int) -> None: ...

    def task_done(self, result: TaskResult) -> None: ...

    def finished(self) -> None: ...


class SubmissionWriter(Protocol):
    def write(self, results: Sequence[TaskResult]) -> None: ...


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a finished (or interrupted) batch hands to report writers."""

    source: str
    solver: str
    tasks: tuple[Task, ...]
    results: tuple[TaskResult, ...]
    problems: tuple[TaskFormatError, ...]
    wall_seconds: float
    complete: bool
    meta: Mapping[str, object] = field(default_factory=dict)  # hardware, profile, memory warnings, stop reason


class ReportWriter(Protocol):
    def write(self, run_dir: Path, summary: RunSummary) -> list[Path]:
        """Write report files into `run_dir`; return their paths."""
        ...


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    """Metadata of one stored adapter (a safetensors file). Versions count 1, 2, ... per task."""

    task_id: str
    version: int
    base_model: str
    base_model_hash: str
    lora_config: Mapping[str, object]
    metrics: Mapping[str, float]
    tags: tuple[str, ...]
    created_at: str
    size_bytes: int
    sha256: str


class CheckpointRepository(Protocol):
    """Adapters per task and version. Weights travel as safetensors bytes so the domain needs no torch."""

    def save(
        self,
        task_id: str,
        weights: bytes,
        *,
        base_model: str,
        base_model_hash: str,
        lora_config: Mapping[str, object],
        metrics: Mapping[str, float],
        tags: Sequence[str] = (),
    ) -> CheckpointInfo: ...

    def latest(self, task_id: str, base_model_hash: str | None = None) -> CheckpointInfo | None: ...

    def best(self, task_id: str, metric: str, *, higher_is_better: bool = True) -> CheckpointInfo | None: ...

    def load(self, info: CheckpointInfo) -> bytes:
        """The weight bytes, sha256-verified; raises CheckpointIntegrityError when they do not match."""
        ...

    def load_latest_good(
        self, task_id: str, base_model_hash: str | None = None
    ) -> tuple[CheckpointInfo, bytes] | None:
        """The newest version whose file is intact, falling back past corrupted or missing ones."""
        ...

    def get(self, task_id: str, version: int) -> CheckpointInfo | None: ...

    def find(
        self,
        task_id: str | None = None,
        *,
        base_model: str | None = None,
        base_model_hash: str | None = None,
        tag: str | None = None,
    ) -> list[CheckpointInfo]:
        """Every matching checkpoint, ordered by task id then version."""
        ...

    def delete(self, task_id: str, version: int) -> bool:
        """Forget one version (its row first, then its file); False when there was none."""
        ...


class WorkQueue(Protocol):
    """Hands out a batch's tasks to any number of workers, each task to one worker at a time.

    A claim is a lease: it expires unless renewed, so a task whose worker died goes back to the queue.
    """

    def seed(self, task_ids: Sequence[str], *, reset: bool) -> None: ...

    def claim(self, owner: str, lease_seconds: float) -> str | None: ...

    def renew(self, owner: str, task_id: str, lease_seconds: float) -> bool: ...

    def complete(self, owner: str, task_id: str) -> None: ...

    def pending(self) -> int:
        """Tasks not yet completed (unclaimed or leased)."""
        ...


class HardwareProbe(Protocol):
    """What this machine offers: cores, RAM, CUDA devices. Read once per run to pick a profile."""

    def probe(self) -> HardwareInfo: ...


class MemoryProbe(Protocol):
    """How much memory this process and the machine use right now, and a way to give caches back."""

    def sample(self) -> MemorySample: ...

    def free_caches(self) -> None:
        """Collect garbage and return cached accelerator memory to the device."""
        ...

    def reset_peak(self) -> None:
        """Start a new peak window (CUDA peak statistics); a no-op where there is none."""

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
