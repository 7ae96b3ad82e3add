"""From settings to a TTT solver: the preset resolved, then each settings section handed whole to the policy or
options it configures (field names are the same on both sides; the few that differ are named here)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from arc_ttt.adapters.models.backend import BackendOptions
from arc_ttt.adapters.models.backend_factory import open_backend
from arc_ttt.application.config.settings import Settings, default_config_dir, locate_model
from arc_ttt.application.config.ttt_settings import TechniqueKnobs, TTTSettings, resolve_ttt
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

PRESETS_FILE = "presets/ttt.yaml"
# Training knobs the backend applies (its optimizer), not the training orchestrator.
OPTIMIZER_KNOBS = frozenset({"weight_decay", "max_grad_norm"})
# Backend knobs that choose how the model is loaded (the solver's business), not how the backend trains.
LOADING_KNOBS = frozenset({"quantization", "format"})
# Inference knobs the service applies; the others (transforms, samples) choose the data strategy's views.
SERVICE_KNOBS = frozenset({"training_share", "generation_batch"})
# Each technique's policy, built from its knobs less the `enabled` switch.
TECHNIQUE_POLICIES: dict[str, type] = {
    "confidence": ConfidenceRule,
    "scoring": ScoringOptions,
    "entropy": EntropyPolicy,
    "predict_correct": PredictCorrectPolicy,
}


def training_policy(ttt: TTTSettings) -> TrainingPolicy:
    return TrainingPolicy(**ttt.training.model_dump(exclude=OPTIMIZER_KNOBS), seed=ttt.seed)


def backend_options(ttt: TTTSettings) -> BackendOptions:
    """LoRA's knobs are prefixed on the backend (lora_rank ...), whose options also hold the optimizer's."""
    lora = ttt.lora
    return BackendOptions(lora_rank=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                          target_modules=tuple(lora.target_modules), **ttt.backend.model_dump(exclude=LOADING_KNOBS),
                          **ttt.training.model_dump(include=OPTIMIZER_KNOBS))


def data_options(ttt: TTTSettings) -> MitTTTOptions:
    """The data strategy: the data knobs, and the views inference predicts under."""
    return MitTTTOptions(**ttt.data.model_dump(), inference_transforms=ttt.inference.transforms,
                         inference_samples=ttt.inference.samples, seed=ttt.seed)


def service_options(ttt: TTTSettings) -> ServiceOptions:
    return ServiceOptions(**ttt.inference.model_dump(include=SERVICE_KNOBS), retrain=ttt.retrain,
                          **technique_options(ttt.techniques))


def technique_policy(knobs: TechniqueKnobs, name: str) -> object:
    """The policy of technique `name` from its knobs, whether it is switched on or not."""
    return TECHNIQUE_POLICIES[name](**getattr(knobs, name).model_dump(exclude={"enabled"}))


def technique_options(knobs: TechniqueKnobs) -> dict[str, object]:
    """The service options of each technique switched on (None: off)."""
    return {name: technique_policy(knobs, name) if getattr(knobs, name).enabled else None
            for name in TECHNIQUE_POLICIES}


def backend_factory(ttt: TTTSettings) -> Callable[[], ModelBackend]:
    """What opens the backend on the solver's first task: the settings bound to `open_backend` with
    functools.partial, so the factory pickles for worker processes."""
    return partial(open_backend, model=locate_model(ttt.model), options=backend_options(ttt),
                   quantization=ttt.backend.quantization, offline=ttt.offline, grid_format=ttt.backend.format,
                   cpu_threads=ttt.cpu_threads)


def solver_config(ttt: TTTSettings) -> TTTSolverConfig:
    return TTTSolverConfig(
        strategy=data_options(ttt),
        policy=training_policy(ttt),
        service=service_options(ttt),
    )


def build_ttt_solver(
    settings: Settings, clock: Clock, checkpoints: Callable[[], CheckpointRepository] | None = None
) -> TTTSolver:
    """The TTT solver; with `ttt.store_adapters` it keeps adapters in (and reuses them from) the checkpoint store."""
    resolved = resolve_ttt(settings.ttt, default_config_dir() / PRESETS_FILE)
    repository = checkpoints() if checkpoints is not None and settings.ttt.store_adapters else None
    return TTTSolver(solver_config(resolved), backend_factory(resolved), clock, repository)
