"""From settings to a TTT solver: the preset resolved, then every knob handed to the adapters."""

from __future__ import annotations

from collections.abc import Callable

from arc_ttt.adapters.models.backend import BackendOptions
from arc_ttt.adapters.solvers.ttt_solver import TTTSolver, TTTSolverConfig
from arc_ttt.application.config.settings import Settings, default_config_dir, locate_model
from arc_ttt.application.config.ttt_settings import TechniqueKnobs, TTTSettings, resolve_ttt
from arc_ttt.domain.checkpoints.ports import CheckpointRepository
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.ttt.mit_strategy import MitTTTOptions
from arc_ttt.domain.ttt.service import ServiceOptions
from arc_ttt.domain.ttt.techniques.confidence import ConfidenceRule
from arc_ttt.domain.ttt.techniques.entropy import EntropyPolicy
from arc_ttt.domain.ttt.techniques.predict_correct import PredictCorrectPolicy
from arc_ttt.domain.ttt.techniques.scoring import ScoringOptions
from arc_ttt.domain.ttt.training import TrainingPolicy

PRESETS_FILE = "presets/ttt.yaml"


def solver_config(ttt: TTTSettings) -> TTTSolverConfig:
    lora, backend, training, data, inference = ttt.lora, ttt.backend, ttt.training, ttt.data, ttt.inference
    return TTTSolverConfig(
        model=locate_model(ttt.model),
        quantization=backend.quantization,
        offline=ttt.offline,
        grid_format=backend.format,
        cpu_threads=ttt.cpu_threads,
        backend=BackendOptions(
            lora_rank=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
            target_modules=tuple(lora.target_modules), loss_on=backend.loss_on, max_length=backend.max_length,
            weight_decay=training.weight_decay, max_grad_norm=training.max_grad_norm,
            gradient_checkpointing=backend.gradient_checkpointing, mixed_precision=backend.mixed_precision,
            constrained_decoding=backend.constrained_decoding, target_forward=backend.target_forward,
        ),
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
                               retrain=ttt.retrain, **technique_options(ttt.techniques)),
    )


def technique_options(knobs: TechniqueKnobs) -> dict[str, object]:
    """The service options of each technique switched on (None: off)."""
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
    return TTTSolver(solver_config(resolved), clock, repository)
