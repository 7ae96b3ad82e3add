"""Opening the TTT backend of a batch: torch's thread count, the base model, and the LoRA backend on it.

The composition root binds the settings to `open_backend` (functools.partial, so the factory stays
picklable) and hands it to the TTT solver, which calls it on its first task: a batch that never reaches
a TTT task never loads a model.
"""

from __future__ import annotations

from arc_ttt.adapters.models.backend import BackendOptions, TransformersBackend
from arc_ttt.adapters.models.model_loading import Quantization, load_model
from arc_ttt.domain.errors import ArcTttError

NO_MODEL = "no TTT model: pass --model DIR or set ttt.model (`arc-ttt init-model DIR` writes a small one)"


def open_backend(model: str | None, options: BackendOptions, *, quantization: Quantization = "none",
                 offline: bool = True, grid_format: str = "auto", cpu_threads: int | None = None
                 ) -> TransformersBackend:
    """The backend on `model` (a folder or hub id). No model configured is an ArcTttError saying how to
    give one, raised before torch is touched; a model that cannot load raises `ModelLoadError`."""
    if not model:
        raise ArcTttError(NO_MODEL)
    if cpu_threads:
        import torch  # heavy; only a batch that opens a model pays for it

        torch.set_num_threads(cpu_threads)
    loaded = load_model(model, quantization=quantization, offline=offline, grid_format=grid_format)
    return TransformersBackend(loaded, options)
