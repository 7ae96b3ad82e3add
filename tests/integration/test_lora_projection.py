"""The LoRA projection node gives autograd's own values and gradients of
`linear(x, W, b) + s * dropped @ A^T @ B^T`, whichever inputs need a gradient."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from arc_ttt.adapters.models import lora_projection as module  # noqa: E402
from arc_ttt.adapters.models.lora_projection import lora_projection  # noqa: E402


def reference(x: Any, dropped: Any, weight: Any, bias: Any, lora_a: Any, lora_b: Any, scaling: float) -> Any:
    return torch.nn.functional.linear(x, weight, bias) + scaling * (dropped @ lora_a.t()) @ lora_b.t()


def inputs(*, bias: bool, x_grad: bool) -> dict[str, Any]:
    torch.manual_seed(0)
    x = torch.randn(13, 24, requires_grad=x_grad)
    return {"x": x, "weight": torch.randn(40, 24), "bias": torch.randn(40) if bias else None,
            "lora_a": torch.randn(4, 24, requires_grad=True), "lora_b": torch.randn(40, 4, requires_grad=True)}


def values_and_grads(fn: Any, case: dict[str, Any], dropped_from: Any, scaling: float) -> list[Any]:
    leaves = {name: value.detach().clone().requires_grad_(value.requires_grad)
              for name, value in case.items() if value is not None}
    x = leaves["x"]
    out = fn(x, dropped_from(x), leaves["weight"], leaves.get("bias"), leaves["lora_a"], leaves["lora_b"], scaling)
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
    (out * weights).sum().backward()
    return [out.detach()] + [leaf.grad for leaf in leaves.values() if leaf.requires_grad]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("dropout", ["off", "mask"])
def test_values_and_gradients_equal_autograds(bias: bool, x_grad: bool, dropout: str) -> None:
    case = inputs(bias=bias, x_grad=x_grad)
    mask = (torch.rand(13, 24, generator=torch.Generator().manual_seed(2)) > 0.3).float() / 0.7

    def dropped_from(x: Any) -> Any:
        return x if dropout == "off" else x * mask

    got = values_and_grads(lora_projection, case, dropped_from, 0.5)
    expected = values_and_grads(reference, case, dropped_from, 0.5)
    assert len(got) == len(expected) == 3 + x_grad
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_a_trainable_base_weight_keeps_autograds_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> Any:
        raise AssertionError("the node assumes a frozen base weight")

    monkeypatch.setattr(module, "_function", refuse)
    case = inputs(bias=True, x_grad=True)
    case["weight"].requires_grad_(True)
    got = values_and_grads(lora_projection, case, lambda x: x, 2.0)
    expected = values_and_grads(reference, case, lambda x: x, 2.0)
    assert len(got) == 5  # out and the gradients of x, W, A, B
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
