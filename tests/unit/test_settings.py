from pathlib import Path

import pytest
from pydantic import ValidationError

from arc_ttt.application.settings import CONFIG_VALIDATORS, default_config_dir, load_settings

CONFIGS = sorted(default_config_dir().rglob("*.yaml"))


def test_there_are_config_files() -> None:
    assert (default_config_dir() / "default.yaml") in CONFIGS


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(default_config_dir())))
def test_every_config_file_validates(path: Path) -> None:
    folder = str(path.parent.relative_to(default_config_dir()))
    assert folder in CONFIG_VALIDATORS, f"no validator declared for configs/{folder}/"
    CONFIG_VALIDATORS[folder](path)


def test_layers_apply_in_order_yaml_then_environment_then_arguments(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "default.yaml").write_text("solve:\n  solver: baseline\n  task_time_limit: 30s\n")
    (tmp_path / "fast.yaml").write_text("solve:\n  time_budget: 5m\n")
    settings = load_settings(["fast"], config_dir=tmp_path)
    assert settings.solve.time_budget == 300 and settings.solve.task_time_limit == 30
    monkeypatch.setenv("ARC_TTT_SOLVE__TIME_BUDGET", "1h")
    assert load_settings(["fast"], config_dir=tmp_path).solve.time_budget == 3600
    assert load_settings(["fast"], config_dir=tmp_path, solve={"time_budget": 7}).solve.time_budget == 7
    assert load_settings(["fast"], config_dir=tmp_path).solve.task_time_limit == 30


def test_unknown_keys_and_names_are_errors(tmp_path: Path) -> None:
    (tmp_path / "default.yaml").write_text("solve:\n  solvr: baseline\n")
    with pytest.raises(ValidationError, match="solvr"):
        load_settings(config_dir=tmp_path)
    (tmp_path / "default.yaml").write_text("")
    with pytest.raises(ValueError, match="unknown config 'nope'"):
        load_settings(["nope"], config_dir=tmp_path)
    with pytest.raises(ValidationError, match="duration"):
        load_settings(config_dir=tmp_path, solve={"time_budget": "soon"})
