"""What wraps every tensor pass of the models adapter: an out-of-memory error turned into the domain's
`OutOfMemory` (so the training orchestrator can back off), and CUDA autocast at the mixed-precision dtype.

A module of its own so that the backend and the technique ops share one definition without importing
each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from arc_ttt.domain.errors import OutOfMemory


def is_oom(exc: BaseException) -> bool:
    """Whether `exc` is the accelerator running out of memory (torch raises either its own type or a
    RuntimeError that says so, depending on the device and version)."""
    import torch  # heavy; imported where a tensor pass has already loaded it

    return isinstance(exc, torch.cuda.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


@dataclass(frozen=True, slots=True)
class DeviceGuards:
    """The guards of one model on one device; fixed once the backend has placed the model."""

    device: Any
    autocast_dtype: Any = None  # None: no autocast (CPU, or mixed precision switched off)

    @contextlib.contextmanager
    def out_of_memory(self) -> Iterator[None]:
        """Raise `OutOfMemory` (after freeing CUDA's cached blocks) instead of the library's error, so
        callers see one error type whatever the device; every other error passes through."""
        try:
            yield
        except Exception as exc:
            if not is_oom(exc):
                raise
            import torch  # heavy; already loaded by the failed pass

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            raise OutOfMemory(f"out of memory on {self.device}") from None

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """CUDA autocast at `autocast_dtype`, or nothing when there is none."""
        import torch  # heavy; imported where a tensor pass has already loaded it

        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.autocast_dtype)
