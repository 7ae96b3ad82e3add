"""From settings to a TTT solver: the preset resolved, then every knob handed to the adapters."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from arc_ttt.adapters.models.backend import BackendOptions
from arc_ttt.adapters.models.backend_factory import open_backend
from arc_ttt.application.config.settings import Settings, default_config_dir, locate_model
from arc_ttt.application.config.ttt_settings import StrategyKnobs, TTTSettings, resolve_ttt
from arc_ttt.domain.checkpoints.ports import CheckpointRepository
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.ttt.mit_strategy import MitTTTOptions
from arc_ttt.domain.ttt.ports import ModelBackend
from arc_ttt.domain.ttt.service import ServiceOptions
from arc_ttt.domain.ttt.solver import TTTSolver, TTTSolverConfig
from arc_ttt.domain.ttt.techniques.confidence import ConfidenceRule
from arc_ttt.domain.ttt.techniques.entropy import EntropyPolicy
from arc_ttt.domain.ttt.techniques.predict_correct import PredictCorrectPolicy
from arc_ttt.domain.ttt.techniques.scoring import ScoringOptions
from arc_ttt.domain.ttt.training import TrainingPolicy

PRESETS_FILE = "strategies/ttt.yaml"


def backend_options(ttt: TTTSettings) -> BackendOptions:
    """The backend's share of the resolved settings: LoRA, the model's context and the optimizer's knobs."""
    lora, backend, training = ttt.lora, ttt.backend, ttt.training
    return BackendOptions(
        lora_rank=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
        target_modules=tuple(lora.target_modules), loss_on=backend.loss_on, max_length=backend.max_length,
        weight_decay=training.weight_decay, max_grad_norm=training.max_grad_norm,
        gradient_checkpointing=backend.gradient_checkpointing, mixed_precision=backend.mixed_precision,
        constrained_decoding=backend.constrained_decoding, target_forward=backend.target_forward,
    )


def backend_factory(ttt: TTTSettings) -> Callable[[], ModelBackend]:
    """What opens the backend on the solver's first task: the settings bound to `open_backend` with
    functools.partial, so the factory pickles for worker processes."""
    return partial(open_backend, model=locate_model(ttt.model), options=backend_options(ttt),
                   quantization=ttt.backend.quantization, offline=ttt.offline, grid_format=ttt.backend.format,
                   cpu_threads=ttt.cpu_threads)


def solver_config(ttt: TTTSettings) -> TTTSolverConfig:
    training, data, inference = ttt.training, ttt.data, ttt.inference
    return TTTSolverConfig(
        strategy=MitTTTOptions(
            augmentations_per_task=data.augmentations_per_task, max_examples=data.max_examples,
            holdout=data.holdout, validation_views=data.validation_views, geometric=data.geometric,
            colors=data.colors, shuffle=data.shuffle, inference_transforms=inference.transforms,
            inference_samples=inference.samples, seed=ttt.seed,
        ),
        policy=TrainingPolicy(
            max_steps=training.max_steps, epochs=training.epochs, wall_seconds=training.wall_seconds,
            batch_size=training.batch_size, micro_batch_size=training.micro_batch_size,
            learning_rate=training.learning_rate, warmup_steps=training.warmup_steps,
            min_lr_ratio=training.min_lr_ratio, eval_every=training.eval_every, patience=training.patience,
            target_accuracy=training.target_accuracy, spike_factor=training.spike_factor,
            spike_after=training.spike_after, lr_backoff=training.lr_backoff, max_restores=training.max_restores,
            seed=ttt.seed,
        ),
        service=ServiceOptions(training_share=inference.training_share, generation_batch=inference.generation_batch,
                               retrain=ttt.retrain, **strategy_options(ttt.strategies)),
    )


def strategy_options(knobs: StrategyKnobs) -> dict[str, object]:
    """The service options of each strategy switched on (None: off)."""
    c, s, e, p = knobs.confidence, knobs.scoring, knobs.entropy, knobs.predict_correct
    return {
        "confidence": ConfidenceRule(round_views=c.round_views, min_views=c.min_views, agreement=c.agreement,
                                     margin=c.margin, max_views=c.max_views) if c.enabled else None,
        "scoring": ScoringOptions(candidates=s.candidates, views=s.views,
                                  vote_weight=s.vote_weight) if s.enabled else None,
        "entropy": EntropyPolicy(steps=e.steps, learning_rate=e.learning_rate, views=e.views) if e.enabled else None,
        "predict_correct": PredictCorrectPolicy(warmup=p.warmup, window=p.window, tolerance=p.tolerance,
                                                max_skips=p.max_skips) if p.enabled else None,
    }


def build_ttt_solver(
    settings: Settings, clock: Clock, checkpoints: Callable[[], CheckpointRepository] | None = None
) -> TTTSolver:
    """The TTT solver; with `ttt.store_adapters` it keeps adapters in (and reuses them from) the checkpoint store."""
    resolved = resolve_ttt(settings.ttt, default_config_dir() / PRESETS_FILE)
    repository = checkpoints() if checkpoints is not None and settings.ttt.store_adapters else None
    return TTTSolver(solver_config(resolved), backend_factory(resolved), clock, repository)
