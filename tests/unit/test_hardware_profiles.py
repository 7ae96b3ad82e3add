"""Hardware profiles: every file validates, unknown keys are refused, auto picks by GPU size."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from arc_ttt.application.config.hardware_profiles import (
    describe_run,
    load_profile,
    memory_levels,
    profile_names,
    resolve_profile,
    settings_with_profile,
    training_plan,
)
from arc_ttt.application.config.settings import HardwareSettings, default_config_dir
from arc_ttt.domain.resources.hardware import HardwareInfo, choose_profile
from tests.fakes import FakeHardwareProbe

EXPECTED = {"cpu", "gpu-16gb", "gpu-24gb", "gpu-40gb", "gpu-80gb"}


def test_the_profiles_ship_and_validate() -> None:
    assert set(profile_names()) >= EXPECTED
    for name in profile_names():
        profile = load_profile(name)
        assert profile.profile == name
        levels = memory_levels(profile)
        assert levels.abort_free_mb <= levels.pause_free_mb
        plan = training_plan(profile)
        assert plan.seq_len == profile.max_seq_len and plan.quantization == profile.quantization


def test_unknown_keys_and_bad_levels_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        HardwareSettings(batch_sise=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        HardwareSettings(pause_free_ram_mb=100, abort_free_ram_mb=500)
    with pytest.raises(ValidationError):
        HardwareSettings(quantization="2bit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown hardware profile"):
        load_profile("gpu-17gb")


@pytest.mark.parametrize(
    ("gpus", "expected"),
    [((), "cpu"), ((14.75,), "gpu-16gb"), ((22.5,), "gpu-24gb"), ((39.6,), "gpu-40gb"), ((79.2,), "gpu-80gb"),
     ((139.8,), "gpu-80gb"), ((11.0,), "gpu-16gb"), ((14.75, 39.6), "gpu-40gb")],
)
def test_auto_picks_the_largest_profile_the_gpu_holds(gpus: tuple[float, ...], expected: str) -> None:
    name, why = resolve_profile("auto", FakeHardwareProbe(gpus).probe())
    assert name == expected and why


def test_choose_profile_without_gpu_profiles_falls_back_to_cpu() -> None:
    assert choose_profile(FakeHardwareProbe([16]).probe(), {})[0] == "cpu"


def test_settings_with_profile_lays_the_profile_under_the_user_overlays(tmp_path: Path) -> None:
    settings, why = settings_with_profile("auto", (), {}, FakeHardwareProbe([14.75]))
    assert settings.hardware.profile == "gpu-16gb" and "gpu-16gb" in why
    settings, _ = settings_with_profile("gpu-80gb", (), {"hardware": {"lora_rank": 8}}, None)
    assert settings.hardware.profile == "gpu-80gb" and settings.hardware.lora_rank == 8


def test_a_profile_named_in_the_settings_is_loaded_like_the_option(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    by_option, _ = settings_with_profile("gpu-16gb", (), {}, None)
    monkeypatch.setenv("ARC_TTT_HARDWARE__PROFILE", "gpu-16gb")
    from_environment, why = settings_with_profile(None, (), {}, None)
    assert from_environment.hardware == by_option.hardware and why == "gpu-16gb (named in the settings)"
    assert from_environment.hardware.memory_budget_gb == 14 and from_environment.hardware.quantization == "4bit"
    overlay = tmp_path / "mine.yaml"
    overlay.write_text("hardware:\n  profile: gpu-24gb\n  lora_rank: 8\n")
    from_file, _ = settings_with_profile(None, (str(overlay),), {}, None)  # the environment still wins
    assert from_file.hardware.memory_budget_gb == 14 and from_file.hardware.lora_rank == 8
    monkeypatch.delenv("ARC_TTT_HARDWARE__PROFILE")
    from_file, _ = settings_with_profile(None, (str(overlay),), {}, None)
    assert from_file.hardware.profile == "gpu-24gb" and from_file.hardware.memory_budget_gb == 22
    assert from_file.hardware.lora_rank == 8  # the user's overlay goes over the profile it names
    option_wins, why = settings_with_profile("cpu", (str(overlay),), {}, None)
    assert option_wins.hardware.profile == "cpu" and option_wins.hardware.device == "cpu" and "cpu" in why


def test_an_unknown_profile_named_in_the_settings_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARC_TTT_HARDWARE__PROFILE", "nonsense")
    with pytest.raises(ValueError, match="unknown hardware profile 'nonsense'"):
        settings_with_profile(None, (), {}, None)


def test_describe_run_records_machine_and_budget() -> None:
    meta = describe_run(FakeHardwareProbe([23.0]), load_profile("gpu-24gb"))
    hardware = HardwareInfo.from_json(meta["hardware"])  # type: ignore[arg-type]
    assert hardware.cuda_devices[0].name == "Fake GPU 0" and hardware.cuda_devices[0].compute_capability == (8, 0)
    assert meta["profile"]["memory_budget_bytes"] == 22 * 1024**3  # type: ignore[index]


def test_the_config_dir_holds_the_profiles() -> None:
    assert (default_config_dir() / "hardware" / "gpu-16gb.yaml").is_file()
