"""Settings of the TTT solver, and the presets file configs/presets/ttt.yaml that feeds them.

Each knob is declared here once, with its default; those defaults are the `default` preset. Resolution, weakest
first: these defaults <- the chosen preset <- whatever default.yaml, overlays or ARC_TTT_TTT__* variables set
explicitly in the `ttt` section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from arc_ttt.application.config.mappings import deep_merge
from arc_ttt.application.config.yaml_files import read_yaml

DEFAULT_PRESET = "default"  # the knobs' own defaults


class _Knobs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoraKnobs(_Knobs):
    rank: int = Field(default=8, ge=1)
    alpha: int = Field(default=16, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=list, description="empty: every linear layer of attention "
                                      "and MLP, found per architecture")


class BackendKnobs(_Knobs):
    quantization: Literal["none", "8bit", "4bit"] = Field(
        default="none", description="bitsandbytes; CUDA only, full precision on CPU")
    gradient_checkpointing: bool = False
    mixed_precision: Literal["auto", "no"] = Field(
        default="auto", description="bf16 (or fp16) autocast on CUDA; bf16 frozen matmuls in CPU training where the "
        "CPU has bf16; no: float32")
    max_length: int = Field(default=8192, ge=64, description="tokens per episode; earliest demonstrations are "
                            "dropped to fit")
    format: Literal["auto", "compact", "text"] = Field(
        default="auto", description="compact (project tokenizer) for init-model folders, text otherwise")
    loss_on: Literal["query", "outputs"] = Field(
        default="query", description="outputs: every demonstration output after the first, as MIT")
    constrained_decoding: bool = Field(default=True, description="only grid tokens, ending at the shape the "
                                       "demonstrations imply")
    target_forward: bool = Field(default=True, description="training runs the last block only where a target token "
                                 "is predicted")
    draft_tokens: int = Field(default=16, ge=0, le=256, description="constrained generation on a CPU: each view "
                              "alone, verifying up to this many guessed tokens per forward pass (the same greedy "
                              "answers); 0: all views in one batched generate call")


class TrainingKnobs(_Knobs):
    max_steps: int = Field(default=32, ge=0, description="optimizer steps per task, at most")
    epochs: float = Field(default=0.0, ge=0.0, description="> 0: also stop after this many passes over the TTT "
                          "examples")
    wall_seconds: float = Field(default=120.0, gt=0.0, description="per task (also capped by a share of the task "
                                "time limit)")
    batch_size: int = Field(default=2, ge=1, description="effective batch")
    micro_batch_size: int = Field(default=2, ge=1, description="halved on out-of-memory, keeping the effective batch")
    learning_rate: float = Field(default=1e-3, gt=0.0)
    warmup_steps: int = Field(default=2, ge=0)
    min_lr_ratio: float = Field(default=0.1, ge=0.0, le=1.0, description="the cosine ends at this share of the peak")
    eval_every: int = Field(default=8, ge=0, description="validation on the held-out pair every N steps (0: only "
                            "before and after)")
    patience: int = Field(default=3, ge=1, description="validations without improvement before stopping early")
    min_improvement: float = Field(default=1e-4, ge=0.0, description="held-out loss drop that counts as an "
                                   "improvement")
    target_accuracy: float = Field(default=1.01, ge=0.0, description="stop at this held-out token accuracy; > 1: "
                                   "never stop for accuracy alone")
    spike_factor: float = Field(default=4.0, gt=1.0, description="a loss above this multiple of both its running "
                                "mean and the first step's loss counts as divergence")
    spike_after: int = Field(default=3, ge=0, description="healthy steps before spikes are judged")
    lr_backoff: float = Field(default=0.5, gt=0.0, le=1.0, description="learning-rate factor after each divergence "
                              "restore")
    max_restores: int = Field(default=3, ge=0)
    weight_decay: float = Field(default=0.0, ge=0.0)
    max_grad_norm: float = Field(default=1.0, gt=0.0)


class DataKnobs(_Knobs):
    augmentations_per_task: int = Field(default=8, ge=1, description="views of each leave-one-out task")
    max_examples: int = Field(default=64, ge=1, description="TTT examples per task")
    holdout: bool = Field(default=True, description="keep one demonstration pair out for validation (tasks with >= 3 "
                          "pairs)")
    validation_views: int = Field(default=4, ge=1)
    geometric: bool = True
    colors: bool = True
    shuffle: bool = True


class InferenceKnobs(_Knobs):
    transforms: int = Field(default=8, ge=1, le=8, description="dihedral symmetries predicted under")
    samples: int = Field(default=2, ge=1, description="views per symmetry (random colors and order) voted within it")
    generation_batch: int = Field(default=16, ge=1, description="views per batched generate call (16: every view of "
                                  "a test input at once)")
    training_share: float = Field(default=0.6, gt=0.0, le=1.0, description="of the task time limit that training "
                                  "may use")


class ConfidenceKnobs(_Knobs):
    """Rounds of views per test input, stopping once the vote is settled."""

    enabled: bool = False
    round_views: int = Field(default=4, ge=1, description="views per round (symmetries interleaved)")
    min_views: int = Field(default=4, ge=1, description="never stop before this many")
    agreement: float = Field(default=0.75, gt=0.0, le=1.0, description="stop: this share of the views predicted the "
                             "leading grid ...")
    margin: int = Field(default=3, ge=1, description="... or the leader won this many more symmetries than the "
                        "runner-up")
    max_views: int = Field(default=0, ge=0, description="cap with extra rounds of fresh samples for split votes; 0: "
                           "the data strategy's views only")


class ScoringKnobs(_Knobs):
    """Rank voted candidates by log-probability under augmented tasks, combined with their votes."""

    enabled: bool = False
    candidates: int = Field(default=4, ge=1, description="best-voted grids scored per test input")
    views: int = Field(default=4, ge=1, description="augmented tasks each candidate is scored under")
    vote_weight: float = Field(default=1.0, ge=0.0, description="combined = summed log-prob + vote_weight * ln(raw "
                               "votes)")


class EntropyKnobs(_Knobs):
    """After TTT: minimise answer-token entropy on the test inputs."""

    enabled: bool = False
    steps: int = Field(default=4, ge=0)
    learning_rate: float = Field(default=1e-4, gt=0.0)
    views: int = Field(default=4, ge=1)


class PredictCorrectKnobs(_Knobs):
    """Skip predictable training steps (repeat the last update)."""

    enabled: bool = False
    warmup: int = Field(default=4, ge=2, description="real steps before any prediction")
    window: int = Field(default=3, ge=2, description="real losses the trend line is fit through")
    tolerance: float = Field(default=0.05, ge=0.0, description="largest relative residual of the fit that still "
                             "counts as predictable")
    max_skips: int = Field(default=1, ge=1, description="predicted steps in a row before a real (correcting) one")

    @model_validator(mode="after")
    def _window_fits_warmup(self) -> PredictCorrectKnobs:
        if self.window > self.warmup:
            raise ValueError("window must not exceed warmup")
        return self


class TechniqueKnobs(_Knobs):
    """Switches for the techniques beyond plain TTT (docs/ttt.md, "Techniques"; docs/benchmarks.md, "Techniques",
    has the measurement behind each default)."""

    confidence: ConfidenceKnobs = ConfidenceKnobs()
    scoring: ScoringKnobs = ScoringKnobs()
    entropy: EntropyKnobs = EntropyKnobs()
    predict_correct: PredictCorrectKnobs = PredictCorrectKnobs()


class TTTKnobs(_Knobs):
    """Every TTT knob; its defaults are the `default` preset: light enough to try on a CPU with a model from
    `arc-ttt init-model`."""

    lora: LoraKnobs = LoraKnobs()
    backend: BackendKnobs = BackendKnobs()
    training: TrainingKnobs = TrainingKnobs()
    data: DataKnobs = DataKnobs()
    inference: InferenceKnobs = InferenceKnobs()
    techniques: TechniqueKnobs = TechniqueKnobs()


class TTTSettings(TTTKnobs):
    """The `ttt` section: which base model, which preset, and any knob set explicitly."""

    model: str | None = Field(default="data/models/arc-ttt-small", description="model folder or hub id for ttt and "
                              "ensemble (the shipped one; see its MODEL_CARD.md)")
    preset: str = Field(default="pretrained", description="default, or a preset of configs/presets/ttt.yaml")
    offline: bool = Field(default=True, description="hub ids resolve from the local cache only")
    cpu_threads: int | None = Field(default=None, ge=1, description="torch threads on CPU; null: torch's default")
    retrain: bool = Field(default=False, description="train again even where a stored adapter could be reused")
    store_adapters: bool = Field(
        default=True, description="keep each task's adapter in the checkpoint store and reuse it next time"
    )
    seed: int = 0


class TTTPresetsFile(BaseModel):
    """configs/presets/ttt.yaml: named presets, each a partial TTT configuration laid over the knobs' defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    presets: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _presets_are_valid(self) -> TTTPresetsFile:
        for name, values in self.presets.items():
            try:
                TTTKnobs(**values)
            except ValidationError as exc:
                raise ValueError(f"preset {name!r}: {validation_summary(exc)}") from None
        return self

    def knobs(self, preset: str) -> dict[str, Any]:
        """The knobs of `preset`: its values over the knobs' defaults (`default`: the defaults alone)."""
        if preset == DEFAULT_PRESET:
            return TTTKnobs().model_dump()
        if preset not in self.presets:
            known = ", ".join([DEFAULT_PRESET, *sorted(self.presets)])
            raise ValueError(f"unknown ttt preset {preset!r}; known: {known}")
        return TTTKnobs(**self.presets[preset]).model_dump()


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
    """The effective TTT settings: the knobs' defaults, then the preset, then the explicit section values."""
    try:
        presets = TTTPresetsFile(**read_yaml(presets_file))
    except ValidationError as exc:
        raise ValueError(f"{presets_file}: {validation_summary(exc)}") from None
    layered = deep_merge(presets.knobs(section.preset), _explicit(section))
    return TTTSettings(**layered)
