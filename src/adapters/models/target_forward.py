"""A forward pass for Llama-family decoders that computes only what the TTT loss reads.

The loss reads the logits of the positions that predict an answer token (about a fifth of an episode
with `loss_on: query`). The model's own forward runs every block at every position. Here the last block
runs its query, attention output, MLP and norms only at those positions; its keys and values still
cover the whole episode, which is all that the other positions contribute to them, so the logits are
the same. Every block is computed from the model's own modules (norms, projections, activation) and
the attention kernel the model's sdpa path uses (reading each key head once for its group of query
heads); each LoRA projection adds its scaled low-rank term into the base projection's output in
place (`addmm_`) instead of peft's separate multiply and add, and runs its backward as one node with
the rank-r products laid out for BLAS (`lora_projection.py`), optionally with the frozen matmuls in
bf16 (`base_dtype`).

Used for Llama, Mistral and Qwen2 decoders without a sliding window (the backend also checks it
against the model's own forward once, on a probe episode); anything else runs the model's forward.
A quantized projection runs its own forward inside the block.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from arc_ttt.adapters.models.lora_projection import dropout_keep, lora_projection

SUPPORTED_TYPES = frozenset({"llama", "mistral", "qwen2"})
_BLOCK_PARTS = ("input_layernorm", "post_attention_layernorm", "self_attn", "mlp")
_PROJECTIONS = {"self_attn": ("q_proj", "k_proj", "v_proj", "o_proj"), "mlp": ("gate_proj", "up_proj", "down_proj")}


def _causal_lm(model: Any) -> Any:
    """The transformers causal LM under a peft wrapper (or the model itself once merged)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def target_forward_blocker(model: Any, max_length: int) -> str | None:
    """Why `target_logits` cannot stand in for this model's forward, or None when it can."""
    causal = _causal_lm(model)
    config = getattr(causal, "config", None)
    model_type = getattr(config, "model_type", None)
    if model_type not in SUPPORTED_TYPES:
        return f"model type {model_type!r} is not one of {sorted(SUPPORTED_TYPES)}"
    window = getattr(config, "sliding_window", None)
    if window is not None and getattr(config, "use_sliding_window", True) and window < max_length:
        return f"sliding-window attention ({window} tokens) shorter than the context ({max_length})"
    if getattr(config, "hidden_act", "silu") != "silu" or getattr(config, "pretraining_tp", 1) != 1:
        return "activation or tensor-parallel layout differs from the Llama block"
    core = getattr(causal, "model", None)
    layers = getattr(core, "layers", None)
    if core is None or not layers or not all(hasattr(core, name) for name in ("embed_tokens", "rotary_emb", "norm")):
        return "the decoder does not have the Llama layout"
    for layer in layers:
        if not all(hasattr(layer, part) for part in _BLOCK_PARTS):
            return "a block does not have the Llama layout"
        for part, names in _PROJECTIONS.items():
            if not all(hasattr(getattr(layer, part), name) for name in names):
                return f"a block's {part} does not have the Llama projections"
    return None


def _lora_linear(module: Any, x: Any, base_dtype: Any | None) -> Any:
    """`module(x)` for a peft LoRA linear with one active adapter, as one `lora_projection` node:
    base(x) + scaling * dropout(x) A^T B^T, the dropout masks drawn by `dropout_keep`, the base matmul
    in `base_dtype` if given (see `lora_projection`). Any other module
    (plain, quantized, DoRA, merged, several adapters, another kind of dropout) runs its own forward."""
    import torch

    base = getattr(module, "base_layer", None)
    active = getattr(module, "active_adapters", None)
    if type(base) is not torch.nn.Linear or not active or len(active) != 1:
        return module(x)
    name = active[0]
    if (module.merged or module.disable_adapters or name not in module.lora_A
            or module.use_dora.get(name, False) or module.lora_B[name].bias is not None):
        return module(x)
    dropout = module.lora_dropout[name]
    if type(dropout) not in (torch.nn.Identity, torch.nn.Dropout) or getattr(dropout, "p", 0.0) >= 1.0:
        return module(x)
    flat = x.reshape(-1, x.shape[-1])
    live = type(dropout) is torch.nn.Dropout and dropout.training and dropout.p > 0
    out = lora_projection(flat, dropout_keep(flat, dropout.p) if live else None, base.weight, base.bias,
                          module.lora_A[name].weight, module.lora_B[name].weight, module.scaling[name], base_dtype)
    return out.view(*x.shape[:-1], out.shape[-1])


def _rotate(x: Any, cos: Any, sin: Any) -> Any:
    """Rotary position embedding of (batch, heads, length, head_dim) by (batch, length, head_dim)."""
    import torch

    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1)


def _heads(x: Any, head_dim: int) -> Any:
    batch, length, _ = x.shape
    return x.view(batch, length, -1, head_dim).transpose(1, 2)


@cache
def _sdpa_shares_keys() -> bool:
    """Whether `scaled_dot_product_attention` takes `enable_gqa` (torch 2.5 on)."""
    import torch

    major, minor = (int(part) for part in torch.__version__.split(".")[:2])
    return (major, minor) >= (2, 5)


def _block(layer: Any, hidden: Any, cos: Any, sin: Any, keep: Any | None, base_dtype: Any | None) -> Any:
    """One decoder block; with `keep`, its output only at those positions (keys and values at all)."""
    import torch

    attn = layer.self_attn
    head_dim = attn.head_dim
    normed = layer.input_layernorm(hidden)
    if keep is None:
        queries, residual, q_cos, q_sin = normed, hidden, cos, sin
    else:
        queries, residual = normed.index_select(1, keep), hidden.index_select(1, keep)
        q_cos, q_sin = cos.index_select(1, keep), sin.index_select(1, keep)
    q = _rotate(_heads(_lora_linear(attn.q_proj, queries, base_dtype), head_dim), q_cos, q_sin)
    k = _rotate(_heads(_lora_linear(attn.k_proj, normed, base_dtype), head_dim), cos, sin)
    v = _heads(_lora_linear(attn.v_proj, normed, base_dtype), head_dim)
    shared: dict[str, Any] = {}
    groups = q.shape[1] // k.shape[1]
    if groups > 1 and _sdpa_shares_keys():  # the kernel reads each key head for its group of query heads
        shared["enable_gqa"] = True
    elif groups > 1:
        k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
    dropout = float(getattr(attn, "attention_dropout", 0.0)) if attn.training else 0.0
    scale = getattr(attn, "scaling", head_dim ** -0.5)
    if keep is None:
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout, scale=scale,
                                                               **shared)
    else:  # the kept positions see every key up to their own
        mask = torch.arange(hidden.shape[1], device=hidden.device).unsqueeze(0) <= keep.unsqueeze(1)
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout,
                                                               scale=scale, **shared)
    out = out.transpose(1, 2).reshape(queries.shape[0], queries.shape[1], -1)
    hidden = residual + _lora_linear(attn.o_proj, out, base_dtype)
    mlp = layer.mlp
    normed = layer.post_attention_layernorm(hidden)
    inner = mlp.act_fn(_lora_linear(mlp.gate_proj, normed, base_dtype)) * _lora_linear(mlp.up_proj, normed, base_dtype)
    return hidden + _lora_linear(mlp.down_proj, inner, base_dtype)


def target_logits(model: Any, ids: Any, keep: Any, base_dtype: Any | None = None) -> Any:
    """Logits (batch, len(keep), vocab) at positions `keep` of equal-length, unpadded `ids`: what
    `model(input_ids=ids).logits[:, keep]` gives, computed with the last block at `keep` only.
    `base_dtype`: the dtype of the frozen projections' matmuls (LoRA projections only; None: the model's).

    Only for a model `target_forward_blocker` accepts. Honours the model's gradient checkpointing."""
    import torch
    from torch.utils.checkpoint import checkpoint

    causal = _causal_lm(model)
    core = causal.model
    hidden = core.embed_tokens(ids)
    positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
    cos, sin = core.rotary_emb(hidden, positions)
    layers = list(core.layers)[: core.config.num_hidden_layers]
    training = core.training and torch.is_grad_enabled()
    for index, layer in enumerate(layers):
        kept = keep if index == len(layers) - 1 else None
        # transformers marks each block (every n-th, if asked); older versions mark the decoder only
        if training and getattr(layer, "gradient_checkpointing", getattr(core, "gradient_checkpointing", False)):
            hidden = checkpoint(_block, layer, hidden, cos, sin, kept, base_dtype, use_reentrant=False)
        else:
            hidden = _block(layer, hidden, cos, sin, kept, base_dtype)
    return causal.lm_head(core.norm(hidden))
