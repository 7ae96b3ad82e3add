"""Memory pressure: when free memory runs low between tasks, wait and give caches back; when it runs
out, stop the batch cleanly rather than let the operating system kill it and lose the run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from arc_ttt.domain.resources.hardware import MB, MemorySample
from arc_ttt.domain.resources.ports import MemoryProbe


class Pressure(str, Enum):
    OK = "ok"
    PAUSE = "pause"
    ABORT = "abort"


@dataclass(frozen=True, slots=True)
class MemoryLevels:
    """Free-memory levels in MB (from the hardware profile). GPU levels apply only where CUDA is present."""

    pause_free_mb: float = 1024.0
    abort_free_mb: float = 256.0
    pause_free_gpu_mb: float | None = None
    abort_free_gpu_mb: float | None = None
    max_waits: int = 3
    wait_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.abort_free_mb > self.pause_free_mb:
            raise ValueError(f"abort level {self.abort_free_mb} MB is above the pause level {self.pause_free_mb} MB")
        if (
            self.pause_free_gpu_mb is not None
            and self.abort_free_gpu_mb is not None
            and self.abort_free_gpu_mb > self.pause_free_gpu_mb
        ):
            raise ValueError("GPU abort level is above the GPU pause level")
        if self.max_waits < 0 or self.wait_seconds < 0:
            raise ValueError("max_waits and wait_seconds must not be negative")


def _verdict(what: str, free_mb: float, pause: float | None, abort: float | None) -> tuple[Pressure, str]:
    if abort is not None and free_mb < abort:
        return Pressure.ABORT, f"{what} {free_mb:.0f} MB is below the abort level {abort:g} MB"
    if pause is not None and free_mb < pause:
        return Pressure.PAUSE, f"{what} {free_mb:.0f} MB is below the pause level {pause:g} MB"
    return Pressure.OK, ""


def assess(sample: MemorySample, levels: MemoryLevels) -> tuple[Pressure, str]:
    """The worse of the RAM and GPU verdicts for one reading, with the figure that decided it."""
    verdicts = [
        _verdict("free RAM", sample.system_available_bytes / MB, levels.pause_free_mb, levels.abort_free_mb)
    ]
    if sample.cuda_free_bytes is not None:
        verdicts.append(
            _verdict("free GPU memory", sample.cuda_free_bytes / MB, levels.pause_free_gpu_mb, levels.abort_free_gpu_mb)
        )
    order = {Pressure.OK: 0, Pressure.PAUSE: 1, Pressure.ABORT: 2}
    return max(verdicts, key=lambda v: order[v[0]], default=(Pressure.OK, ""))


@dataclass(frozen=True, slots=True)
class PressureVerdict:
    proceed: bool
    reason: str = ""  # why the batch stopped, or what it waited for
    waits: int = 0


class MemoryPressureGuard:
    """Consulted before each task. Under the pause level it frees caches and waits, at most
    `max_waits` times; if memory does not come back it goes on (the abort level is the hard stop).
    Under the abort level, before or after waiting, it says stop."""

    def __init__(self, probe: MemoryProbe, levels: MemoryLevels, sleep: Callable[[float], None]) -> None:
        self.probe = probe
        self.levels = levels
        self.sleep = sleep
        self.total_waits = 0

    def check(self) -> PressureVerdict:
        waits = 0
        pressure, why = assess(self.probe.sample(), self.levels)
        while pressure is Pressure.PAUSE:
            self.probe.free_caches()
            pressure, why = assess(self.probe.sample(), self.levels)
            if pressure is not Pressure.PAUSE or waits >= self.levels.max_waits:
                break
            self.sleep(self.levels.wait_seconds)
            waits += 1
            pressure, why = assess(self.probe.sample(), self.levels)
        self.total_waits += waits
        if pressure is Pressure.ABORT:
            return PressureVerdict(False, f"stopped for memory: {why}", waits)
        if pressure is Pressure.PAUSE:
            return PressureVerdict(True, f"went on after {waits} waits: {why}", waits)
        return PressureVerdict(True, "", waits)
