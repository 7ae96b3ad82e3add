from pathlib import Path

import pytest

from arc_ttt.application.config.settings import CONFIG_VALIDATORS, ConfigError, default_config_dir, load_settings

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
    with pytest.raises(ConfigError, match="solvr"):
        load_settings(config_dir=tmp_path)
    (tmp_path / "default.yaml").write_text("")
    with pytest.raises(ValueError, match="unknown config 'nope'"):
        load_settings(["nope"], config_dir=tmp_path)
    with pytest.raises(ConfigError, match="duration"):
        load_settings(config_dir=tmp_path, solve={"time_budget": "soon"})


def test_each_bad_value_is_one_line_naming_its_file_key_and_reason(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "default.yaml").write_text("solve:\n  solver: baseline\n")
    typo = tmp_path / "typo.yaml"
    typo.write_text("solve:\n  time_budjet: 30m\nhardware:\n  pause_free_ram_mb: 100\n  abort_free_ram_mb: 200\n")
    with pytest.raises(ConfigError) as caught:
        load_settings([str(typo)], config_dir=tmp_path)
    assert sorted(caught.value.problems) == [
        f"{typo}: hardware.abort_free_ram_mb: abort_free_ram_mb 200.0 is above pause_free_ram_mb 100.0",
        f"{typo}: solve.time_budjet: extra inputs are not permitted",
    ]
    with pytest.raises(ConfigError) as caught:
        load_settings(config_dir=tmp_path, solve={"workers": 0})
    assert caught.value.problems == ("solve.workers: input should be greater than or equal to 1",)


def test_a_bad_environment_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "default.yaml").write_text("")
    monkeypatch.setenv("ARC_TTT_SOLVE__WORKERS", "0")
    monkeypatch.setenv("ARC_TTT_PROGRAM__MAX_DEPTH", "9")
    with pytest.raises(ConfigError) as caught:
        load_settings(config_dir=tmp_path)
    assert sorted(caught.value.problems) == [
        "ARC_TTT_PROGRAM__MAX_DEPTH: program.max_depth: input should be less than or equal to 4",
        "ARC_TTT_SOLVE__WORKERS: solve.workers: input should be greater than or equal to 1",
    ]


@pytest.mark.parametrize(("content", "problem"), [
    (b"solve: [1,2\n", "not valid YAML: expected ',' or ']', but got '<stream end>' (line 2, column 1)"),
    (b"solve:\n  solver: \xff\xfe\n", "not valid YAML: not UTF-8 text (byte 17: invalid start byte)"),
    (b"- solve\n", "expected a mapping at the top level, got list"),
])
def test_a_config_file_that_is_not_a_yaml_mapping_is_named(tmp_path: Path, content: bytes, problem: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_settings([str(bad)], config_dir=tmp_path)
    assert caught.value.problems == (f"{bad}: {problem}",)


def test_a_python_tag_in_a_config_file_is_refused_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    bad = tmp_path / "tag.yaml"
    bad.write_text(f"solve: !!python/object/apply:os.mkdir ['{marker}']\n")  # what an unsafe loader would run
    with pytest.raises(ConfigError, match=r"tag.yaml: not valid YAML: could not determine a constructor"):
        load_settings([str(bad)], config_dir=tmp_path)
    assert not marker.exists()
