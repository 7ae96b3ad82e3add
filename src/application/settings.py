"""Settings: configs/default.yaml, then named overlays (`--config NAME`), then ARC_TTT_* variables
(nested with '__', e.g. ARC_TTT_SOLVE__SOLVER=program), then explicit arguments. Unknown keys are
errors everywhere, so a typo in a config file is caught, not silently ignored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from arc_ttt.application.durations import parse_duration
from arc_ttt.application.ttt_settings import TTTSettings, TTTStrategyFile

CONFIG_DIR_ENV = "ARC_TTT_CONFIG_DIR"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SolveSettings(Section):
    solver: str = "baseline"
    dataset: str = "arc1/evaluation"
    out: Path = Path("runs/latest")
    time_budget: float = Field(default=2 * 3600.0, description="seconds for the whole batch")
    task_time_limit: float = Field(default=60.0, description="seconds a solver may spend on one task")

    @field_validator("time_budget", "task_time_limit", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value)  # type: ignore[arg-type]


class StoreSettings(Section):
    url: str | None = Field(default=None, description="SQLAlchemy URL; default: results.db in the run folder")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ARC_TTT_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    solve: SolveSettings = SolveSettings()
    store: StoreSettings = StoreSettings()
    ttt: TTTSettings = TTTSettings()

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
CONFIG_SCHEMAS: dict[str, type[BaseModel]] = {"strategies": TTTStrategyFile}


def default_config_dir() -> Path:
    """configs/ of the source checkout, unless ARC_TTT_CONFIG_DIR points elsewhere."""
    import os

    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "configs"


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


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


def load_settings(
    overlays: Sequence[str] = (), config_dir: Path | None = None, **overrides: Any
) -> Settings:
    """Defaults <- default.yaml <- overlays (in order) <- ARC_TTT_* environment <- `overrides`."""
    directory = config_dir or default_config_dir()
    layered = read_yaml(directory / "default.yaml")
    for name in overlays:
        layered = deep_merge(layered, read_yaml(config_path(name, directory)))
    env_layer = Settings().model_dump(exclude_unset=True)  # only what the environment set
    merged = deep_merge(deep_merge(layered, env_layer), overrides)
    return Settings(**merged)
