"""The real HardwareProbe and MemoryProbe: psutil for the process and the machine, torch.cuda for GPUs.

torch is imported only when a probe is used, and only if it is already installed; a machine without
CUDA (or without torch) reads as CPU-only rather than failing.
"""

from __future__ import annotations

import gc
import os
import platform
import sys
from types import ModuleType

import psutil

from arc_ttt.domain.resources.hardware import CudaDevice, HardwareInfo, MemorySample


def _torch() -> ModuleType | None:
    """torch if it can be imported; None otherwise (the probes then see no GPU)."""
    if "torch" in sys.modules:
        return sys.modules["torch"]
    try:
        import torch
    except Exception:  # an absent or broken install means: no GPU to report
        return None
    return torch


def _cuda() -> ModuleType | None:
    """torch, when it is importable and CUDA is usable; calling into a CUDA-less build stays harmless."""
    torch = _torch()
    if torch is None:
        return None
    try:
        return torch if torch.cuda.is_available() else None
    except Exception:
        return None


def cuda_devices() -> tuple[CudaDevice, ...]:
    torch = _cuda()
    if torch is None:
        return ()
    devices = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        free, total = torch.cuda.mem_get_info(index)
        major, minor = props.major, props.minor
        bf16 = major >= 8  # Ampere and later; torch.cuda.is_bf16_supported() only answers for the current device
        devices.append(CudaDevice(index, props.name, int(total), int(free), (major, minor), bf16))
    return tuple(devices)


class PsutilHardwareProbe:
    def probe(self) -> HardwareInfo:
        memory = psutil.virtual_memory()
        torch = _torch()
        return HardwareInfo(
            cpu_cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
            ram_total_bytes=int(memory.total),
            ram_available_bytes=int(memory.available),
            cuda_devices=cuda_devices(),
            platform=f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
            torch_version=str(getattr(torch, "__version__", "")) if torch is not None else "",
        )


def _cuda_in_use() -> ModuleType | None:
    """torch, when this process has already initialized CUDA. Sampling never imports torch nor creates a
    CUDA context (hundreds of MB of GPU memory) for a batch whose solver does not use the GPU."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        return torch if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    except Exception:
        return None


class ProcessMemoryProbe:
    """Memory of this process (RSS) and the machine (available RAM), plus CUDA device 0 once in use."""

    def __init__(self, device: int = 0) -> None:
        self.device = device
        self._process = psutil.Process()

    def sample(self) -> MemorySample:
        rss = int(self._process.memory_info().rss)
        available = int(psutil.virtual_memory().available)
        torch = _cuda_in_use()
        if torch is None:
            return MemorySample(rss, available)
        free, _ = torch.cuda.mem_get_info(self.device)
        return MemorySample(
            rss,
            available,
            cuda_allocated_bytes=int(torch.cuda.memory_allocated(self.device)),
            cuda_reserved_bytes=int(torch.cuda.memory_reserved(self.device)),
            cuda_peak_bytes=int(torch.cuda.max_memory_allocated(self.device)),
            cuda_free_bytes=int(free),
        )

    def free_caches(self) -> None:
        gc.collect()
        torch = _cuda_in_use()
        if torch is not None:
            torch.cuda.empty_cache()

    def reset_peak(self) -> None:
        torch = _cuda_in_use()
        if torch is not None:
            torch.cuda.reset_peak_memory_stats(self.device)
