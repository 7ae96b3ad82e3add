"""Tensor work behind the techniques that go beyond plain TTT: answer scoring under augmentations,
entropy minimisation on generated answers, and repeating a parameter update (predict/correct).

Kept apart from backend.py so the core training and generation code stays small: TransformersBackend
composes one `TechniqueOps` and exposes each operation as a thin method of the ModelBackend port. The
model is passed to every call rather than held, because merging the adapter replaces the backend's model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arc_ttt.adapters.models.codec import GridFormat
from arc_ttt.adapters.models.device_guards import DeviceGuards
from arc_ttt.adapters.models.encoding import IGNORE, EpisodeEncoder, pad_batch
from arc_ttt.domain.ttt.examples import StepLoss, TTTExample


def _trainable(model: Any) -> list[Any]:
    return [p for p in model.parameters() if p.requires_grad]


class TechniqueOps:
    """The techniques' tensor work, and the state they keep between calls: an encoder of query answers
    (with its tokenization cache) and the parameters noted for repeating an update."""

    def __init__(self, tokenizer: Any, fmt: GridFormat, max_length: int, eval_batch_size: int,
                 guards: DeviceGuards, scaler: Any = None) -> None:
        # labels cover only the query's answer (and end token), whatever the backend's `loss_on` says
        self.query_encoder = EpisodeEncoder(tokenizer, fmt, max_length, "query")
        self._pad_token_id = tokenizer.pad_token_id
        self._eval_batch_size = eval_batch_size
        self._guards = guards
        self._scaler = scaler  # fp16 loss scaling, shared with the backend's optimizer step
        self._remembered: list[Any] | None = None
        self._last_delta: list[Any] | None = None

    def _batch(self, examples: Sequence[TTTExample]) -> tuple[list[int], tuple[Any, ...] | None]:
        encoded = [(i, self.query_encoder.encode(x, with_answer=True)) for i, x in enumerate(examples)]
        ready = [(i, e) for i, e in encoded if e is not None and e.target_tokens]
        if not ready:
            return [], None
        tensors = pad_batch([e for _, e in ready], self._pad_token_id, left=False, device=self._guards.device)
        return [i for i, _ in ready], tensors

    def score_answers(self, model: Any, prompts: Sequence[TTTExample]) -> list[float | None]:
        """Summed log-probability of each query output (teacher-forced), in batches of `eval_batch_size`."""
        import torch  # heavy; the backend has loaded it already

        scores: list[float | None] = [None] * len(prompts)
        size = max(1, self._eval_batch_size)
        model.eval()
        try:
            with torch.no_grad(), self._guards.out_of_memory(), self._guards.autocast():
                for start in range(0, len(prompts), size):
                    rows, tensors = self._batch(prompts[start : start + size])
                    if tensors is None:
                        continue
                    ids, mask, labels = tensors
                    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1, :].float()
                    targets = labels[:, 1:]
                    chosen = targets != IGNORE
                    log_probs = torch.log_softmax(logits, dim=-1)
                    picked = log_probs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
                    totals = (picked * chosen).sum(dim=1)
                    for row, index in enumerate(rows):
                        scores[start + index] = float(totals[row].item())
        finally:
            model.train()
        return scores

    def entropy_step(self, model: Any, examples: Sequence[TTTExample], weight: float) -> StepLoss:
        """Backward of the mean entropy of the next-token distributions over the answer positions."""
        import torch  # heavy; the backend has loaded it already

        model.train()
        with self._guards.out_of_memory():
            _, tensors = self._batch(examples)
            if tensors is None:
                return StepLoss(0.0, 0, 0)
            ids, mask, labels = tensors
            with self._guards.autocast():
                logits = model(input_ids=ids, attention_mask=mask).logits
            logits = logits[:, :-1, :].float()
            chosen = labels[:, 1:] != IGNORE
            log_probs = torch.log_softmax(logits, dim=-1)
            entropy = -(log_probs.exp() * log_probs).sum(dim=-1)
            count = int(chosen.sum().item())
            mean = (entropy * chosen).sum() / max(1, count)
            scaled = mean * weight
            (self._scaler.scale(scaled) if self._scaler else scaled).backward()
        return StepLoss(float(mean.item()), int(mask.sum().item()), count)

    def remember_parameters(self, model: Any) -> None:
        self._remembered = [p.detach().clone() for p in _trainable(model)]
        self._last_delta = None

    def repeat_last_update(self, model: Any, scale: float) -> None:
        """params += scale * (params after the remembered update - params before it)."""
        import torch  # heavy; the backend has loaded it already

        remembered = self._remembered
        if remembered is None:
            return
        params = _trainable(model)
        with torch.no_grad():
            delta = self._last_delta
            if delta is None:
                delta = [p.detach() - r for p, r in zip(params, remembered)]
                self._last_delta = delta
            for p, d in zip(params, delta):
                p.add_(d, alpha=scale)
