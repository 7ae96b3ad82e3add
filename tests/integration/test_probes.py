"""The real probes on this machine: figures that must hold wherever the tests run."""

from __future__ import annotations

import pytest
import torch

from arc_ttt.adapters.system.probes import ProcessMemoryProbe, PsutilHardwareProbe
from arc_ttt.domain.resources.hardware import MB


def test_hardware_probe_reads_this_machine() -> None:
    info = PsutilHardwareProbe().probe()
    assert info.cpu_cores >= 1
    assert 0 < info.ram_available_bytes <= info.ram_total_bytes
    assert len(info.cuda_devices) == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    assert info.torch_version == torch.__version__
    assert "CPU cores" in info.describe()


def test_memory_probe_sees_this_process_grow() -> None:
    probe = ProcessMemoryProbe()
    before = probe.sample()
    block = b"\x01" * (64 * MB)  # written, so the pages are resident
    after = probe.sample()
    assert len(block) == 64 * MB
    assert after.rss_bytes - before.rss_bytes >= 48 * MB
    assert after.system_available_bytes > 0
    del block
    probe.free_caches()
    probe.reset_peak()
    if not torch.cuda.is_available():
        assert after.cuda_allocated_bytes is None and after.cuda_free_bytes is None


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_readings_follow_allocations() -> None:
    probe = ProcessMemoryProbe()
    probe.free_caches()
    probe.reset_peak()
    x = torch.empty(256 * MB, dtype=torch.uint8, device="cuda")
    sample = probe.sample()
    assert sample.cuda_allocated_bytes is not None and sample.cuda_allocated_bytes >= 256 * MB
    assert sample.cuda_peak_bytes is not None and sample.cuda_peak_bytes >= 256 * MB
    del x
    probe.free_caches()
    assert probe.sample().cuda_reserved_bytes < sample.cuda_reserved_bytes  # type: ignore[operator]
    device = PsutilHardwareProbe().probe().cuda_devices[0]
    assert device.total_bytes > device.free_bytes > 0 and device.compute_capability[0] >= 3
