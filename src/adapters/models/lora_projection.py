"""A LoRA projection `base(x) + s * (x * keep) A^T B^T` as one autograd node, `keep` being the dropout mask.

Autograd's own backward of that expression multiplies the output gradient by the rank-r factors in
the memory layouts the forward left behind: (n, N) @ (N, r) with B row-major and N x r products
written column by column. On a CPU those skinny products take several times as long as the same
products with the rank as the leading dimension (B^T @ grad^T), which is how this node computes
them; it also adds the low-rank input gradient into the base one in place instead of summing two
(n, K) tensors. For frozen base weights only (the TTT case): a trainable base weight or bias, or
autocast, keeps autograd's own path.

LoRA dropout draws one keep-or-drop decision per input element and projection. torch's `bernoulli_`
spends ~11 ns on each on a CPU, over a quarter of a small model's training step at the default
dropout; on a CPU the masks here come from 32-bit lanes of `torch.randint` words instead (the same
distribution: each element kept with probability 1 - p, to 2^-32, independently; torch's generator,
so `torch.manual_seed` still fixes them).
"""

from __future__ import annotations

from functools import cache
from typing import Any


def dropout_keep(x: Any, p: float) -> Any:
    """Inverted-dropout factors for `x`: 1 / (1 - p) with probability 1 - p, else 0, each element
    independently (0 < p < 1)."""
    import torch

    if x.device.type != "cpu":  # the device's own generator is fast
        return torch.empty_like(x).bernoulli_(1.0 - p).div_(1.0 - p)
    count = x.numel()
    words = torch.randint(-(2**63), 2**63 - 1, ((count + 1) // 2,), dtype=torch.int64)
    lanes = words.view(torch.int32)[:count].view(x.shape)  # uniform on [-2^31, 2^31)
    threshold = round((1.0 - p) * 2**32) - 2**31
    return torch.where(lanes < threshold, 1.0 / (1.0 - p), 0.0).to(x.dtype)


# bf16 matmuls take their rows in pieces of _ROWS, a shorter last piece padded to a multiple of _ROW_STEP
_ROWS, _ROW_STEP = 512, 64
# a projection narrower than this (either side) keeps its own dtype: at 64 wide (the `tiny` size) the
# casts cost more than bf16 saves (docs/benchmarks.md, "TTT training": tiny, default against float32)
_MIN_BF16_WIDTH = 128


def _base(x: Any, weight: Any, bias: Any, base_dtype: Any | None) -> Any:
    """The frozen projection `linear(x, weight, bias)` of 2-D `x`, its matmul in `base_dtype` when one
    is given and the projection is at least `_MIN_BF16_WIDTH` wide both ways (the result, and the bias
    added to it, in x's dtype).

    On a CPU, oneDNN compiles and keeps a kernel for every bf16 matmul shape it meets (about a
    megabyte each, up to its cache of 1,024), and TTT meets a new row count with nearly every episode
    length: a batch of tasks grew by megabytes a task. Taking the rows in pieces of 512, the last one
    padded to a multiple of 64, leaves at most 8 shapes per projection, at the same speed."""
    import torch

    if base_dtype is None or base_dtype == x.dtype or min(weight.shape) < _MIN_BF16_WIDTH:
        return torch.nn.functional.linear(x, weight, bias)
    rows, width = x.shape
    matrix = weight.to(base_dtype).t()
    out = torch.empty(rows, weight.shape[0], dtype=x.dtype, device=x.device)
    for start in range(0, rows, _ROWS):
        count = min(_ROWS, rows - start)
        piece = torch.empty(-(-count // _ROW_STEP) * _ROW_STEP, width, dtype=base_dtype, device=x.device)
        piece[:count].copy_(x[start : start + count])
        piece[count:].zero_()
        out[start : start + count].copy_(torch.mm(piece, matrix)[:count])
    return out if bias is None else out.add_(bias)


def _forward(x: Any, keep: Any | None, weight: Any, bias: Any, lora_a: Any, lora_b: Any,
             scaling: float, base_dtype: Any | None) -> tuple[Any, Any, Any]:
    """The dropped input, its rank-r projection and the output: the node's forward, and autograd's path.
    The LoRA term is added into the base output in place (no copy of it)."""
    import torch

    dropped = x if keep is None else x * keep
    low = torch.mm(dropped, lora_a.t())
    return dropped, low, _base(x, weight, bias, base_dtype).addmm_(low, lora_b.t(), alpha=scaling)


@cache
def _function() -> Any:
    """The autograd function, built on first use so that importing this module does not import torch."""
    import torch

    class LoraProjection(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, keep: Any, weight: Any, bias: Any, lora_a: Any, lora_b: Any,
                    scaling: float, base_dtype: Any) -> Any:
            dropped, low, out = _forward(x, keep, weight, bias, lora_a, lora_b, scaling, base_dtype)
            ctx.scaling, ctx.base_dtype = scaling, base_dtype
            ctx.save_for_backward(dropped, keep, low, weight, lora_a, lora_b)
            return out

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            dropped, keep, low, weight, lora_a, lora_b = ctx.saved_tensors
            grad = grad.contiguous()
            # (r, n) products with the rank leading; their transposes are the (n, r) gradients
            grad_low = torch.mm(lora_b.t(), grad.t()).mul_(ctx.scaling).t()
            grad_x = grad_a = grad_b = None
            if ctx.needs_input_grad[4]:
                grad_a = torch.mm(grad_low.t(), dropped)
            if ctx.needs_input_grad[5]:
                grad_b = torch.mm(low.t(), grad).mul_(ctx.scaling).t().contiguous()
            if ctx.needs_input_grad[0]:
                grad_x = _base(grad, weight.t(), None, ctx.base_dtype)
                if keep is None:
                    grad_x.addmm_(grad_low, lora_a)
                else:
                    grad_x.addcmul_(torch.mm(grad_low, lora_a), keep)
            return grad_x, None, None, None, grad_a, grad_b, None, None

    return LoraProjection


def lora_projection(x: Any, keep: Any | None, weight: Any, bias: Any, lora_a: Any, lora_b: Any,
                    scaling: float, base_dtype: Any | None = None) -> Any:
    """`linear(x, weight, bias) + scaling * (x * keep) @ lora_a^T @ lora_b^T` for 2-D `x` (`keep`: the
    dropout factors, None without dropout), with the fast backward above when it applies.

    `base_dtype` (e.g. bf16 on a CPU that multiplies it in hardware): the frozen base matmuls, forward
    and input gradient, run in that dtype; the LoRA term, its gradients and the sum stay in x's dtype,
    so a small low-rank update is never rounded away against the base output."""
    import torch

    frozen = not weight.requires_grad and (bias is None or not bias.requires_grad)
    if frozen and not torch.is_autocast_enabled(x.device.type):
        return _function().apply(x, keep, weight, bias, lora_a, lora_b, scaling, base_dtype)
    return _forward(x, keep, weight, bias, lora_a, lora_b, scaling, base_dtype)[2]
