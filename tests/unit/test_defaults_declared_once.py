"""Every setting's default is declared once, in the pydantic settings models: the domain and adapter dataclasses
built from them declare none of their own, and the shipped YAML files restate none. Copies drift apart (the training
policy once said 60 s where the settings said 120 s), and a copy that is never read still misleads its reader. And
every setting reaches what it configures: the wiring hands sections over whole, so a knob mapped by hand to the
wrong field, or not at all, is caught here."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, Field, fields, is_dataclass
from functools import reduce
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError

from arc_ttt.adapters.models.backend import BackendOptions
from arc_ttt.adapters.solvers.program_pool import ProgramPoolConfig
from arc_ttt.application.bootstrap import solver_wiring, ttt_wiring
from arc_ttt.application.config.mappings import deep_merge
from arc_ttt.application.config.settings import (
    ENV_PREFIX,
    EnsembleSettings,
    Layer,
    ProgramSettings,
    Settings,
    default_config_dir,
    validated,
)
from arc_ttt.application.config.ttt_settings import TTTSettings
from arc_ttt.application.config.yaml_files import read_yaml
from arc_ttt.domain.programs.program_search import ProgramSearchOptions
from arc_ttt.domain.solving.ensemble import EnsemblePolicy
from arc_ttt.domain.ttt.mit_strategy import MitTTTOptions
from arc_ttt.domain.ttt.service import ServiceOptions
from arc_ttt.domain.ttt.solver import TTTSolverConfig
from arc_ttt.domain.ttt.techniques.confidence import ConfidenceRule
from arc_ttt.domain.ttt.techniques.entropy import EntropyPolicy
from arc_ttt.domain.ttt.techniques.predict_correct import PredictCorrectPolicy
from arc_ttt.domain.ttt.techniques.scoring import ScoringOptions
from arc_ttt.domain.ttt.training import TrainingPolicy
from tests import builders

# Each dataclass the application builds from a settings section, and how (from the settings' defaults).
MIRRORS: dict[type, Callable[[], object]] = {
    TrainingPolicy: builders.training_policy,
    BackendOptions: builders.backend_options,
    MitTTTOptions: builders.data_options,
    ServiceOptions: builders.service_options,
    TTTSolverConfig: builders.ttt_solver_config,
    ConfidenceRule: builders.confidence_rule,
    ScoringOptions: builders.scoring_options,
    EntropyPolicy: builders.entropy_policy,
    PredictCorrectPolicy: builders.predict_correct_policy,
    ProgramSearchOptions: builders.program_search_options,
    ProgramPoolConfig: builders.program_solver_config,
    EnsemblePolicy: builders.ensemble_policy,
}
# Their fields that no setting feeds: these are not settings, so the dataclass is where their default lives.
NOT_SETTINGS = {
    BackendOptions: {"eval_batch_size"},
    ServiceOptions: {"save_adapters", "tags"},
    ProgramSearchOptions: {"candidates_per_test", "rival_margin"},
    ProgramPoolConfig: {"grace_seconds"},
    EnsemblePolicy: {"first_share", "first_keeps_its_places"},
}


def declared_default(field: Field[Any]) -> Any:
    if field.default is not MISSING:
        return field.default
    if field.default_factory is not MISSING:
        return field.default_factory()
    return MISSING


@pytest.mark.parametrize("mirror", list(MIRRORS), ids=lambda cls: cls.__name__)
def test_dataclasses_built_from_settings_declare_no_default_of_their_own(mirror: type) -> None:
    built = MIRRORS[mirror]()
    copies = [f"{mirror.__name__}.{f.name} declares {declared_default(f)!r}; the settings declare "
              f"{getattr(built, f.name)!r}" for f in fields(mirror)
              if f.name not in NOT_SETTINGS.get(mirror, set()) and declared_default(f) is not MISSING]
    assert not copies, "a default declared twice (keep it in the settings model only):\n" + "\n".join(copies)


def test_every_dataclass_the_wiring_builds_is_checked() -> None:
    wired = {value for module in (ttt_wiring, solver_wiring) for value in vars(module).values()
             if isinstance(value, type) and is_dataclass(value)}
    wired |= set(ttt_wiring.TECHNIQUE_POLICIES.values())
    assert wired <= set(MIRRORS), f"add to MIRRORS: {sorted(c.__name__ for c in wired - set(MIRRORS))}"


def knobs(model: type[BaseModel], where: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The dotted place and annotation of every leaf setting of `model`."""
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from knobs(field.annotation, (*where, name))
        else:
            yield (*where, name), field.annotation


def other_values(value: Any, annotation: Any) -> list[Any]:
    """Values other than `value` that a setting of this type may take (some may fail its bounds)."""
    if get_origin(annotation) is Literal:
        return [option for option in get_args(annotation) if option != value]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, float):
        return [value / 2 or 0.5, value + 1, None]
    if isinstance(value, list):
        return [["q_proj"]]
    if isinstance(value, str):
        return [f"{value}-2"]
    return [2] if value is None else []


def changed(model: type[BaseModel], base: dict[str, Any], place: tuple[str, ...], annotation: Any) -> BaseModel:
    """`base` with the setting at `place` set to another value it accepts."""
    current = value_at(model.model_validate(base), place)
    for value in other_values(current, annotation):
        values = deep_merge(base, reduce(lambda inner, key: {key: inner}, reversed(place), value))
        try:
            return model.model_validate(values)
        except ValidationError:
            continue
    raise AssertionError(f"no other value found for {'.'.join(place)}")


ALL_TECHNIQUES_ON = {"techniques": {name: {"enabled": True} for name in ttt_wiring.TECHNIQUE_POLICIES}}
# Section -> what the application builds from it, the section's values there (each technique's knobs reach its
# policy only while it is switched on), and the settings read elsewhere (resolve_ttt, build_ttt_solver).
def ttt_wiring_output(ttt: TTTSettings) -> object:
    """What the wiring builds from the ttt section: the solver's config and what its backend factory binds."""
    return ttt_wiring.solver_config(ttt), ttt_wiring.backend_factory(ttt).keywords


SECTIONS: dict[type[BaseModel], tuple[Callable[[Any], object], dict[str, Any], set[str]]] = {
    TTTSettings: (ttt_wiring_output, ALL_TECHNIQUES_ON, {"preset", "store_adapters"}),
    ProgramSettings: (solver_wiring.program_solver_config, {}, set()),
    EnsembleSettings: (solver_wiring.ensemble_policy, {}, {"ttt"}),
}


@pytest.mark.parametrize("section", list(SECTIONS), ids=lambda model: model.__name__)
def test_every_setting_reaches_what_it_configures(section: type[BaseModel]) -> None:
    build, base, elsewhere = SECTIONS[section]
    built = build(section.model_validate(base))
    unread = [".".join(place) for place, annotation in knobs(section) if place[0] not in elsewhere
              and build(changed(section, base, place, annotation)) == built]
    assert not unread, f"settings that reach nothing the wiring builds: {unread}"


def leaves(values: Mapping[str, Any], where: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in values.items():
        if isinstance(value, Mapping):
            yield from leaves(value, (*where, key))
        else:
            yield (*where, key)


def value_at(settings: BaseModel, path: tuple[str, ...]) -> Any:
    value: Any = settings
    for part in path:
        value = getattr(value, part)
    return value


@pytest.fixture
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings built here see the defaults, not whatever ARC_TTT_* variables this shell has."""
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def test_default_yaml_restates_no_default() -> None:
    path = default_config_dir() / "default.yaml"
    assert not read_yaml(path), f"{path}: declare defaults in the settings models (application/config), not here"


OVERLAYS = [p for p in sorted(default_config_dir().glob("*.yaml")) if p.name != "default.yaml"]


@pytest.mark.parametrize("path", OVERLAYS, ids=lambda p: p.name)
def test_overlays_set_only_what_differs_from_the_default(path: Path, no_environment: None) -> None:
    values = read_yaml(path)
    overlay, default = validated([Layer(str(path), values)]), Settings()
    same = [".".join(key) for key in leaves(values) if value_at(overlay, key) == value_at(default, key)]
    assert not same, f"{path} restates the default of {', '.join(same)}"


def test_the_presets_file_holds_presets_only() -> None:
    assert set(read_yaml(default_config_dir() / ttt_wiring.PRESETS_FILE)) == {"presets"}
