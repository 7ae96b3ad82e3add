"""A LoRA projection `base(x) + s * dropout(x) A^T B^T` as one autograd node.

Autograd's own backward of that expression multiplies the output gradient by the rank-r factors in
the memory layouts the forward left behind: (n, N) @ (N, r) with B row-major and N x r products
written column by column. On a CPU those skinny products take several times as long as the same
products with the rank as the leading dimension (B^T @ grad^T), which is how this node computes
them; it also adds the low-rank input gradient into the base one in place instead of summing two
(n, K) tensors. For frozen base weights only (the TTT case): a trainable base weight or bias, or
autocast, keeps autograd's own path.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _function() -> Any:
    """The autograd function, built on first use so that importing this module does not import torch."""
    import torch

    class LoraProjection(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, dropped: Any, weight: Any, bias: Any, lora_a: Any, lora_b: Any,
                    scaling: float) -> Any:
            low = torch.mm(dropped, lora_a.t())
            out = torch.addmm(torch.nn.functional.linear(x, weight, bias), low, lora_b.t(), alpha=scaling)
            ctx.shared = dropped is x
            ctx.scaling = scaling
            ctx.save_for_backward(dropped, low, weight, lora_a, lora_b)
            return out

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            dropped, low, weight, lora_a, lora_b = ctx.saved_tensors
            grad = grad.contiguous()
            # (r, n) products with the rank leading; their transposes are the (n, r) gradients
            grad_low = torch.mm(lora_b.t(), grad.t()).mul_(ctx.scaling).t()
            grad_x = grad_dropped = grad_a = grad_b = None
            if ctx.needs_input_grad[4]:
                grad_a = torch.mm(grad_low.t(), dropped)
            if ctx.needs_input_grad[5]:
                grad_b = torch.mm(low.t(), grad).mul_(ctx.scaling).t().contiguous()
            if ctx.needs_input_grad[0]:
                grad_x = torch.mm(grad, weight)
                if ctx.shared:
                    grad_x.addmm_(grad_low, lora_a)
            if ctx.needs_input_grad[1] and not ctx.shared:
                grad_dropped = torch.mm(grad_low, lora_a)
            return grad_x, grad_dropped, None, None, grad_a, grad_b, None

    return LoraProjection


def lora_projection(x: Any, dropped: Any, weight: Any, bias: Any, lora_a: Any, lora_b: Any, scaling: float) -> Any:
    """`linear(x, weight, bias) + scaling * dropped @ lora_a^T @ lora_b^T` for 2-D `x` and `dropped`
    (`dropped` is `x` itself when dropout is off), with the fast backward above when it applies."""
    import torch

    frozen = not weight.requires_grad and (bias is None or not bias.requires_grad)
    if frozen and not torch.is_autocast_enabled(x.device.type):
        return _function().apply(x, dropped, weight, bias, lora_a, lora_b, scaling)
    low = torch.nn.functional.linear(dropped, lora_a)
    return torch.addmm(torch.nn.functional.linear(x, weight, bias), low, lora_b.t(), alpha=scaling)
