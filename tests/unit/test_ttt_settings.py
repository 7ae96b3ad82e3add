"""configs/presets/ttt.yaml validates, presets resolve, and explicit settings win over presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from arc_ttt.application.bootstrap.ttt_wiring import PRESETS_FILE, backend_options, solver_config
from arc_ttt.application.config.settings import default_config_dir, load_settings
from arc_ttt.application.config.ttt_settings import TechniqueKnobs, TTTPresetsFile, TTTSettings, resolve_ttt
from tests.builders import predict_correct_policy

PRESETS = default_config_dir() / PRESETS_FILE


@pytest.mark.parametrize("preset", ["default", "marc", "kaggle", "colab", "cpu"])
def test_presets_resolve(preset: str) -> None:
    resolved = resolve_ttt(TTTSettings(preset=preset), PRESETS)
    assert resolved.lora.alpha == 16


def test_marc_preset_is_the_published_recipe() -> None:
    marc = resolve_ttt(TTTSettings(preset="marc"), PRESETS)
    assert (marc.lora.rank, marc.lora.alpha, marc.training.learning_rate) == (128, 16, 5e-5)
    assert (marc.training.epochs, marc.training.batch_size, marc.data.max_examples) == (2, 2, 250)
    assert marc.backend.loss_on == "outputs"
    config = solver_config(marc)
    assert config.policy.total_steps(250) == 250 and backend_options(marc).lora_rank == 128


def test_kaggle_and_colab_fit_16_gb_gpus() -> None:
    for name in ("kaggle", "colab"):
        resolved = resolve_ttt(TTTSettings(preset=name), PRESETS)
        assert resolved.backend.quantization == "4bit" and resolved.training.micro_batch_size == 1


def test_explicit_settings_win_over_the_preset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARC_TTT_TTT__PRESET", "marc")
    monkeypatch.setenv("ARC_TTT_TTT__TRAINING__LEARNING_RATE", "0.001")
    settings = load_settings()
    resolved = resolve_ttt(settings.ttt, PRESETS)
    assert resolved.training.learning_rate == 0.001  # the environment said so
    assert resolved.lora.rank == 128 and resolved.training.epochs == 2  # the rest is marc


def test_bad_preset_files_and_names_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown ttt preset 'nope'"):
        resolve_ttt(TTTSettings(preset="nope"), PRESETS)
    bad = tmp_path / "ttt.yaml"
    bad.write_text("presets:\n  fast:\n    training: {max_stepz: 3}\n")
    with pytest.raises(ValueError, match="preset 'fast'"):
        resolve_ttt(TTTSettings(preset="fast"), bad)
    with pytest.raises(ValueError, match=r"preset 'tiny': lora\.rank"):
        TTTPresetsFile(presets={"tiny": {"lora": {"rank": 0}}})
    with pytest.raises(ValueError, match="defaults"):  # the knobs' defaults are declared once, in ttt_settings
        TTTPresetsFile(**{"defaults": {"lora": {"rank": 8}}})


def test_technique_switches_reach_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    from arc_ttt.domain.ttt.techniques.scoring import ScoringOptions

    off = solver_config(resolve_ttt(TTTSettings(), PRESETS)).service
    shipped = TechniqueKnobs()
    assert (off.confidence is None) == (not shipped.confidence.enabled)
    assert (off.scoring is None) == (not shipped.scoring.enabled)
    assert (off.entropy is None) == (not shipped.entropy.enabled)
    assert (off.predict_correct is None) == (not shipped.predict_correct.enabled)
    monkeypatch.setenv("ARC_TTT_TTT__TECHNIQUES__SCORING__ENABLED", "true")
    monkeypatch.setenv("ARC_TTT_TTT__TECHNIQUES__SCORING__VIEWS", "6")
    monkeypatch.setenv("ARC_TTT_TTT__TECHNIQUES__PREDICT_CORRECT__ENABLED", "true")
    service = solver_config(resolve_ttt(load_settings().ttt, PRESETS)).service
    assert service.scoring == ScoringOptions(candidates=4, views=6, vote_weight=1.0)
    assert service.predict_correct == predict_correct_policy()


def test_a_predict_correct_window_beyond_its_warmup_is_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        TTTSettings(techniques={"predict_correct": {"warmup": 2, "window": 3}})


def test_backend_switches_reach_the_backend_options(monkeypatch: pytest.MonkeyPatch) -> None:
    on = backend_options(resolve_ttt(load_settings().ttt, PRESETS))
    assert on.target_forward and on.constrained_decoding
    monkeypatch.setenv("ARC_TTT_TTT__BACKEND__TARGET_FORWARD", "false")
    assert not backend_options(resolve_ttt(load_settings().ttt, PRESETS)).target_forward


def test_every_training_knob_reaches_the_training_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARC_TTT_TTT__TRAINING__MIN_IMPROVEMENT", "0.01")
    monkeypatch.setenv("ARC_TTT_TTT__TRAINING__WALL_SECONDS", "45")
    policy = solver_config(resolve_ttt(load_settings().ttt, PRESETS)).policy
    assert (policy.min_improvement, policy.wall_seconds) == (0.01, 45.0)
