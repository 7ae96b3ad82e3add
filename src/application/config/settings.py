"""Settings: the defaults declared here (one model per section, each default once; the `ttt` section's in
ttt_settings), then configs/default.yaml, then named overlays (`--config NAME`), then ARC_TTT_* variables
(nested with '__', e.g. ARC_TTT_SOLVE__SOLVER=program), then explicit arguments. Unknown keys are
errors everywhere, so a typo in a config file is caught, not silently ignored."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from arc_ttt.adapters.validation_errors import error_what, error_where
from arc_ttt.application.config.durations import parse_duration
from arc_ttt.application.config.mappings import deep_merge
from arc_ttt.application.config.sizes import parse_size
from arc_ttt.application.config.ttt_settings import TTTPresetsFile, TTTSettings
from arc_ttt.application.config.yaml_files import ConfigError, read_yaml
from arc_ttt.domain.errors import message_line
from arc_ttt.domain.solving.ttt_time import TTTMode

# Seconds, written as a number or with a unit ("90s", "55m", "2h") in any settings layer.
Duration = Annotated[float, BeforeValidator(parse_duration)]

CONFIG_DIR_ENV = "ARC_TTT_CONFIG_DIR"
# ARC_TTT_* variables that are not settings: where configs/ is, and whether errors show their traceback
NOT_SETTINGS_ENV = frozenset({CONFIG_DIR_ENV, "ARC_TTT_DEBUG"})
ENV_PREFIX = "ARC_TTT_"
ENV_NESTING = "__"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SolveSettings(Section):
    solver: str = Field(default="ensemble", description="ensemble (program search, then TTT for the rest) | program "
                        "| ttt | baseline")
    dataset: str = Field(default="arc1/evaluation", description="used when no --dataset/--tasks-dir/--challenges is "
                         "given")
    out: Path = Field(default=Path("runs/latest"), description="run folder: submission.json, results.db, summary")
    time_budget: Duration = Field(default=55 * 60.0, description="seconds (or 55m) for the whole batch; tasks left "
                                  "when it runs out get fallback attempts")
    task_time_limit: Duration = Field(default=60.0, description="seconds a solver may spend on one task")
    pace: bool = Field(default=True, description="a task gets at most an equal share of the budget left")
    workers: int = Field(default=1, ge=1, description="worker processes sharing the run's store (local backend; one "
                         "per GPU on GPU machines); 1 solves in-process")
    backend: Literal["local", "ray"] = Field(default="local", description="ray: pip install 'arc-ttt[ray]'")
    ray_address: str | None = Field(default=None, description="Ray cluster address; none starts a local one")



class StoreSettings(Section):
    url: str | None = Field(default=None, description="SQLAlchemy URL; default: results.db in the run folder")
    busy_timeout: Duration = Field(default=30.0, gt=0, description="seconds (or 1m) to wait for a lock another "
                                "process holds on the store; then the run stops with what it has finished")



class HardwareSettings(Section):
    """A hardware profile (configs/hardware/*.yaml): what a run may use on this kind of machine."""

    profile: str = Field(default="auto", description="a profile in configs/hardware/ (cpu, gpu-16gb, ...), or auto: "
                         "chosen from the hardware probe")
    device: Literal["cpu", "cuda"] = "cpu"
    gpu_memory_gb: float = Field(default=0.0, ge=0, description="nominal GPU size this profile is for")
    memory_budget_gb: float = Field(default=10.0, gt=0, description="what a run may use (GPU, else RAM)")
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    quantization: Literal["none", "8bit", "4bit"] = "none"
    train_batch_size: int = Field(default=1, ge=1)
    gradient_accumulation: int = Field(default=1, ge=1)
    inference_batch_size: int = Field(default=1, ge=1)
    max_seq_len: int = Field(default=2048, ge=64)
    gradient_checkpointing: bool = True
    lora_rank: int = Field(default=64, ge=0)
    pause_free_ram_mb: float = Field(default=1024.0, ge=0, description="below this the batch waits")
    abort_free_ram_mb: float = Field(default=256.0, ge=0, description="below this the batch stops cleanly")
    pause_free_gpu_mb: float | None = Field(default=None, ge=0)
    abort_free_gpu_mb: float | None = Field(default=None, ge=0)
    max_waits: int = Field(default=3, ge=0)
    wait_seconds: float = Field(default=5.0, ge=0)
    leak_warn_mb_per_task: float = Field(default=1.0, gt=0)

    @field_validator("abort_free_ram_mb")
    @classmethod
    def _abort_below_pause(cls, value: float, info: Any) -> float:
        pause = info.data.get("pause_free_ram_mb")
        if pause is not None and value > pause:
            raise ValueError(f"abort_free_ram_mb {value} is above pause_free_ram_mb {pause}")
        return value


class CheckpointSettings(Section):
    """Where TTT adapters are kept, and the defaults of `arc-ttt checkpoints cleanup` and `import`."""

    root: Path = Field(default=Path("checkpoints"), description="folder of the adapter files: "
                       "<root>/adapters/<task_id>/v000001.safetensors")
    url: str | None = Field(default=None, description="SQLAlchemy URL; default: checkpoints.db in `root`")
    metric: str = Field(default="val_accuracy", description="what 'best' means for cleanup and `checkpoints list "
                        "--best`")
    higher_is_better: bool = True
    keep_best: int | None = Field(default=3, ge=1, description="versions cleanup keeps per task (the best is always "
                                  "kept)")
    max_total_size: int | None = Field(default=None, ge=0, description="bytes cleanup stays under, e.g. 20GB, by also "
                                       "deleting lower-ranked versions")
    max_import_member_size: int = Field(default=4 * 1024**3, ge=1, description="largest file import accepts")

    @field_validator("max_total_size", "max_import_member_size", mode="before")
    @classmethod
    def _size(cls, value: object) -> object:
        return None if value is None else parse_size(value)  # type: ignore[arg-type]


class ProgramSettings(Section):
    """The program-search solver (`--solver program`)."""

    max_depth: int = Field(default=3, ge=1, le=4, description="longest composition of primitives tried")
    max_states: int = Field(default=40_000, ge=100, description="distinct intermediate results kept per process "
                            "and task")
    processes: int = Field(default=0, ge=0, description="processes sharing one task's search; 0: one per core")
    sure_max_cost: float = Field(default=2.5, ge=0, description="costliest program (about two steps) whose answer "
                                 "is called sure")
    time_limit: Duration = Field(default=20.0, gt=0, description="seconds the search may spend on one task (also "
                                 "capped by solve.task_time_limit)")



class EnsembleSettings(Section):
    """`--solver ensemble`: program search first, TTT for what it is not sure of (when TTT gets time at all)."""

    ttt: TTTMode = Field(default="auto", description="whether the ensemble gives TTT time: auto, only for a model "
                         "whose folder records a lift over program search on ARC training tasks (ttt_lift in "
                         "arc_ttt_model.json; the shipped model's shows no gain, so its time goes to program search); "
                         "always; never. --solver ttt always runs it")

    min_ttt_seconds: Duration = Field(default=20.0, ge=0, description="TTT runs on a task only with this much time "
                                   "left; with pacing, time a task does not use goes to the next ones")
    ttt_when_sure: bool = Field(default=False, description="also run TTT where every program answer is sure")
    ttt_trust: float | None = Field(default=0.5, ge=0, le=1, description="TTT's answers go before the fallback "
                                    "guesses (train outputs of the right shape) only when the adapted model "
                                    "reproduced at least this share of the held-out demonstration's views "
                                    "exactly; null: always")



class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter=ENV_NESTING, extra="forbid", frozen=True
    )

    solve: SolveSettings = SolveSettings()
    store: StoreSettings = StoreSettings()
    hardware: HardwareSettings = HardwareSettings()
    checkpoints: CheckpointSettings = CheckpointSettings()
    ttt: TTTSettings = TTTSettings()
    program: ProgramSettings = ProgramSettings()
    ensemble: EnsembleSettings = EnsembleSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)


# Files in these configs/ subfolders are not overlays of Settings; each validates against its own model.
def default_config_dir() -> Path:
    """configs/ of the source checkout, unless ARC_TTT_CONFIG_DIR points elsewhere."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "configs"


def locate_model(model: str | None) -> str | None:
    """A relative model folder is looked up in the working directory, then in the source checkout (where
    the shipped model lives, data/models/...); anything else (a hub id, an absolute path) is left as is."""
    if not model or Path(model).is_absolute() or Path(model).exists():
        return model
    shipped = Path(__file__).resolve().parents[3] / model
    return str(shipped) if shipped.exists() else model


def config_path(name: str, config_dir: Path) -> Path:
    """A named overlay (`gpu`, `hardware/gpu-16gb`) or a path to a YAML file."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    path = config_dir / f"{name}.yaml"
    if not path.exists():
        known = sorted(str(p.relative_to(config_dir).with_suffix("")) for p in config_dir.rglob("*.yaml"))
        raise ValueError(f"unknown config {name!r}; known: {', '.join(known) or 'none'}")
    return path


@dataclass(frozen=True, slots=True)
class Layer:
    """One source of settings values and the name a problem with them is reported under ("" for arguments)."""

    source: str
    values: Mapping[str, Any]


def load_settings(
    overlays: Sequence[str] = (), config_dir: Path | None = None, **overrides: Any
) -> Settings:
    """Defaults <- default.yaml <- overlays (in order) <- ARC_TTT_* environment <- `overrides`."""
    directory = config_dir or default_config_dir()
    files = [directory / "default.yaml", *(config_path(name, directory) for name in overlays)]
    layers = [Layer(str(path), read_yaml(path)) for path in files]
    return validated([*layers, environment_layer(), Layer("", overrides)])


def validated(layers: Sequence[Layer]) -> Settings:
    """Settings from `layers`, later ones winning; a ConfigError names the layer behind each bad value."""
    merged = reduce(deep_merge, (layer.values for layer in layers), {})
    try:
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigError([problem_line(error, source_of(error["loc"], layers)) for error in exc.errors()]) from None


def unknown_sections() -> list[str]:
    """One problem per ARC_TTT_* variable that names no section of the settings: pydantic-settings reads only
    the variables of known fields and would pass over `ARC_TTT_SOLV__SOLVER` in silence, where an unknown
    key in a file is an error."""
    sections = set(Settings.model_fields)
    problems = []
    for name in sorted(os.environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in NOT_SETTINGS_ENV:
            continue
        section = upper[len(ENV_PREFIX):].split(ENV_NESTING.upper(), 1)[0].lower()
        if section not in sections:
            problems.append(f"{name}: no settings section {section!r} (known: {', '.join(sorted(sections))})")
    return problems


def environment_layer() -> Layer:
    """What the ARC_TTT_* variables set, validated on their own so that a bad one is named."""
    problems = unknown_sections()
    if problems:
        raise ConfigError(problems)
    try:
        values = Settings().model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise ConfigError([problem_line(error, environment_name(error["loc"])) for error in exc.errors()]) from None
    except SettingsError as exc:
        raise ConfigError([f"{ENV_PREFIX}* environment: {message_line(exc)}"]) from None
    return Layer(f"{ENV_PREFIX}* environment", values)


def problem_line(error: Mapping[str, Any], source: str) -> str:
    """`source: dotted.key: what`, with pydantic's message in lower case and without its "Value error, "."""
    key, reason = error_where(error, "settings"), error_what(error)
    return f"{source}: {key}: {reason}" if source else f"{key}: {reason}"


def source_of(loc: Sequence[Any], layers: Sequence[Layer]) -> str:
    """The last layer that sets the value at `loc` (or, failing that, the nearest section above it)."""
    for depth in range(len(loc), 0, -1):
        for layer in reversed(layers):
            if holds(layer.values, loc[:depth]):
                return environment_name(loc) if layer.source.startswith(ENV_PREFIX) else layer.source
    return ""


def holds(values: Any, loc: Sequence[Any]) -> bool:
    """Whether nested mappings (and lists, by index) `values` have something at `loc`."""
    for part in loc:
        in_mapping = isinstance(values, Mapping) and part in values
        in_list = isinstance(values, list) and isinstance(part, int) and -len(values) <= part < len(values)
        if not (in_mapping or in_list):
            return False
        values = values[part]
    return True


def environment_name(loc: Sequence[Any]) -> str:
    """The ARC_TTT_* variable that set the value at `loc` (names are not case-sensitive; a whole section can
    also be given as JSON in ARC_TTT_<SECTION>)."""
    present = {name.upper(): name for name in os.environ if name.upper().startswith(ENV_PREFIX)}
    for depth in range(len(loc), 0, -1):
        candidate = ENV_PREFIX + ENV_NESTING.join(str(part) for part in loc[:depth]).upper()
        if candidate in present:
            return present[candidate]
    return f"{ENV_PREFIX}* environment"


def validate_overlay(path: Path) -> Settings:
    """Check that a top-level configs/*.yaml file is a valid settings overlay on its own."""
    default = path.parent / "default.yaml"
    return validated([Layer(str(default), read_yaml(default)), Layer(str(path), read_yaml(path))])


def validate_hardware_profile(path: Path) -> HardwareSettings:
    """A configs/hardware/*.yaml profile: a settings overlay that names itself in `hardware.profile`."""
    default = path.parent.parent / "default.yaml"
    settings = validated([Layer(str(default), read_yaml(default)), Layer(str(path), read_yaml(path))])
    if settings.hardware.profile != path.stem:
        raise ValueError(f"{path}: hardware.profile is {settings.hardware.profile!r}, expected {path.stem!r}")
    return settings.hardware


def validate_presets_file(path: Path) -> TTTPresetsFile:
    """A configs/presets/*.yaml file: TTT presets, each a partial TTT configuration."""
    return TTTPresetsFile(**read_yaml(path))


# Each folder of configs/ holds one kind of file; this says which model validates which folder.
# Folders without an entry are an error in the test that loads every file, so none is forgotten.
CONFIG_VALIDATORS: dict[str, Callable[[Path], object]] = {
    ".": validate_overlay,
    "hardware": validate_hardware_profile,
    "presets": validate_presets_file,
}
