"""Will this training run fit? A closed-form estimate of the peak memory of LoRA test-time training,
so a run can be refused or reshaped before it is started rather than after it runs out of memory.

The estimate counts what dominates a decoder-only transformer trained with LoRA:
- the frozen base weights (bf16/fp32, or 8-bit / 4-bit where linear layers are quantized;
  embeddings and the output head stay in the compute dtype, as bitsandbytes leaves them),
- the LoRA parameters with their fp32 gradients and two AdamW moments,
- the activations kept for the backward pass (all of them, or only each layer's input with
  gradient checkpointing plus one layer recomputed at a time),
- the logits: batch x sequence x vocabulary, kept in the compute dtype, upcast to fp32 for the loss,
  with the log-softmax saved and its gradient,
- a fixed runtime overhead (the CUDA context; nothing on CPU, where the baseline is measured away).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arc_ttt.domain.resources.hardware import GB, MB

QUANTIZATIONS = ("none", "8bit", "4bit")
LINEAR_BYTES = {"8bit": 1.0, "4bit": 0.5 + 0.0625}  # 4-bit: NF4 codes plus block scales (~0.5 bit/param)
LORA_TARGETS = ("q", "k", "v", "o", "gate", "up", "down")
CUDA_CONTEXT_BYTES = 500 * MB


@dataclass(frozen=True, slots=True)
class ModelShape:
    """The sizes of a Llama-style decoder that decide its memory."""

    name: str
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    tie_embeddings: bool = True

    @property
    def kv_dim(self) -> int:
        return self.hidden_size // self.num_heads * self.num_kv_heads

    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        """(in, out) of each projection in one layer."""
        h, kv, i = self.hidden_size, self.kv_dim, self.intermediate_size
        return {"q": (h, h), "k": (h, kv), "v": (h, kv), "o": (h, h), "gate": (h, i), "up": (h, i), "down": (i, h)}

    @property
    def linear_params(self) -> int:
        return self.num_layers * sum(a * b for a, b in self.linear_shapes().values())

    @property
    def embedding_params(self) -> int:
        """Input embeddings plus the output head (once when tied)."""
        return self.vocab_size * self.hidden_size * (1 if self.tie_embeddings else 2)

    @property
    def params(self) -> int:
        norms = self.hidden_size * (2 * self.num_layers + 1)
        return self.linear_params + self.embedding_params + norms


KNOWN_MODELS: dict[str, ModelShape] = {
    m.name: m
    for m in (
        ModelShape("llama-3.2-1b", 128256, 2048, 16, 32, 8, 8192, tie_embeddings=True),
        ModelShape("llama-3.2-3b", 128256, 3072, 28, 24, 8, 8192, tie_embeddings=True),
        ModelShape("llama-3.1-8b", 128256, 4096, 32, 32, 8, 14336, tie_embeddings=False),
        ModelShape("tiny-cpu", 8000, 256, 4, 4, 2, 1024, tie_embeddings=False),
    )
}


@dataclass(frozen=True, slots=True)
class TrainingPlan:
    quantization: str = "none"
    dtype_bytes: int = 2  # 2 for bf16/fp16 compute, 4 for fp32 (CPU)
    lora_rank: int = 64
    lora_targets: tuple[str, ...] = LORA_TARGETS
    seq_len: int = 2048
    batch_size: int = 1
    gradient_checkpointing: bool = True
    attention: str = "sdpa"  # "sdpa" (fused, no score matrix kept) or "eager" (scores kept per layer)
    device: str = "cuda"

    def __post_init__(self) -> None:
        if self.quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization {self.quantization!r}; known: {', '.join(QUANTIZATIONS)}")
        unknown = set(self.lora_targets) - set(LORA_TARGETS)
        if unknown:
            raise ValueError(f"unknown LoRA targets {sorted(unknown)}; known: {', '.join(LORA_TARGETS)}")
        if self.attention not in ("sdpa", "eager"):
            raise ValueError(f"attention {self.attention!r}; known: sdpa, eager")
        if min(self.dtype_bytes, self.seq_len, self.batch_size) < 1 or self.lora_rank < 0:
            raise ValueError("dtype_bytes, seq_len and batch_size must be positive, lora_rank not negative")


@dataclass(frozen=True, slots=True)
class MemoryEstimate:
    model: str
    params: int
    lora_params: int
    parts: dict[str, int] = field(default_factory=dict)  # bytes: weights, lora, activations, logits, overhead

    @property
    def total_bytes(self) -> int:
        return sum(self.parts.values())

    def fits(self, budget_bytes: float, headroom: float = 0.9) -> bool:
        """Whether the estimate stays under `headroom` of the budget (the rest is fragmentation and slack)."""
        return self.total_bytes <= budget_bytes * headroom

    def to_json(self) -> dict[str, object]:
        return {"model": self.model, "params": self.params, "lora_params": self.lora_params,
                "parts_bytes": dict(self.parts), "total_bytes": self.total_bytes}

    def lines(self) -> list[str]:
        rows = [f"{self.model}: {self.params / 1e6:,.0f}M parameters, {self.lora_params / 1e6:,.2f}M LoRA parameters"]
        rows += [f"  {name:<12} {value / GB:8.2f} GiB" for name, value in self.parts.items()]
        rows.append(f"  {'total':<12} {self.total_bytes / GB:8.2f} GiB")
        return rows


def lora_params(shape: ModelShape, plan: TrainingPlan) -> int:
    if plan.lora_rank == 0:
        return 0
    linears = shape.linear_shapes()
    return shape.num_layers * sum(plan.lora_rank * (linears[t][0] + linears[t][1]) for t in plan.lora_targets)


def _weight_bytes(shape: ModelShape, plan: TrainingPlan) -> float:
    linear = LINEAR_BYTES.get(plan.quantization, float(plan.dtype_bytes))
    rest = shape.params - shape.linear_params
    return shape.linear_params * linear + rest * plan.dtype_bytes


def _activation_elements_per_token_layer(shape: ModelShape, plan: TrainingPlan) -> float:
    """Tensors a Llama layer keeps for backward, per token: norms, q/k/v (and rotated q/k), attention
    output, the SwiGLU's gate, up, activation and product, residuals, plus LoRA's rank-wide
    intermediates."""
    h, kv, i = shape.hidden_size, shape.kv_dim, shape.intermediate_size
    lora = plan.lora_rank * len(plan.lora_targets) if plan.lora_rank else 0
    return 10 * h + 3 * kv + 4 * i + lora


def estimate_training_memory(shape: ModelShape, plan: TrainingPlan) -> MemoryEstimate:
    tokens = plan.seq_len * plan.batch_size
    b = plan.dtype_bytes
    lora = lora_params(shape, plan)
    per_layer = _activation_elements_per_token_layer(shape, plan) * tokens * b
    attention_scores = 0.0
    if plan.attention == "eager":  # scores and softmax probabilities, per head
        attention_scores = 2.0 * shape.num_heads * plan.seq_len * plan.seq_len * plan.batch_size * b
    if plan.gradient_checkpointing:
        activations = shape.num_layers * tokens * shape.hidden_size * b + per_layer + attention_scores
    else:
        activations = shape.num_layers * (per_layer + attention_scores)
    parts = {
        "weights": int(_weight_bytes(shape, plan)),
        "lora+adam": int(lora * (4 + 4 + 8)),  # fp32 weights, fp32 gradients, two fp32 AdamW moments
        "activations": int(activations),
        "logits": int(tokens * shape.vocab_size * (b + 8)),  # compute-dtype logits, fp32 copy, saved log-softmax/grad
        "overhead": CUDA_CONTEXT_BYTES if plan.device == "cuda" else 0,
    }
    return MemoryEstimate(shape.name, shape.params, lora, parts)
