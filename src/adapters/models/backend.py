"""The ModelBackend port on transformers + peft: one LoRA adapter on a frozen base model.

The base is loaded once and shared by every task; `new_adapter` gives each task a freshly initialised
LoRA (which leaves the model equal to the base) and a fresh optimizer. Mixed precision (bf16, or fp16
with loss scaling) is used on CUDA only; CPU runs in float32.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from arc_ttt.adapters.models.codec import LossOn, answer_budget
from arc_ttt.adapters.models.decoding import GridConstraint, GridGrammar, grid_token_ids, tokens_needed
from arc_ttt.adapters.models.device_guards import DeviceGuards
from arc_ttt.adapters.models.draft_decoding import CellDrafter, decode_one
from arc_ttt.adapters.models.encoding import IGNORE, Encoded, EpisodeEncoder, length_groups, pad_batch, target_positions
from arc_ttt.adapters.models.model_loading import LoadedModel, model_fingerprint, quiet_libraries
from arc_ttt.adapters.models.target_forward import target_forward_blocker, target_logits
from arc_ttt.adapters.models.technique_ops import TechniqueOps
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.output_shape import predicted_output_shape
from arc_ttt.domain.errors import ArcTttError, message_line
from arc_ttt.domain.ttt.examples import Evaluation, StepLoss, TTTExample

ADAPTER = "default"
ADAPTER_FILE = "adapter_model.safetensors"


@dataclass(frozen=True, slots=True, kw_only=True)
class BackendOptions:
    """Fields without a default come from the `ttt` settings (lora, backend, training), where their defaults are
    declared once."""

    lora_rank: int
    lora_alpha: int
    lora_dropout: float
    target_modules: tuple[str, ...]  # empty: every linear layer of attention and MLP
    loss_on: LossOn
    max_length: int
    weight_decay: float
    max_grad_norm: float
    gradient_checkpointing: bool
    mixed_precision: Literal["auto", "no"]
    eval_batch_size: int = 4
    constrained_decoding: bool  # only grid tokens, stopping at the demonstrations' implied shape
    target_forward: bool  # training/evaluation forward with the last block at target positions only
    draft_tokens: int  # > 0: constrained CPU generation decodes view by view, verifying this many guesses a pass


def cpu_computes_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AVX512-BF16 or AMX): there a bf16 matmul
    runs several times as fast as fp32; elsewhere bf16 is emulated, and slower."""
    import torch

    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's own capability checks
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def find_target_modules(model: Any) -> list[str]:
    """Names (last part) of the linear layers inside the transformer blocks, whatever the architecture
    calls them; the output head and embeddings are left alone."""
    import torch

    output = model.get_output_embeddings()
    names: set[str] = set()
    for full_name, module in model.named_modules():
        linear = isinstance(module, torch.nn.Linear) or type(module).__name__ in ("Linear8bitLt", "Linear4bit")
        if linear and module is not output and "lm_head" not in full_name:
            names.add(full_name.rsplit(".", 1)[-1])
    return sorted(names)


def _fused_if_supported(params: list[Any]) -> dict[str, bool]:
    """AdamW's fused kernel (one kernel for every parameter) where this torch has it for the device
    and dtype; otherwise the multi-tensor `foreach` path."""
    import torch

    if not params:
        return {}
    device = params[0].device.type
    fused_ok = all(p.dtype.is_floating_point for p in params) and device in ("cuda", "cpu")
    if fused_ok:
        try:
            torch.optim.AdamW([torch.zeros(1, device=params[0].device, requires_grad=True)], fused=True)
            return {"fused": True}
        except (RuntimeError, ValueError):
            pass
    return {"foreach": True}


def _accepts_logits_to_keep(model: Any) -> bool:
    import inspect

    return "logits_to_keep" in inspect.signature(model.forward).parameters


class AdapterMismatchError(ArcTttError):
    """Adapter weights that do not fit this base model or LoRA configuration."""


class TransformersBackend:
    def __init__(self, loaded: LoadedModel, options: BackendOptions) -> None:
        quiet_libraries()
        import torch
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

        self.options = options
        self.tokenizer = loaded.tokenizer
        self.fmt = loaded.fmt
        self._name = loaded.name
        base = loaded.model
        self._hash = model_fingerprint(base)
        self.targets = list(self.options.target_modules) or find_target_modules(base)
        quantized = bool(getattr(base, "is_loaded_in_8bit", False) or getattr(base, "is_loaded_in_4bit", False))
        if quantized:
            base = prepare_model_for_kbit_training(base, use_gradient_checkpointing=self.options.gradient_checkpointing)
        elif self.options.gradient_checkpointing:
            base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            base.enable_input_require_grads()
        self.lora = LoraConfig(r=self.options.lora_rank, lora_alpha=self.options.lora_alpha,
                               lora_dropout=self.options.lora_dropout, target_modules=self.targets,
                               bias="none", task_type="CAUSAL_LM")
        with warnings.catch_warnings():  # peft still calls a transformers method renamed in v5
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            self.model = get_peft_model(base, self.lora)
        self.device = next(self.model.parameters()).device
        if not quantized and self.device.type == "cpu" and torch.cuda.is_available():
            self.model.to("cuda")
            self.device = next(self.model.parameters()).device
        self.dtype = self._autocast_dtype()
        self.base_dtype = self._cpu_base_dtype()
        self.scaler = torch.amp.GradScaler("cuda") if self.dtype == torch.float16 else None
        self.guards = DeviceGuards(self.device, self.dtype)
        self._logits_to_keep = _accepts_logits_to_keep(base)
        self._grid_ids = grid_token_ids(self.tokenizer, self.fmt)
        self._vocab_size = int(base.get_output_embeddings().weight.shape[0])
        self.target_forward = self.options.target_forward and self._target_forward_agrees()
        self.encoder = EpisodeEncoder(self.tokenizer, self.fmt, self.options.max_length, self.options.loss_on)
        self.techniques = TechniqueOps(self.tokenizer, self.fmt, self.options.max_length,
                                       self.options.eval_batch_size, self.guards, self.scaler)
        self.merged = False
        self.optimizer: Any = None
        self.new_adapter(0)

    # --- identity -------------------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        return self._name

    @property
    def model_hash(self) -> str:
        return self._hash

    def lora_config(self) -> Mapping[str, object]:
        return {"rank": self.options.lora_rank, "alpha": self.options.lora_alpha,
                "dropout": self.options.lora_dropout, "target_modules": list(self.targets),
                "loss_on": self.options.loss_on, "format": self.fmt.name}

    def _target_forward_agrees(self) -> bool:
        """Whether `target_logits` can serve this model: a layout it knows (others run the model's own
        forward, see `target_forward_blocker`), and the same logits as the model's forward on a short
        probe episode, a guard against a transformers version whose block computes something else
        (then the model's forward serves, with a warning)."""
        import torch

        if target_forward_blocker(self.model, self.options.max_length) is not None:
            return False
        length = 12
        ids = (torch.arange(length, device=self.device) % self._vocab_size).unsqueeze(0)
        keep = torch.arange(length // 2, length, device=self.device)
        self.model.eval()
        try:
            with torch.no_grad():
                expected = self.model(input_ids=ids).logits[:, length // 2 :].float()
                got = target_logits(self.model, ids, keep).float()
            problem = None if torch.allclose(got, expected, rtol=1e-3, atol=1e-4) else "its logits differ"
        except Exception as exc:  # a module the block does not know how to call, on some version
            problem = f"it failed ({type(exc).__name__}: {message_line(exc)[:120]})"
        finally:
            self.model.train()
        if problem is None:
            return True
        warnings.warn(f"{self._name}: the target forward was checked against the model's own forward and "
                      f"{problem}; training runs the model's forward", stacklevel=3)
        return False

    # --- adapter lifecycle ----------------------------------------------------------------------
    def _autocast_dtype(self) -> Any:
        import torch

        if self.device.type != "cuda" or self.options.mixed_precision == "no":
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16

    def _cpu_base_dtype(self) -> Any:
        """The dtype of the frozen projections' matmuls in CPU training (the target forward's LoRA
        projections; see `lora_projection`): bf16 where the CPU multiplies it in hardware, with
        `mixed_precision: auto`. CPU autocast is not used: it would round each LoRA term into a bf16
        output, and its casts made token-by-token generation slower than fp32."""
        import torch

        if self.device.type != "cpu" or self.options.mixed_precision == "no" or not cpu_computes_bf16():
            return None
        return torch.bfloat16

    def _fresh_optimizer(self) -> None:
        import torch

        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=0.0, weight_decay=self.options.weight_decay,
                                           **_fused_if_supported(params))

    def _require_adapter(self) -> None:
        if self.merged:
            raise ArcTttError("the adapter was merged into the base; load the base model again to train")

    def new_adapter(self, seed: int) -> None:
        import torch

        self._require_adapter()
        torch.manual_seed(seed)
        for module in self.model.modules():
            if hasattr(module, "reset_lora_parameters") and ADAPTER in getattr(module, "lora_A", {}):
                module.reset_lora_parameters(ADAPTER, True)
        self._fresh_optimizer()

    def export_adapter(self) -> bytes:
        from peft import get_peft_model_state_dict
        from safetensors.torch import save

        self._require_adapter()
        state = get_peft_model_state_dict(self.model, adapter_name=ADAPTER)
        return save({k: v.detach().to("cpu").contiguous() for k, v in state.items()})

    def _set_state(self, state: dict[str, Any], origin: str) -> None:
        from peft import get_peft_model_state_dict, set_peft_model_state_dict

        self._require_adapter()
        expected = set(get_peft_model_state_dict(self.model, adapter_name=ADAPTER))
        if set(state) != expected:
            raise AdapterMismatchError(f"{origin}: adapter tensors do not match this model's LoRA layers")
        try:
            set_peft_model_state_dict(self.model, {k: v.to(self.device) for k, v in state.items()},
                                      adapter_name=ADAPTER)
        except RuntimeError as exc:
            raise AdapterMismatchError(f"{origin}: {message_line(exc)[:200]}") from None
        self._fresh_optimizer()

    def import_adapter(self, weights: bytes) -> None:
        from safetensors.torch import load

        try:
            state = load(bytes(weights))
        except Exception as exc:  # safetensors raises its own error types for corrupt bytes
            raise AdapterMismatchError(f"adapter bytes are not safetensors ({exc})") from None
        self._set_state(state, "adapter bytes")

    def save_adapter(self, directory: Path) -> None:
        self._require_adapter()
        self.model.save_pretrained(str(directory), safe_serialization=True)

    def load_adapter(self, directory: Path) -> None:
        from safetensors.torch import load_file

        path = Path(directory) / ADAPTER_FILE
        if not path.is_file():
            raise AdapterMismatchError(f"{path}: no adapter file")
        state = {k.replace(f".{ADAPTER}.", "."): v for k, v in load_file(str(path)).items()}
        self._set_state(state, str(path))

    def merge_adapter(self) -> None:
        self._require_adapter()
        self.model = self.model.merge_and_unload()
        self.merged = True

    # --- training ---------------------------------------------------------------------------------
    def _group_stats(self, group: list[Encoded], *, count_correct: bool) -> tuple[Any, Any, Any]:
        """Summed cross-entropy (and correct next-token predictions, and episodes whose every target
        token is predicted) of equal-length episodes.

        Logits are computed only at the positions that predict a target token, so the output head and
        the loss never touch the prompt (with a large vocabulary those logits would dominate memory)."""
        import torch

        keep = target_positions(group)
        ids = torch.tensor([item.ids for item in group], dtype=torch.long, device=self.device)
        labels = torch.tensor([[item.labels[t + 1] for t in keep] for item in group], dtype=torch.long,
                              device=self.device)
        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        with self.guards.autocast():
            if self.target_forward:  # training passes run the frozen matmuls in `base_dtype`, evaluation not
                logits = target_logits(self.model, ids, index, self.base_dtype if torch.is_grad_enabled() else None)
            elif self._logits_to_keep:
                logits = self.model(input_ids=ids, logits_to_keep=index).logits
            else:
                logits = self.model(input_ids=ids).logits.index_select(1, index)
        logits = logits.float()
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1),
                                                 ignore_index=IGNORE, reduction="sum")
        if not count_correct:
            return loss, None, None
        hits = logits.argmax(-1) == labels
        target = labels != IGNORE
        return loss, (hits & target).sum(), (hits | ~target).all(dim=1).sum()

    def _encode_batch(self, examples: Sequence[TTTExample]) -> list[Encoded]:
        return [e for e in (self.encoder.encode(x, with_answer=True) for x in examples) if e and e.target_tokens]

    def accumulate(self, batch: Sequence[TTTExample], weight: float) -> StepLoss:
        """Forward and backward of one micro-batch, run as padding-free groups of equal length.

        Token counts come from the host-side encodings, and the loss stays a device tensor (read only
        when the orchestrator asks for its value), so nothing here waits for the device."""
        self._require_adapter()
        self.model.train()
        encoded = self._encode_batch(batch)
        if not encoded:
            return StepLoss(0.0, 0)
        targets = sum(item.target_tokens for item in encoded)
        processed = sum(len(item.ids) for item in encoded)
        total: Any = None
        with self.guards.out_of_memory():
            for group in length_groups(encoded):
                summed, _, _ = self._group_stats(group, count_correct=False)
                scaled = summed * (weight / targets)
                (self.scaler.scale(scaled) if self.scaler else scaled).backward()
                total = summed.detach() if total is None else total + summed.detach()
        return StepLoss(total / targets, processed, targets)

    def apply_update(self, learning_rate: float) -> None:
        import torch

        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        with self.guards.out_of_memory():
            if self.scaler:
                self.scaler.unscale_(self.optimizer)
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            torch.nn.utils.clip_grad_norm_(params, self.options.max_grad_norm, foreach=True)
            if self.scaler:
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)

    def discard_gradients(self) -> None:
        if self.optimizer is not None:
            self.optimizer.zero_grad(set_to_none=True)

    def evaluate(self, examples: Sequence[TTTExample]) -> Evaluation:
        import torch

        self.model.eval()
        encoded = self._encode_batch(examples)
        size = max(1, self.options.eval_batch_size)
        total_loss: Any = 0.0
        total_correct: Any = 0
        total_exact: Any = 0
        total_tokens = sum(item.target_tokens for item in encoded)
        with torch.no_grad(), self.guards.out_of_memory():
            for group in length_groups(encoded):
                for i in range(0, len(group), size):
                    summed, correct, exact = self._group_stats(group[i : i + size], count_correct=True)
                    total_loss = total_loss + summed
                    total_correct = total_correct + correct
                    total_exact = total_exact + exact
        self.model.train()
        if total_tokens == 0:
            return Evaluation(math.nan, 0.0, 0)
        return Evaluation(float(total_loss) / total_tokens, float(total_correct) / total_tokens, total_tokens,
                          examples=len(encoded), exact=int(total_exact))

    # --- inference --------------------------------------------------------------------------------
    def generate(self, prompts: Sequence[TTTExample], max_seconds: float | None = None) -> list[Grid | None]:
        """Greedy answers of every prompt in one batched, left-padded `generate` call.

        With a tokenizer that spells grids one token per cell (and `constrained_decoding` on), only
        grid tokens can be emitted and an answer whose shape the demonstrations imply ends at exactly
        that shape, so the call needs no more steps than the largest such answer."""
        import torch
        from transformers import LogitsProcessorList

        answers: list[Grid | None] = [None] * len(prompts)
        encoded, shapes, limits = self._encode_prompts(prompts)
        ready = [(i, e) for i, e in enumerate(encoded) if e is not None]
        if not ready:
            return answers
        if self._drafting():
            return self._generate_drafted(prompts, ready, shapes, limits, max_seconds)
        ids, mask, _ = pad_batch([e for _, e in ready], self.tokenizer.pad_token_id, left=True, device=self.device)
        processors = LogitsProcessorList()
        steps = max(limits[i] for i, _ in ready)
        if self._constrained():
            processors.append(GridConstraint(ids.shape[1], self._grid_ids, [shapes[i] for i, _ in ready],
                                             self._vocab_size, self.device, [limits[i] for i, _ in ready]))
        self.model.eval()
        with torch.no_grad(), self.guards.out_of_memory(), self.guards.autocast():
            out = self.model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=steps, do_sample=False,
                                      logits_processor=processors, eos_token_id=self.tokenizer.eos_token_id,
                                      pad_token_id=self.tokenizer.pad_token_id,
                                      max_time=max_seconds if max_seconds and max_seconds > 0 else None)
        self.model.train()
        for row, (index, _) in enumerate(ready):
            tokens = out[row, ids.shape[1]:].tolist()
            if processors and self.tokenizer.eos_token_id not in tokens:
                continue  # cut short (time or length) before the grid ended: not an answer
            answers[index] = self.fmt.parse_answer(self.tokenizer.decode(tokens, skip_special_tokens=True))
        return answers

    def _drafting(self) -> bool:
        """Draft-and-verify decoding (draft_decoding.py) serves constrained generation on a CPU, where a
        batched step costs about as much per view as a step of one view alone; on a GPU a batched step
        over the views costs little more than one view's, and the batched call stays."""
        return self._constrained() and self.options.draft_tokens > 0 and self.device.type == "cpu"

    def _generate_drafted(self, prompts: Sequence[TTTExample], ready: list[tuple[int, Encoded]],
                          shapes: list[tuple[int, int] | None], limits: list[int],
                          max_seconds: float | None) -> list[Grid | None]:
        """The same greedy answers as the batched call, each view decoded alone with drafted tokens
        verified in one forward pass; views left when `max_seconds` runs out get no answer."""
        import time

        import torch

        assert self._grid_ids is not None  # _drafting() implies it
        answers: list[Grid | None] = [None] * len(prompts)
        deadline = time.monotonic() + max_seconds if max_seconds and max_seconds > 0 else None
        self.model.eval()
        with torch.no_grad(), self.guards.out_of_memory(), self.guards.autocast():
            for index, item in ready:
                grammar = GridGrammar.of(shapes[index], limits[index])
                drafter = CellDrafter(prompts[index].query.input.rows, self._grid_ids)
                tokens = decode_one(self.model, self.device, list(item.ids), grammar, drafter,
                                    self.options.draft_tokens, deadline)
                if tokens is not None:
                    answers[index] = self.fmt.parse_answer(self.tokenizer.decode(tokens, skip_special_tokens=True))
        self.model.train()
        return answers

    def prompts_fit(self, prompts: Sequence[TTTExample]) -> list[bool]:
        return [e is not None for e in self._encode_prompts(prompts)[0]]

    def demonstrations_kept(self, prompts: Sequence[TTTExample]) -> list[int]:
        return [e.demonstrations if e is not None else 0 for e in self._encode_prompts(prompts)[0]]

    def _constrained(self) -> bool:
        return self._grid_ids is not None and self.options.constrained_decoding

    def _encode_prompts(self, prompts: Sequence[TTTExample]
                        ) -> tuple[list[Encoded | None], list[tuple[int, int] | None], list[int]]:
        """Each prompt encoded for generation, the answer shape constrained decoding stops at, and the
        answer's token limit. The encoding leaves room for the longest answer either bound allows (a
        known shape may be larger than any output seen); it is None where the prompt does not fit, or
        keeps none of its demonstrations (the query and its answer fill the context): such a prompt
        shows no task to answer, and generating it would only spend time."""
        budget = max((answer_budget(p.demonstrations, self.fmt) for p in prompts), default=16)
        constrained = self._constrained()
        shapes = [predicted_output_shape(p.demonstrations, p.query.input) if constrained else None for p in prompts]
        limits = [tokens_needed(shape, budget) for shape in shapes]
        encoded: list[Encoded | None] = []
        for prompt, limit in zip(prompts, limits, strict=True):
            item = self.encoder.encode(prompt, with_answer=False, reserve=max(budget, limit) + 1)
            shows_task = item is not None and (item.demonstrations > 0 or not prompt.demonstrations)
            encoded.append(item if shows_task else None)
        return encoded, shapes, limits

    # --- techniques beyond plain TTT (tensor work in technique_ops) --------------------------------------
    def score_answers(self, prompts: Sequence[TTTExample]) -> list[float | None]:
        return self.techniques.score_answers(self.model, prompts)

    def entropy_step(self, examples: Sequence[TTTExample], weight: float) -> StepLoss:
        self._require_adapter()
        return self.techniques.entropy_step(self.model, examples, weight)

    def remember_parameters(self) -> None:
        self.techniques.remember_parameters(self.model)

    def repeat_last_update(self, scale: float) -> None:
        self.techniques.repeat_last_update(self.model, scale)
