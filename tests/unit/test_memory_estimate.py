"""The training memory estimator: parameter counts, and how each choice moves the estimate."""

from __future__ import annotations

from dataclasses import replace

import pytest

from arc_ttt.domain.resources.hardware import GB
from arc_ttt.domain.resources.memory_estimate import KNOWN_MODELS, TrainingPlan, estimate_training_memory, lora_params

ONE_B = KNOWN_MODELS["llama-3.2-1b"]


def test_parameter_counts_match_the_published_models() -> None:
    assert ONE_B.params == pytest.approx(1.236e9, rel=0.01)
    assert KNOWN_MODELS["llama-3.2-3b"].params == pytest.approx(3.21e9, rel=0.01)
    assert KNOWN_MODELS["llama-3.1-8b"].params == pytest.approx(8.03e9, rel=0.01)


def test_lora_parameters_of_rank_r_on_every_projection() -> None:
    h, kv, i, layers = 2048, 512, 8192, 16
    expected = layers * 8 * ((h + h) * 2 + (h + kv) * 2 + (h + i) * 2 + (i + h))
    assert lora_params(ONE_B, TrainingPlan(lora_rank=8)) == expected
    assert lora_params(ONE_B, TrainingPlan(lora_rank=0)) == 0


def test_quantization_shrinks_the_weights_in_order() -> None:
    sizes = [estimate_training_memory(ONE_B, TrainingPlan(quantization=q)).parts["weights"]
             for q in ("none", "8bit", "4bit")]
    assert sizes[0] > sizes[1] > sizes[2]
    assert sizes[0] == pytest.approx(2 * ONE_B.params, rel=0.001)  # bf16


def test_checkpointing_cuts_activations_and_logits_grow_with_the_sequence() -> None:
    plan = TrainingPlan(seq_len=4096)
    on = estimate_training_memory(ONE_B, plan)
    off = estimate_training_memory(ONE_B, replace(plan, gradient_checkpointing=False))
    assert off.parts["activations"] > 3 * on.parts["activations"]
    double = estimate_training_memory(ONE_B, replace(plan, seq_len=8192))
    assert double.parts["logits"] == 2 * on.parts["logits"]
    assert on.parts["logits"] == 4096 * ONE_B.vocab_size * 10


def test_eager_attention_adds_the_quadratic_score_matrices() -> None:
    plan = TrainingPlan(seq_len=2048, gradient_checkpointing=False)
    sdpa = estimate_training_memory(ONE_B, plan).parts["activations"]
    eager = estimate_training_memory(ONE_B, replace(plan, attention="eager")).parts["activations"]
    assert eager - sdpa == 16 * 2 * 32 * 2048 * 2048 * 2


def test_fit_against_the_two_budgets_users_care_about() -> None:
    small = estimate_training_memory(ONE_B, TrainingPlan(quantization="4bit", seq_len=2048))
    huge = estimate_training_memory(KNOWN_MODELS["llama-3.1-8b"],
                                    TrainingPlan(seq_len=8192, batch_size=4, gradient_checkpointing=False))
    assert small.fits(10 * GB) and small.fits(16 * GB)
    assert not huge.fits(16 * GB)
    assert small.total_bytes == sum(small.parts.values())
    assert small.lines()[-1].strip().startswith("total")


def test_bad_plans_are_refused() -> None:
    with pytest.raises(ValueError, match="quantization"):
        TrainingPlan(quantization="3bit")
    with pytest.raises(ValueError, match="LoRA targets"):
        TrainingPlan(lora_targets=("q", "lm_head"))
    with pytest.raises(ValueError):
        TrainingPlan(seq_len=0)
