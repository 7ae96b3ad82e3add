"""The target forward (last block only where a target token is predicted, LoRA in one node) gives
the logits and LoRA gradients of the model's own forward, for each decoder family it accepts, and
the backend falls back to the model's forward for anything else."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from arc_ttt.adapters.models import target_forward  # noqa: E402
from arc_ttt.adapters.models.backend import TransformersBackend  # noqa: E402
from arc_ttt.adapters.models.model_loading import build_model  # noqa: E402
from arc_ttt.adapters.models.target_forward import target_forward_blocker, target_logits  # noqa: E402
from tests.builders import backend_options  # noqa: E402

SHAPE = {"vocab_size": 20, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 3,
         "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256}


def lora_model(kind: str, dropout: float = 0.0, **overrides: Any) -> Any:
    """A randomly initialised decoder of `kind` with LoRA on every projection, B non-zero."""
    import transformers
    from peft import LoraConfig, get_peft_model

    config_class, model_class = {
        "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM),
        "mistral": (transformers.MistralConfig, transformers.MistralForCausalLM),
        "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM),
    }[kind]
    torch.manual_seed(0)
    model = model_class(config_class(**{**SHAPE, **overrides}))
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=dropout, task_type="CAUSAL_LM",
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                             "up_proj", "down_proj"]))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, 0.2)
    return model


def tiny_backend(**changes: Any) -> TransformersBackend:
    """The backend on a fresh tiny model, without LoRA dropout (these checks compare deterministic passes)."""
    return TransformersBackend(build_model("tiny", seed=0), backend_options(lora_dropout=0.0, **changes))


def lora_grads(model: Any) -> list[Any]:
    grads = [p.grad.detach().clone() for p in model.parameters() if p.requires_grad]
    model.zero_grad(set_to_none=True)
    return grads


@pytest.mark.parametrize(("kind", "overrides"), [
    ("llama", {}),
    ("llama", {"num_key_value_heads": 4, "attention_bias": True, "mlp_bias": True}),
    ("mistral", {"sliding_window": None}),
    ("qwen2", {}),  # biased q/k/v projections
])
def test_logits_and_gradients_equal_the_models_forward(kind: str, overrides: dict[str, Any]) -> None:
    model = lora_model(kind, **overrides)
    model.train()
    assert target_forward_blocker(model, 256) is None
    ids = torch.randint(0, SHAPE["vocab_size"], (2, 40))
    keep = torch.tensor([3, 17, 30, 31, 38])  # scattered, not only a suffix
    weights = torch.randn(2, len(keep), SHAPE["vocab_size"])

    expected = model(input_ids=ids).logits[:, keep]
    (expected * weights).sum().backward()
    expected_grads = lora_grads(model)
    got = target_logits(model, ids, keep)
    (got * weights).sum().backward()
    got_grads = lora_grads(model)

    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    assert len(got_grads) == len(expected_grads) > 0
    for a, b in zip(got_grads, expected_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_gradient_checkpointing_recomputes_blocks_for_the_same_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = target_forward._block
    monkeypatch.setattr(target_forward, "_block", lambda *args: calls.append(1) or original(*args))
    model = lora_model("llama")
    model.train()
    ids = torch.randint(0, SHAPE["vocab_size"], (1, 30))
    keep = torch.arange(20, 29)
    target_logits(model, ids, keep).sum().backward()
    plain, plain_calls = lora_grads(model), len(calls)
    model.get_base_model().gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    calls.clear()
    target_logits(model, ids, keep).sum().backward()
    assert plain_calls == SHAPE["num_hidden_layers"] and len(calls) == 2 * plain_calls  # each block again in backward
    for a, b in zip(lora_grads(model), plain, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_lora_dropout_with_peft_s_masks_gives_peft_s_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    # the target forward draws its masks with `dropout_keep`; drawn the way torch's CPU dropout draws
    # them (bernoulli, in the same order), they are peft's masks, and everything else must agree
    model = lora_model("llama", dropout=0.3)
    model.train()
    ids = torch.randint(0, SHAPE["vocab_size"], (2, 24))
    keep = torch.arange(24)  # every position: the same draws in the same order
    torch.manual_seed(7)
    expected = model(input_ids=ids).logits[:, keep]
    expected.sum().backward()
    expected_grads = lora_grads(model)
    with monkeypatch.context() as patch:
        patch.setattr(target_forward, "dropout_keep", lambda x, p: torch.empty_like(x).bernoulli_(1 - p).div_(1 - p))
        torch.manual_seed(7)
        got = target_logits(model, ids, keep)
        got.sum().backward()
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    for a, b in zip(lora_grads(model), expected_grads, strict=True):  # through the masks as well
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_lora_dropout_is_live_in_training_and_fixed_by_the_seed() -> None:
    model = lora_model("llama", dropout=0.3)
    ids = torch.randint(0, SHAPE["vocab_size"], (1, 20))
    keep = torch.arange(10, 20)
    model.eval()
    plain = target_logits(model, ids, keep)
    model.train()
    torch.manual_seed(3)
    first = target_logits(model, ids, keep)
    torch.manual_seed(3)
    assert torch.equal(target_logits(model, ids, keep), first)
    assert not torch.allclose(first, plain) and not torch.allclose(target_logits(model, ids, keep), first)


def test_blocker_names_what_it_cannot_serve() -> None:
    assert "sliding-window" in (target_forward_blocker(lora_model("mistral", sliding_window=16), 256) or "")
    assert target_forward_blocker(lora_model("mistral", sliding_window=512), 256) is None
    other = lora_model("llama")
    other.get_base_model().config.model_type = "gpt_neox"
    assert "gpt_neox" in (target_forward_blocker(other, 256) or "")


def test_backend_uses_it_and_falls_back_when_its_probe_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tiny_backend().target_forward
    assert not tiny_backend(target_forward=False).target_forward

    original = target_forward._block
    monkeypatch.setattr(target_forward, "_block", lambda *args: original(*args) * 1.01)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend = tiny_backend()
    assert not backend.target_forward
    assert any("its logits differ" in str(w.message) for w in caught)

    def broken(*args: Any) -> Any:
        raise RuntimeError("unknown module")

    monkeypatch.setattr(target_forward, "_block", broken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend = tiny_backend()
    assert not backend.target_forward
    assert any("it failed (RuntimeError: unknown module)" in str(w.message) for w in caught)
    assert backend.model.training


def test_a_bf16_base_gives_the_float32_logits_and_gradients_within_bf16_precision(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from arc_ttt.adapters.models import lora_projection

    monkeypatch.setattr(lora_projection, "_MIN_BF16_WIDTH", 1)  # this model's projections are narrow
    model = lora_model("llama")
    model.train()
    ids = torch.randint(0, SHAPE["vocab_size"], (2, 40))
    keep = torch.arange(25, 40)
    weights = torch.randn(2, len(keep), SHAPE["vocab_size"])
    expected = target_logits(model, ids, keep)
    (expected * weights).sum().backward()
    expected_grads = lora_grads(model)
    got = target_logits(model, ids, keep, torch.bfloat16)
    (got * weights).sum().backward()
    got_grads = lora_grads(model)
    assert got.dtype == torch.float32 and not torch.equal(got, expected)  # the base matmuls did run in bf16
    torch.testing.assert_close(got, expected, rtol=0, atol=0.05 * float(expected.abs().max()))
    for a, b in zip(got_grads, expected_grads, strict=True):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a, b, rtol=0, atol=0.05 * float(b.abs().max()))


def test_backend_runs_training_matmuls_in_bf16_only_where_the_cpu_has_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from arc_ttt.adapters.models import backend as backend_module
    from arc_ttt.domain.arc.grid import Grid
    from arc_ttt.domain.arc.task import Example
    from arc_ttt.domain.ttt.examples import TTTExample

    seen: list[Any] = []
    original = backend_module.target_logits

    def recording(model: Any, ids: Any, keep: Any, base_dtype: Any = None) -> Any:
        seen.append(base_dtype)
        return original(model, ids, keep, base_dtype)

    monkeypatch.setattr(backend_module, "target_logits", recording)
    monkeypatch.setattr(backend_module, "cpu_computes_bf16", lambda: False)
    assert tiny_backend().base_dtype is None
    monkeypatch.setattr(backend_module, "cpu_computes_bf16", lambda: True)
    assert tiny_backend(mixed_precision="no").base_dtype is None
    backend = tiny_backend()
    assert backend.base_dtype == torch.bfloat16
    grid = Grid(((1, 2), (3, 4)))
    example = TTTExample((Example(grid, grid),), Example(grid, grid))
    seen.clear()
    backend.accumulate([example], 1.0)
    backend.evaluate([example])
    assert seen == [torch.bfloat16, None]  # training in bf16, evaluation in the model's float32
