"""The LoRA projection node gives autograd's own values and gradients of
`linear(x, W, b) + s * (x * keep) @ A^T @ B^T`, whichever inputs need a gradient, and its CPU dropout
masks keep each element with probability 1 - p, independently."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from arc_ttt.adapters.models import lora_projection as module  # noqa: E402
from arc_ttt.adapters.models.lora_projection import dropout_keep, lora_projection  # noqa: E402


def reference(x: Any, keep: Any, weight: Any, bias: Any, lora_a: Any, lora_b: Any, scaling: float) -> Any:
    dropped = x if keep is None else x * keep
    return torch.nn.functional.linear(x, weight, bias) + scaling * (dropped @ lora_a.t()) @ lora_b.t()


def inputs(*, bias: bool, x_grad: bool) -> dict[str, Any]:
    torch.manual_seed(0)
    x = torch.randn(13, 24, requires_grad=x_grad)
    return {"x": x, "weight": torch.randn(40, 24), "bias": torch.randn(40) if bias else None,
            "lora_a": torch.randn(4, 24, requires_grad=True), "lora_b": torch.randn(40, 4, requires_grad=True)}


def values_and_grads(fn: Any, case: dict[str, Any], keep: Any, scaling: float) -> list[Any]:
    leaves = {name: value.detach().clone().requires_grad_(value.requires_grad)
              for name, value in case.items() if value is not None}
    out = fn(leaves["x"], keep, leaves["weight"], leaves.get("bias"), leaves["lora_a"], leaves["lora_b"], scaling)
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
    (out * weights).sum().backward()
    return [out.detach()] + [leaf.grad for leaf in leaves.values() if leaf.requires_grad]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("dropout", ["off", "mask"])
def test_values_and_gradients_equal_autograds(bias: bool, x_grad: bool, dropout: str) -> None:
    case = inputs(bias=bias, x_grad=x_grad)
    keep = None if dropout == "off" else (torch.rand(13, 24, generator=torch.Generator().manual_seed(2)) > 0.3) / 0.7
    got = values_and_grads(lora_projection, case, keep, 0.5)
    expected = values_and_grads(reference, case, keep, 0.5)
    assert len(got) == len(expected) == 3 + x_grad
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_a_trainable_base_weight_keeps_autograds_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> Any:
        raise AssertionError("the node assumes a frozen base weight")

    monkeypatch.setattr(module, "_function", refuse)
    case = inputs(bias=True, x_grad=True)
    case["weight"].requires_grad_(True)
    got = values_and_grads(lora_projection, case, None, 2.0)
    expected = values_and_grads(reference, case, None, 2.0)
    assert len(got) == 5  # out and the gradients of x, W, A, B
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("p", [0.05, 0.3, 0.9])
def test_cpu_dropout_masks_keep_each_element_with_probability_1_minus_p(p: float) -> None:
    x = torch.empty(301, 333)  # an odd count: the last 32-bit lane pair is cut
    torch.manual_seed(0)
    keep = dropout_keep(x, p)
    assert keep.shape == x.shape and keep.dtype == x.dtype
    values = torch.unique(keep).tolist()
    assert len(values) == 2 and values[0] == 0.0 and values[1] == pytest.approx(1 / (1 - p))
    kept = (keep > 0).double()
    spread = (p * (1 - p) / kept.numel()) ** 0.5
    assert abs(float(kept.mean()) - (1 - p)) < 5 * spread
    # no pattern along rows, columns or neighbours: each share within 5 standard deviations too
    for share, count in ((kept.mean(0), kept.shape[0]), (kept.mean(1), kept.shape[1])):
        assert float((share - (1 - p)).abs().max()) < 5 * (p * (1 - p) / count) ** 0.5
    pairs = (kept.flatten()[:-1] * kept.flatten()[1:]).mean()
    assert abs(float(pairs) - (1 - p) ** 2) < 5 * spread
    torch.manual_seed(0)
    assert torch.equal(dropout_keep(x, p), keep)  # torch's generator: the seed fixes the masks
    assert not torch.equal(dropout_keep(x, p), keep)


def reference_bf16_base(x: Any, keep: Any, weight: Any, bias: Any, lora_a: Any, lora_b: Any,
                        scaling: float) -> Any:
    """The base matmul on bf16-rounded operands (exact products, float32 sums), the LoRA term in float32."""
    dropped = x if keep is None else x * keep
    rounded = torch.nn.functional.linear(x.bfloat16().float(), weight.bfloat16().float(),
                                         None if bias is None else bias.bfloat16().float())
    return rounded + scaling * (dropped @ lora_a.t()) @ lora_b.t()


@pytest.mark.parametrize("dropout", ["off", "mask"])
def test_a_bf16_base_keeps_the_lora_term_and_its_gradients_in_float32(dropout: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "_MIN_BF16_WIDTH", 1)  # these projections are narrow
    case = inputs(bias=True, x_grad=True)
    keep = None if dropout == "off" else (torch.rand(13, 24, generator=torch.Generator().manual_seed(2)) > 0.3) / 0.7

    def bf16_base(*args: Any) -> Any:
        return lora_projection(*args, base_dtype=torch.bfloat16)

    got = values_and_grads(bf16_base, case, keep, 0.5)
    expected = values_and_grads(reference_bf16_base, case, keep, 0.5)
    fp32 = values_and_grads(reference, case, keep, 0.5)
    assert all(value.dtype == torch.float32 for value in got)
    # the output: bf16's rounding of the base result only (one part in 256 of its scale)
    torch.testing.assert_close(got[0], expected[0], rtol=0, atol=float(expected[0].abs().max()) / 128)
    # x's gradient: its base part from bf16 operands, so within bf16's precision of float32's
    torch.testing.assert_close(got[1], fp32[1], rtol=0.05, atol=0.1)
    # the LoRA gradients do not go through the base matmul: float32's
    for a, b in zip(got[2:], fp32[2:], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_a_bf16_base_does_not_round_a_small_lora_term_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "_MIN_BF16_WIDTH", 1)
    case = inputs(bias=False, x_grad=False)
    tiny = {**case, "lora_b": case["lora_b"].detach() * 1e-4}  # a LoRA term far under bf16's resolution
    args = (case["x"], None, case["weight"], None, tiny["lora_a"].detach())
    with_lora = lora_projection(*args, tiny["lora_b"], 1.0, base_dtype=torch.bfloat16)
    without = lora_projection(*args, torch.zeros_like(tiny["lora_b"]), 1.0, base_dtype=torch.bfloat16)
    term = (case["x"] @ tiny["lora_a"].detach().t()) @ tiny["lora_b"].t()
    torch.testing.assert_close(with_lora - without, term, rtol=1e-3, atol=1e-6)


def test_bf16_matmuls_meet_a_bounded_set_of_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    # oneDNN keeps a compiled kernel per matmul shape; row counts that follow the episode lengths
    # would make the process grow task after task
    shapes: set[tuple[int, ...]] = set()
    mm = torch.mm

    def recording(a: Any, b: Any) -> Any:
        shapes.add((*a.shape, *b.shape))
        return mm(a, b)

    weight, bias = torch.randn(40, 24), torch.randn(40)
    monkeypatch.setattr(module, "_MIN_BF16_WIDTH", 1)
    monkeypatch.setattr(torch, "mm", recording)
    for rows in range(1, 1400, 37):
        x = torch.randn(rows, 24)
        got = module._base(x, weight, bias, torch.bfloat16)
        expected = torch.nn.functional.linear(x.bfloat16().float(), weight.bfloat16().float(), bias)
        assert got.shape == (rows, 40) and got.dtype == torch.float32
        torch.testing.assert_close(got, expected, rtol=0, atol=float(expected.abs().max()) / 128)
    assert {shape[0] for shape in shapes} <= set(range(64, 513, 64)) and len(shapes) <= 8


def test_a_narrow_projection_keeps_its_own_dtype() -> None:
    x = torch.randn(30, 64)
    narrow, wide = torch.randn(64, 64), torch.randn(128, 128)
    assert torch.equal(module._base(x, narrow, None, torch.bfloat16), torch.nn.functional.linear(x, narrow))
    x = torch.randn(30, 128)
    assert not torch.equal(module._base(x, wide, None, torch.bfloat16), torch.nn.functional.linear(x, wide))
