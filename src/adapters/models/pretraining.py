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
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from arc_ttt.adapters.models.codec import COMPACT, LossOn
from arc_ttt.adapters.models.encoding import EpisodeEncoder, pad_batch
from arc_ttt.adapters.models.model_loading import (
    MARKER_FILE,
    SEED_LIMIT,
    SIZES,
    build_model,
    quiet_libraries,
    safetensors_problem,
)
from arc_ttt.adapters.validation_errors import error_what, error_where
from arc_ttt.domain.errors import ArcTttError, message_line
from arc_ttt.domain.ttt.examples import StepLoss, TTTExample
from arc_ttt.domain.ttt.ports import PretrainCheckpoint, PretrainSetup, PretrainStateError
from arc_ttt.domain.ttt.pretraining import PretrainProgress

STATE_FILE = "pretrain_state.json"
OPTIMIZER_PREFIX = "optimizer"
# The only names `save` gives optimizer shards; the state file may name nothing else (no path, no "..").
SHARD_NAME = re.compile(rf"{OPTIMIZER_PREFIX}-\d{{2,}}-of-\d{{2,}}\.safetensors")
MAX_FILE_BYTES = 15 * 1024 * 1024  # 15 MiB: under the 16 MB a file in the repository may take


def damaged(path: Path, reason: str) -> PretrainStateError:
    return PretrainStateError(f"{path}: damaged or not what pretrain wrote: {reason}")


def _shard_name(name: str) -> str:
    if not SHARD_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a shard name pretrain writes ({OPTIMIZER_PREFIX}-NN-of-NN.safetensors)")
    return name


def _known_size(size: str) -> str:
    if size not in SIZES:
        raise ValueError(f"unknown model size {size!r}; known: {', '.join(SIZES)}")
    return size


class _Saved(BaseModel):
    """Strict: a string where a number belongs, or a bool for an int, is damage, not something to coerce."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


Count = Annotated[int, Field(ge=0)]


class SavedProgress(_Saved):
    steps: Count
    tokens_seen: Count
    target_tokens_seen: Count
    stream_position: Count
    seconds: float = Field(ge=0, allow_inf_nan=False)
    runs: Count
    last_loss: float | None


class SavedTrainer(_Saved):
    size: Annotated[str, AfterValidator(_known_size)]
    seed: int = Field(ge=0, lt=SEED_LIMIT)
    max_length: int = Field(ge=64)
    loss_on: LossOn
    weight_decay: float = Field(ge=0)
    max_grad_norm: float = Field(gt=0)
    device: str


class SavedParamGroup(_Saved):
    """An AdamW parameter group: its parameter indices and hyper-parameters, typed where torch reads them (a
    key another torch version adds is kept as saved; `model_dump(exclude_unset=True)` gives back only what
    the file held)."""

    model_config = ConfigDict(strict=True, frozen=True, extra="allow")

    params: list[Count]
    lr: float | None = Field(default=None, ge=0)
    betas: list[float] | None = Field(default=None, min_length=2, max_length=2)
    eps: float | None = Field(default=None, ge=0)
    weight_decay: float | None = Field(default=None, ge=0)
    amsgrad: bool | None = None
    maximize: bool | None = None
    foreach: bool | None = None
    capturable: bool | None = None
    differentiable: bool | None = None
    fused: bool | None = None
    decoupled_weight_decay: bool | None = None


class SavedOptimizer(_Saved):
    param_groups: list[SavedParamGroup]
    state: dict[Annotated[str, Field(pattern=r"^\d+$")], dict[str, Any]]


class SavedState(_Saved):
    """pretrain_state.json, as `Pretrainer.save` writes it; validated whole when read, so a damaged or
    hand-edited file is refused in one line before any of it is used (a shard name outside the folder,
    a count that is a string, a section that is not a mapping)."""

    progress: SavedProgress
    trainer: SavedTrainer
    optimizer: SavedOptimizer
    optimizer_shards: list[Annotated[str, AfterValidator(_shard_name)]]


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

    @property
    def loss_on(self) -> str:
        return self.options.loss_on

    def encode(self, example: TTTExample) -> Any:
        return self.encoder.encode(example, with_answer=True)

    def tokens(self, encoded: Any) -> int:
        return len(encoded.ids)

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
        from safetensors import SafetensorError
        from transformers import LlamaForCausalLM

        for path in sorted(directory.glob("model*.safetensors")):
            problem = safetensors_problem(path)  # names the damaged file, which transformers' error does not
            if problem:
                raise damaged(path, problem)
        try:
            self.model = LlamaForCausalLM.from_pretrained(directory, use_safetensors=True, trust_remote_code=False)
        except (OSError, ValueError, RuntimeError, SafetensorError) as exc:
            reason = message_line(exc)[:200]
            raise PretrainStateError(f"{directory}: cannot load the model weights ({reason})") from None

    def _load_optimizer(self, directory: Path) -> None:
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        state = read_state(directory)
        if state is None:
            raise damaged(directory / STATE_FILE, "missing")
        tensors: dict[str, Any] = {}
        for name in state.optimizer_shards:  # plain names matching SHARD_NAME: always inside `directory`
            path = directory / name
            if not path.is_file():
                raise damaged(path, f"missing, though {STATE_FILE} names it")
            try:
                tensors.update(load_file(str(path), device=str(self.device)))
            except (SafetensorError, OSError) as exc:
                raise damaged(path, message_line(exc)) from None
        try:
            self.optimizer.load_state_dict(optimizer_from_flat(tensors, state.optimizer.model_dump(exclude_unset=True)))
        except (KeyError, ValueError, TypeError, RuntimeError) as exc:
            raise PretrainStateError(f"{directory}: optimizer state does not fit this model ({exc})") from None


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def read_state(directory: Path) -> SavedState | None:
    """The last checkpoint's state in `directory` (None when there is none), its whole structure checked."""
    path = directory / STATE_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:  # not UTF-8 or not JSON (both ValueErrors), or unreadable
        raise damaged(path, f"not valid JSON ({message_line(exc)})") from None
    if not isinstance(raw, dict):
        raise damaged(path, f"expected a JSON object, got {type(raw).__name__}")
    try:
        return SavedState.model_validate(raw)
    except ValidationError as exc:
        raise damaged(path, validation_reason(exc)) from None


class PretrainingFolders:
    """The PretrainingBackend port: `Pretrainer`s that save to, and resume from, the folders described above."""

    def last_save(self, directory: Path) -> PretrainCheckpoint | None:
        state = read_state(directory)
        if state is None:
            return None
        trainer = state.trainer
        return PretrainCheckpoint(trainer.size, trainer.seed, trainer.max_length, progress_from(state))

    def trainer(self, setup: PretrainSetup, resume_from: Path | None) -> Pretrainer:
        options = TrainerOptions(size=setup.size, seed=setup.seed, max_length=setup.max_length, device=setup.device)
        return Pretrainer(options, resume_from)


def validation_reason(exc: ValidationError) -> str:
    """The first problem as `dotted.field: what` (and how many more there are), on one line."""
    errors = exc.errors()
    first = errors[0]
    what = "expected a JSON object" if first["type"] in ("model_type", "dict_type") else error_what(first)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{error_where(first, 'file')}: {what}{more}"


def progress_from(state: SavedState) -> PretrainProgress:
    return PretrainProgress(**state.progress.model_dump())


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
