"""Settings of the TTT solver, and the presets file configs/presets/ttt.yaml that feeds them.

Resolution, weakest first: these class defaults <- the file's `defaults` <- the chosen preset <-
whatever default.yaml, overlays or ARC_TTT_TTT__* variables set explicitly in the `ttt` section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from arc_ttt.application.config.mappings import deep_merge
from arc_ttt.application.config.yaml_files import read_yaml


class _Knobs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoraKnobs(_Knobs):
    rank: int = Field(default=8, ge=1)
    alpha: int = Field(default=16, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=list, description="empty: every attention/MLP linear layer")


class BackendKnobs(_Knobs):
    quantization: Literal["none", "8bit", "4bit"] = "none"
    gradient_checkpointing: bool = False
    mixed_precision: Literal["auto", "no"] = "auto"
    max_length: int = Field(default=8192, ge=64)
    format: Literal["auto", "compact", "text"] = "auto"
    loss_on: Literal["query", "outputs"] = "query"
    constrained_decoding: bool = True
    target_forward: bool = True


class TrainingKnobs(_Knobs):
    max_steps: int = Field(default=32, ge=0)
    epochs: float = Field(default=0.0, ge=0.0)
    wall_seconds: float = Field(default=120.0, gt=0.0)
    batch_size: int = Field(default=2, ge=1)
    micro_batch_size: int = Field(default=2, ge=1)
    learning_rate: float = Field(default=1e-3, gt=0.0)
    warmup_steps: int = Field(default=2, ge=0)
    min_lr_ratio: float = Field(default=0.1, ge=0.0, le=1.0)
    eval_every: int = Field(default=8, ge=0)
    patience: int = Field(default=3, ge=1)
    target_accuracy: float = Field(default=1.01, ge=0.0)
    spike_factor: float = Field(default=4.0, gt=1.0)
    spike_after: int = Field(default=3, ge=0)
    lr_backoff: float = Field(default=0.5, gt=0.0, le=1.0)
    max_restores: int = Field(default=3, ge=0)
    weight_decay: float = Field(default=0.0, ge=0.0)
    max_grad_norm: float = Field(default=1.0, gt=0.0)


class DataKnobs(_Knobs):
    augmentations_per_task: int = Field(default=8, ge=1)
    max_examples: int = Field(default=64, ge=1)
    holdout: bool = True
    validation_views: int = Field(default=4, ge=1)
    geometric: bool = True
    colors: bool = True
    shuffle: bool = True


class InferenceKnobs(_Knobs):
    transforms: int = Field(default=8, ge=1, le=8)
    samples: int = Field(default=2, ge=1)
    generation_batch: int = Field(default=16, ge=1)
    training_share: float = Field(default=0.6, gt=0.0, le=1.0)


class ConfidenceKnobs(_Knobs):
    enabled: bool = False
    round_views: int = Field(default=4, ge=1)
    min_views: int = Field(default=4, ge=1)
    agreement: float = Field(default=0.75, gt=0.0, le=1.0)
    margin: int = Field(default=3, ge=1)
    max_views: int = Field(default=0, ge=0, description="cap with extra rounds; 0: the data strategy's views only")


class ScoringKnobs(_Knobs):
    enabled: bool = False
    candidates: int = Field(default=4, ge=1)
    views: int = Field(default=4, ge=1)
    vote_weight: float = Field(default=1.0, ge=0.0)


class EntropyKnobs(_Knobs):
    enabled: bool = False
    steps: int = Field(default=4, ge=0)
    learning_rate: float = Field(default=1e-4, gt=0.0)
    views: int = Field(default=4, ge=1)


class PredictCorrectKnobs(_Knobs):
    enabled: bool = False
    warmup: int = Field(default=4, ge=2)
    window: int = Field(default=3, ge=2)
    tolerance: float = Field(default=0.05, ge=0.0)
    max_skips: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _window_fits_warmup(self) -> PredictCorrectKnobs:
        if self.window > self.warmup:
            raise ValueError("window must not exceed warmup")
        return self


class TechniqueKnobs(_Knobs):
    """Switches for the techniques beyond plain TTT (docs/ttt.md, "Techniques")."""

    confidence: ConfidenceKnobs = ConfidenceKnobs()
    scoring: ScoringKnobs = ScoringKnobs()
    entropy: EntropyKnobs = EntropyKnobs()
    predict_correct: PredictCorrectKnobs = PredictCorrectKnobs()


class TTTKnobs(_Knobs):
    lora: LoraKnobs = LoraKnobs()
    backend: BackendKnobs = BackendKnobs()
    training: TrainingKnobs = TrainingKnobs()
    data: DataKnobs = DataKnobs()
    inference: InferenceKnobs = InferenceKnobs()
    techniques: TechniqueKnobs = TechniqueKnobs()


class TTTSettings(TTTKnobs):
    """The `ttt` section: which base model, which preset, and any knob set explicitly."""

    model: str | None = Field(default="data/models/arc-ttt-small", description="model folder or hub id")
    preset: str = "pretrained"
    offline: bool = Field(default=True, description="hub ids resolve from the local cache only")
    cpu_threads: int | None = Field(default=None, ge=1, description="torch threads on CPU; null: torch's default")
    retrain: bool = False
    store_adapters: bool = Field(
        default=True, description="keep each task's adapter in the checkpoint store and reuse it next time"
    )
    seed: int = 0


class TTTPresetsFile(BaseModel):
    """configs/presets/ttt.yaml: the light defaults and named presets (partial overrides)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: TTTKnobs = TTTKnobs()
    presets: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _presets_are_valid(self) -> TTTPresetsFile:
        for name, values in self.presets.items():
            try:
                TTTKnobs(**deep_merge(self.defaults.model_dump(), values))
            except ValidationError as exc:
                raise ValueError(f"preset {name!r}: {validation_summary(exc)}") from None
        return self

    def knobs(self, preset: str) -> dict[str, Any]:
        if preset == "default":
            return self.defaults.model_dump()
        if preset not in self.presets:
            known = ", ".join(["default", *sorted(self.presets)])
            raise ValueError(f"unknown ttt preset {preset!r}; known: {known}")
        return deep_merge(self.defaults.model_dump(), self.presets[preset])


def validation_summary(exc: ValidationError) -> str:
    """Every problem on one line: `where: what`."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors())


def _explicit(model: BaseModel) -> dict[str, Any]:
    """Only what was set explicitly, nested sections included."""
    result: dict[str, Any] = {}
    for name in model.model_fields_set:
        value = getattr(model, name)
        result[name] = _explicit(value) if isinstance(value, BaseModel) else value
    return result


def resolve_ttt(section: TTTSettings, presets_file: Path) -> TTTSettings:
    """The effective TTT settings: file defaults, then the preset, then the explicit section values."""
    try:
        presets = TTTPresetsFile(**read_yaml(presets_file))
    except ValidationError as exc:
        raise ValueError(f"{presets_file}: {validation_summary(exc)}") from None
    layered = deep_merge(presets.knobs(section.preset), _explicit(section))
    return TTTSettings(**layered)
