"""Pretraining a small Llama from scratch: the tensor work, and a self-describing, resumable folder.

The folder is an ordinary model folder (config, safetensors weights, tokenizer, format marker), so
`--model DIR` loads it for test-time training, plus what a resumed run needs: the optimizer's
tensors as safetensors shards and every scalar (progress, schedule, optimizer hyper-parameters) as
JSON. Nothing is ever pickled. Every file stays under `MAX_FILE_BYTES`, so the folder fits in git.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from arc_ttt.adapters.models.codec import COMPACT, LossOn
from arc_ttt.adapters.models.encoding import EpisodeEncoder, pad_batch
from arc_ttt.adapters.models.loading import MARKER_FILE, build_model, quiet_libraries
from arc_ttt.domain.errors import ArcTttError
from arc_ttt.domain.pretraining import PretrainProgress
from arc_ttt.domain.ttt import StepLoss, TTTExample

STATE_FILE = "pretrain_state.json"
OPTIMIZER_PREFIX = "optimizer"
MAX_FILE_BYTES = 15 * 1024 * 1024  # 15 MiB: under the 16 MB a file in the repository may take


class PretrainStateError(ArcTttError):
    """A pretraining folder that cannot be resumed (wrong size, missing or damaged files)."""


@dataclass(frozen=True, slots=True)
class TrainerOptions:
    size: str = "small"
    seed: int = 0
    max_length: int = 2048
    loss_on: LossOn = "outputs"
    weight_decay: float = 0.1
    max_grad_norm: float = 1.0
    device: str = "auto"


def pick_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ArcTttError("--device cuda asked for, but torch sees no CUDA GPU")
    return requested


class Pretrainer:
    """A model, its tokenizer and an AdamW optimizer; `step` trains on a micro-batch of episodes."""

    def __init__(self, options: TrainerOptions, resume_from: Path | None = None) -> None:
        import torch

        quiet_libraries()
        self.options = options
        self.device = torch.device(pick_device(options.device))
        loaded = build_model(options.size, options.seed)
        self.tokenizer = loaded.tokenizer
        self.model = loaded.model
        if resume_from is not None:
            self._load_weights(resume_from)
        self.model.to(self.device)
        self.model.train()
        self.encoder = EpisodeEncoder(self.tokenizer, COMPACT, options.max_length, options.loss_on)
        decay = [p for n, p in self.model.named_parameters() if p.ndim >= 2]
        no_decay = [p for n, p in self.model.named_parameters() if p.ndim < 2]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": options.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
        if resume_from is not None:
            self._load_optimizer(resume_from)
        self.autocast = torch.bfloat16 if self.device.type == "cuda" and torch.cuda.is_bf16_supported() else None

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def encode(self, example: TTTExample) -> Any:
        return self.encoder.encode(example, with_answer=True)

    def step(self, encoded: list[Any], learning_rate: float) -> StepLoss:
        """One optimizer step on already encoded episodes; the loss is the mean over target tokens."""
        import torch

        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        ids, mask, labels = pad_batch(encoded, self.tokenizer.pad_token_id, left=False, device=self.device)
        context = torch.autocast("cuda", dtype=self.autocast) if self.autocast else _null()
        with context:
            loss = self.model(input_ids=ids, attention_mask=mask, labels=labels).loss
        value = float(loss.detach())
        if not math.isfinite(value):
            self.optimizer.zero_grad(set_to_none=True)
            return StepLoss(value, int(mask.sum()), sum(e.target_tokens for e in encoded))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.options.max_grad_norm)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return StepLoss(value, int(mask.sum()), sum(e.target_tokens for e in encoded))

    # --- the folder --------------------------------------------------------------------------------
    def save(self, directory: Path, progress: PretrainProgress, extra: dict[str, Any]) -> None:
        """Write the folder so that a crash at any moment leaves the previous checkpoint usable: every
        file goes in under a temporary name and is swapped in; the state file, written last, names
        the shards that belong to it."""
        from safetensors.torch import save_file

        directory.mkdir(parents=True, exist_ok=True)
        staging = directory / ".staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        self.model.save_pretrained(staging, safe_serialization=True, max_shard_size=f"{MAX_FILE_BYTES // 10**6}MB")
        self.tokenizer.save_pretrained(staging)
        marker = {"format": COMPACT.name, "size": self.options.size, "seed": self.options.seed,
                  "max_length": self.options.max_length, "pretrained_tokens": progress.tokens_seen}
        (staging / MARKER_FILE).write_text(json.dumps(marker, indent=2))
        tensors, scalars = optimizer_to_flat(self.optimizer.state_dict())
        shards = shard_tensors(tensors, MAX_FILE_BYTES)
        shard_names = []
        for index, shard in enumerate(shards):
            name = f"{OPTIMIZER_PREFIX}-{index + 1:02d}-of-{len(shards):02d}.safetensors"
            save_file(shard, str(staging / name))
            shard_names.append(name)
        keep = {p.name for p in staging.iterdir()} | {STATE_FILE, "MODEL_CARD.md"}
        for path in sorted(staging.iterdir()):
            os.replace(path, directory / path.name)
        state = {"progress": asdict(progress), "trainer": asdict(self.options), "optimizer": scalars,
                 "optimizer_shards": shard_names, **extra}
        temporary = directory / (STATE_FILE + ".tmp")
        temporary.write_text(json.dumps(state, indent=2))
        os.replace(temporary, directory / STATE_FILE)
        staging.rmdir()
        for path in directory.iterdir():  # shards of an earlier, differently sized save
            stale = path.name.startswith((OPTIMIZER_PREFIX + "-", "model")) and path.suffix == ".safetensors"
            if path.is_file() and stale and path.name not in keep:
                path.unlink()

    def _load_weights(self, directory: Path) -> None:
        from transformers import LlamaForCausalLM

        try:
            self.model = LlamaForCausalLM.from_pretrained(directory, use_safetensors=True, trust_remote_code=False)
        except (OSError, ValueError) as exc:
            raise PretrainStateError(f"{directory}: cannot load the model weights ({str(exc)[:200]})") from None

    def _load_optimizer(self, directory: Path) -> None:
        from safetensors.torch import load_file

        state = read_state(directory)
        tensors: dict[str, Any] = {}
        for name in state.get("optimizer_shards", []):
            path = directory / name
            if not path.is_file():
                raise PretrainStateError(f"{path}: optimizer shard missing")
            tensors.update(load_file(str(path), device=str(self.device)))
        try:
            self.optimizer.load_state_dict(optimizer_from_flat(tensors, state["optimizer"]))
        except (KeyError, ValueError, RuntimeError) as exc:
            raise PretrainStateError(f"{directory}: optimizer state does not fit this model ({exc})") from None


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def read_state(directory: Path) -> dict[str, Any]:
    """The scalars of the last checkpoint in `directory` (empty when there is none)."""
    path = directory / STATE_FILE
    if not path.is_file():
        return {}
    try:
        state = json.loads(path.read_text())
    except ValueError:
        raise PretrainStateError(f"{path}: not valid JSON") from None
    if not isinstance(state, dict) or "progress" not in state:
        raise PretrainStateError(f"{path}: no progress recorded")
    return state


def progress_from(state: dict[str, Any]) -> PretrainProgress:
    fields = set(PretrainProgress.__dataclass_fields__)
    return PretrainProgress(**{k: v for k, v in state.get("progress", {}).items() if k in fields})


def optimizer_to_flat(state_dict: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split an optimizer state dict into named tensors and JSON-able scalars."""
    import torch

    tensors: dict[str, Any] = {}
    scalars: dict[str, Any] = {"param_groups": state_dict["param_groups"], "state": {}}
    for index, values in state_dict["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{index}.{key}"] = value.detach().contiguous().cpu()
            else:
                scalars["state"].setdefault(str(index), {})[key] = value
    return tensors, scalars


def optimizer_from_flat(tensors: dict[str, Any], scalars: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, tensor in tensors.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = tensor
    for index, values in scalars.get("state", {}).items():
        state.setdefault(int(index), {}).update(values)
    groups = []
    for group in scalars["param_groups"]:
        group = dict(group)
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])
        groups.append(group)
    return {"state": state, "param_groups": groups}


def shard_tensors(tensors: dict[str, Any], max_bytes: int) -> list[dict[str, Any]]:
    """Tensors grouped, in name order, into shards of at most `max_bytes` (one tensor may exceed it alone)."""
    shards: list[dict[str, Any]] = [{}]
    used = 0
    for name in sorted(tensors):
        size = tensors[name].numel() * tensors[name].element_size()
        if shards[-1] and used + size > max_bytes:
            shards.append({})
            used = 0
        shards[-1][name] = tensors[name]
        used += size
    return shards if shards[-1] or len(shards) == 1 else shards[:-1]
