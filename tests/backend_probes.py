"""Reading a real backend's model directly, for integration tests that compare its output before and
after an adapter round trip, a merge or a fresh adapter. Imports torch: integration tests only."""

from __future__ import annotations

import torch

from arc_ttt.adapters.models.backend import TransformersBackend
from arc_ttt.domain.ttt.examples import TTTExample


def episode_logits(backend: TransformersBackend, example: TTTExample) -> torch.Tensor:
    """The model's logits over one episode with its answer, in float32 on the CPU, so two readings can
    be compared exactly; the model is left in training mode, as the backend keeps it."""
    encoded = backend.encoder.encode(example, with_answer=True)
    if encoded is None:
        raise ValueError("episode too long for the model")
    backend.model.eval()
    with torch.no_grad():
        ids = torch.tensor([encoded.ids], device=backend.device)
        logits = backend.model(input_ids=ids).logits
    backend.model.train()
    return logits.float().cpu()
