"""Tensor work behind the techniques that go beyond plain TTT: answer scoring under augmentations,
entropy minimisation on generated answers, and repeating a parameter update (predict/correct).

Kept apart from backend.py so the core training and generation code stays small; TransformersBackend
exposes each as a thin method of the ModelBackend port.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from arc_ttt.adapters.models.encoding import IGNORE, EpisodeEncoder, pad_batch
from arc_ttt.domain.ttt.examples import StepLoss, TTTExample

if TYPE_CHECKING:
    from arc_ttt.adapters.models.backend import TransformersBackend


def query_encoder(backend: TransformersBackend) -> EpisodeEncoder:
    """An encoder whose labels cover only the query's answer (and end token), whatever `loss_on` says."""
    encoder = getattr(backend, "_query_encoder", None)
    if encoder is None:
        encoder = EpisodeEncoder(backend.tokenizer, backend.fmt, backend.options.max_length, "query")
        backend._query_encoder = encoder  # type: ignore[attr-defined]
    return encoder


def _batch(backend: TransformersBackend, examples: Sequence[TTTExample]) -> tuple[list[int], tuple[Any, ...] | None]:
    encoder = query_encoder(backend)
    encoded = [(i, encoder.encode(x, with_answer=True)) for i, x in enumerate(examples)]
    ready = [(i, e) for i, e in encoded if e is not None and e.target_tokens]
    if not ready:
        return [], None
    tensors = pad_batch([e for _, e in ready], backend.tokenizer.pad_token_id, left=False, device=backend.device)
    return [i for i, _ in ready], tensors


def score_answers(backend: TransformersBackend, prompts: Sequence[TTTExample]) -> list[float | None]:
    """Summed log-probability of each query output (teacher-forced), in batches of `eval_batch_size`."""
    import torch

    scores: list[float | None] = [None] * len(prompts)
    size = max(1, backend.options.eval_batch_size)
    backend.model.eval()
    try:
        with torch.no_grad(), backend._oom_guard(), backend._autocast():
            for start in range(0, len(prompts), size):
                rows, tensors = _batch(backend, prompts[start : start + size])
                if tensors is None:
                    continue
                ids, mask, labels = tensors
                logits = backend.model(input_ids=ids, attention_mask=mask).logits[:, :-1, :].float()
                targets = labels[:, 1:]
                chosen = targets != IGNORE
                log_probs = torch.log_softmax(logits, dim=-1)
                picked = log_probs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
                totals = (picked * chosen).sum(dim=1)
                for row, index in enumerate(rows):
                    scores[start + index] = float(totals[row].item())
    finally:
        backend.model.train()
    return scores


def entropy_step(backend: TransformersBackend, examples: Sequence[TTTExample], weight: float) -> StepLoss:
    """Backward of the mean entropy of the next-token distributions over the answer positions."""
    import torch

    backend._require_adapter()
    backend.model.train()
    with backend._oom_guard():
        _, tensors = _batch(backend, examples)
        if tensors is None:
            return StepLoss(0.0, 0, 0)
        ids, mask, labels = tensors
        with backend._autocast():
            logits = backend.model(input_ids=ids, attention_mask=mask).logits
        logits = logits[:, :-1, :].float()
        chosen = labels[:, 1:] != IGNORE
        log_probs = torch.log_softmax(logits, dim=-1)
        entropy = -(log_probs.exp() * log_probs).sum(dim=-1)
        count = int(chosen.sum().item())
        mean = (entropy * chosen).sum() / max(1, count)
        scaled = mean * weight
        (backend.scaler.scale(scaled) if backend.scaler else scaled).backward()
    return StepLoss(float(mean.item()), int(mask.sum().item()), count)


def _trainable(backend: TransformersBackend) -> list[Any]:
    return [p for p in backend.model.parameters() if p.requires_grad]


def remember_parameters(backend: TransformersBackend) -> None:
    backend._remembered = [p.detach().clone() for p in _trainable(backend)]  # type: ignore[attr-defined]
    backend._last_delta = None  # type: ignore[attr-defined]


def repeat_last_update(backend: TransformersBackend, scale: float) -> None:
    """params += scale * (params after the remembered update - params before it)."""
    import torch

    remembered = getattr(backend, "_remembered", None)
    if remembered is None:
        return
    params = _trainable(backend)
    with torch.no_grad():
        delta = getattr(backend, "_last_delta", None)
        if delta is None:
            delta = [p.detach() - r for p, r in zip(params, remembered)]
            backend._last_delta = delta  # type: ignore[attr-defined]
        for p, d in zip(params, delta):
            p.add_(d, alpha=scale)


def forget_update(backend: TransformersBackend) -> None:
    backend._remembered = None  # type: ignore[attr-defined]
    backend._last_delta = None  # type: ignore[attr-defined]
