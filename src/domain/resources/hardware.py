"""What the machine is and how much memory is in use: plain records the probes fill and the
policies read, so the domain can reason about memory without psutil or torch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from arc_ttt.domain.records import read, read_optional

MB = 1024 * 1024
GB = 1024 * MB


@dataclass(frozen=True, slots=True)
class CudaDevice:
    index: int
    name: str
    total_bytes: int
    free_bytes: int
    compute_capability: tuple[int, int]
    bf16: bool

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "name": self.name,
            "total_bytes": self.total_bytes,
            "free_bytes": self.free_bytes,
            "compute_capability": f"{self.compute_capability[0]}.{self.compute_capability[1]}",
            "bf16": self.bf16,
        }


@dataclass(frozen=True, slots=True)
class HardwareInfo:
    cpu_cores: int
    ram_total_bytes: int
    ram_available_bytes: int
    cuda_devices: tuple[CudaDevice, ...] = ()
    platform: str = ""
    torch_version: str = ""

    @property
    def has_cuda(self) -> bool:
        return bool(self.cuda_devices)

    @property
    def largest_gpu_bytes(self) -> int:
        return max((d.total_bytes for d in self.cuda_devices), default=0)

    def to_json(self) -> dict[str, object]:
        return {
            "cpu_cores": self.cpu_cores,
            "ram_total_bytes": self.ram_total_bytes,
            "ram_available_bytes": self.ram_available_bytes,
            "cuda_devices": [d.to_json() for d in self.cuda_devices],
            "platform": self.platform,
            "torch_version": self.torch_version,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> HardwareInfo:
        """Rebuild from `to_json` output (a run's stored meta); unknown or missing fields become 0/empty."""
        devices = []
        for d in raw.get("cuda_devices") or ():  # type: ignore[union-attr]
            if not isinstance(d, Mapping):
                continue
            major, _, minor = str(d.get("compute_capability", "0.0")).partition(".")
            devices.append(
                CudaDevice(
                    int(d.get("index", 0)),  # type: ignore[arg-type]
                    str(d.get("name", "")),
                    int(d.get("total_bytes", 0)),  # type: ignore[arg-type]
                    int(d.get("free_bytes", 0)),  # type: ignore[arg-type]
                    (int(major or 0), int(minor or 0)),
                    bool(d.get("bf16", False)),
                )
            )
        return cls(
            int(raw.get("cpu_cores", 0)),  # type: ignore[arg-type]
            int(raw.get("ram_total_bytes", 0)),  # type: ignore[arg-type]
            int(raw.get("ram_available_bytes", 0)),  # type: ignore[arg-type]
            tuple(devices),
            str(raw.get("platform", "")),
            str(raw.get("torch_version", "")),
        )

    def describe(self) -> str:
        ram = f"{self.cpu_cores} CPU cores, {self.ram_total_bytes / GB:.1f} GiB RAM"
        if not self.cuda_devices:
            return f"{ram}, no CUDA device"
        gpus = ", ".join(
            f"{d.name} ({d.total_bytes / GB:.1f} GiB, sm {d.compute_capability[0]}.{d.compute_capability[1]}"
            f"{', bf16' if d.bf16 else ''})"
            for d in self.cuda_devices
        )
        return f"{ram}, {gpus}"


@dataclass(frozen=True, slots=True)
class MemorySample:
    """One reading of memory use. CUDA fields are None where there is no CUDA device."""

    rss_bytes: int
    system_available_bytes: int
    cuda_allocated_bytes: int | None = None
    cuda_reserved_bytes: int | None = None
    cuda_peak_bytes: int | None = None
    cuda_free_bytes: int | None = None
    extra: Mapping[str, int] = field(default_factory=dict)


_CUDA_FIGURES = ("cuda_allocated_bytes", "cuda_reserved_bytes", "cuda_peak_bytes", "cuda_free_bytes")


@dataclass(frozen=True, slots=True)
class MemoryReading:
    """Memory after one task of a batch, kept with the task's result. The leak check needs the readings in
    the order the batch ran, which `batch_index` keeps: the result store gives results back by task id."""

    sample: MemorySample
    batch_index: int
    pressure_waits: int = 0  # times the pressure guard waited for memory before the task started

    def to_json(self) -> dict[str, int]:
        """The figures as results.db and report.json keep them (CUDA figures only where there was a device)."""
        figures = {"rss_bytes": self.sample.rss_bytes, "system_available_bytes": self.sample.system_available_bytes}
        for key in _CUDA_FIGURES:
            value = getattr(self.sample, key)
            if value is not None:
                figures[key] = value
        figures["batch_index"] = self.batch_index
        if self.pressure_waits:
            figures["pressure_waits"] = self.pressure_waits
        return figures

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> MemoryReading:
        sample = MemorySample(read(raw, "rss_bytes", int), read(raw, "system_available_bytes", int),
                              *(read_optional(raw, key, int) for key in _CUDA_FIGURES))
        return cls(sample, read(raw, "batch_index", int), read_optional(raw, "pressure_waits", int) or 0)


def choose_profile(
    hardware: HardwareInfo, gpu_profiles: Mapping[str, float], cpu_profile: str = "cpu", tolerance: float = 0.9
) -> tuple[str, str]:
    """The profile for this machine, and why: the largest GPU profile whose nominal size (GB, as cards
    are sold) is within `tolerance` of the largest device's memory, since a "16 GB" T4 reports 14.7 GiB.
    Without CUDA, the CPU profile; with a GPU smaller than every profile, the smallest one."""
    if not hardware.has_cuda or not gpu_profiles:
        return cpu_profile, "no CUDA device"
    total_gib = hardware.largest_gpu_bytes / GB
    by_size = sorted(gpu_profiles.items(), key=lambda item: item[1])
    fitting = [name for name, size in by_size if size * tolerance <= total_gib]
    if fitting:
        return fitting[-1], f"largest GPU has {total_gib:.1f} GiB"
    return by_size[0][0], f"largest GPU has {total_gib:.1f} GiB, less than every profile; using the smallest"
