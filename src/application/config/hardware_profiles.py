"""Hardware profiles: the YAML overlays in configs/hardware/, chosen by name or from the probe."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arc_ttt.application.config.mappings import deep_merge
from arc_ttt.application.config.settings import HardwareSettings, Settings, default_config_dir, load_settings
from arc_ttt.domain.resources.hardware import GB, HardwareInfo, choose_profile
from arc_ttt.domain.resources.memory_estimate import TrainingPlan
from arc_ttt.domain.resources.memory_pressure import MemoryLevels
from arc_ttt.domain.resources.ports import HardwareProbe

PROFILE_DIR = "hardware"
AUTO = "auto"
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}


def profile_names(config_dir: Path | None = None) -> list[str]:
    folder = (config_dir or default_config_dir()) / PROFILE_DIR
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_profile(name: str, config_dir: Path | None = None) -> HardwareSettings:
    """One profile as validated settings; an unknown name is a ValueError listing the known ones."""
    known = profile_names(config_dir)
    if name not in known:
        raise ValueError(f"unknown hardware profile {name!r}; known: {', '.join(known) or 'none'}, or auto")
    return load_settings([f"{PROFILE_DIR}/{name}"], config_dir=config_dir).hardware


def resolve_profile(requested: str, hardware: HardwareInfo | None, config_dir: Path | None = None) -> tuple[str, str]:
    """(profile name, why): `requested` itself, or for `auto` the best fit for `hardware`."""
    if requested != AUTO:
        load_profile(requested, config_dir)  # fail early on a typo
        return requested, "chosen by name"
    if hardware is None:
        return "cpu", "no hardware probe"
    profiles = {name: load_profile(name, config_dir) for name in profile_names(config_dir)}
    gpu = {name: p.gpu_memory_gb for name, p in profiles.items() if p.device == "cuda" and p.gpu_memory_gb > 0}
    cpu = next((name for name, p in profiles.items() if p.device == "cpu"), "cpu")
    return choose_profile(hardware, gpu, cpu_profile=cpu)


def memory_levels(profile: HardwareSettings) -> MemoryLevels:
    return MemoryLevels(
        pause_free_mb=profile.pause_free_ram_mb,
        abort_free_mb=profile.abort_free_ram_mb,
        pause_free_gpu_mb=profile.pause_free_gpu_mb,
        abort_free_gpu_mb=profile.abort_free_gpu_mb,
        max_waits=profile.max_waits,
        wait_seconds=profile.wait_seconds,
    )


def training_plan(profile: HardwareSettings, **changes: object) -> TrainingPlan:
    """The training shape a profile allows; `changes` (seq_len=..., quantization=...) override it."""
    fields: dict[str, object] = {
        "quantization": profile.quantization,
        "dtype_bytes": DTYPE_BYTES[profile.dtype],
        "lora_rank": profile.lora_rank,
        "seq_len": profile.max_seq_len,
        "batch_size": profile.train_batch_size,
        "gradient_checkpointing": profile.gradient_checkpointing,
        "device": profile.device,
    }
    fields.update({k: v for k, v in changes.items() if v is not None})
    return TrainingPlan(**fields)  # type: ignore[arg-type]


def describe_run(probe: HardwareProbe, profile: HardwareSettings) -> dict[str, object]:
    """Run facts kept in the result store and shown by the reports: the machine and the profile's limits."""
    return {
        "hardware": probe.probe().to_json(),
        "profile": {
            "name": profile.profile,
            "device": profile.device,
            "memory_budget_bytes": int(profile.memory_budget_gb * GB),
            "leak_warn_mb_per_task": profile.leak_warn_mb_per_task,
            "pause_free_ram_mb": profile.pause_free_ram_mb,
            "abort_free_ram_mb": profile.abort_free_ram_mb,
        },
    }


def settings_with_profile(
    requested: str | None, overlays: Sequence[str], overrides: Mapping[str, Any], probe: HardwareProbe | None
) -> tuple[Settings, str]:
    """Settings with a hardware profile laid under the user's overlays, and a line saying which and why.

    `requested` (from --profile) wins; else the settings' own `hardware.profile` (a config file or
    ARC_TTT_HARDWARE__PROFILE), which is loaded, and refused when unknown, exactly as --profile would be;
    `auto` asks the probe. The settings then name the profile whose values they hold."""
    base = load_settings(overlays, **overrides)
    name = requested or base.hardware.profile
    chosen, why = resolve_profile(name, probe.probe() if probe is not None and name == AUTO else None)
    if not requested and name != AUTO:
        why = "named in the settings"
    named = deep_merge(overrides, {"hardware": {"profile": chosen}})
    settings = load_settings([f"{PROFILE_DIR}/{chosen}", *overlays], **named)
    return settings, f"{chosen} ({why})"
