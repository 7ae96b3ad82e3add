"""Small safetensors payloads and checkpoint metadata for checkpoint tests (numpy only, no torch)."""

from __future__ import annotations

import numpy as np
from safetensors.numpy import save

from arc_ttt.domain.checkpoints.ports import CheckpointInfo


def weights(seed: int = 0, rank: int = 4) -> bytes:
    """A LoRA-shaped state dict whose bytes differ per seed."""
    rng = np.random.default_rng(seed)
    return save({
        "base_model.model.layers.0.self_attn.q_proj.lora_A.weight": rng.standard_normal((rank, 16), np.float32),
        "base_model.model.layers.0.self_attn.q_proj.lora_B.weight": rng.standard_normal((16, rank), np.float32),
    })


SAVE_META = {"base_model": "tiny-llama", "base_model_hash": "sha256:abc", "lora_config": {"r": 4, "alpha": 16}}


def info(task_id: str, version: int, metric: float | None = None, size: int = 100, **metrics: float) -> CheckpointInfo:
    values = dict(metrics)
    if metric is not None:
        values["val_accuracy"] = metric
    return CheckpointInfo(task_id, version, "m", "h", {}, values, (), "", size, "0" * 64)
