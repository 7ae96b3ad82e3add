"""Ports of the resources capability: time, the machine, and its memory."""

from __future__ import annotations

from typing import Protocol

from arc_ttt.domain.resources.hardware import HardwareInfo, MemorySample


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

class HardwareProbe(Protocol):
    """What this machine offers: cores, RAM, CUDA devices. Read once per run to pick a profile."""

    def probe(self) -> HardwareInfo: ...

class MemoryProbe(Protocol):
    """How much memory this process and the machine use right now, and a way to give caches back."""

    def sample(self) -> MemorySample: ...

    def free_caches(self) -> None:
        """Collect garbage and return cached accelerator memory to the device."""
        ...

    def reset_peak(self) -> None:
        """Start a new peak window (CUDA peak statistics); a no-op where there is none."""
