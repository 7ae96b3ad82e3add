"""Ports of the checkpoints capability: the store of TTT adapters per task and version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    """Metadata of one stored adapter (a safetensors file). Versions count 1, 2, ... per task."""

    task_id: str
    version: int
    base_model: str
    base_model_hash: str
    lora_config: Mapping[str, object]
    metrics: Mapping[str, float]
    tags: tuple[str, ...]
    created_at: str
    size_bytes: int
    sha256: str

class CheckpointRepository(Protocol):
    """Adapters per task and version. Weights travel as safetensors bytes so the domain needs no torch."""

    def save(
        self,
        task_id: str,
        weights: bytes,
        *,
        base_model: str,
        base_model_hash: str,
        lora_config: Mapping[str, object],
        metrics: Mapping[str, float],
        tags: Sequence[str] = (),
    ) -> CheckpointInfo: ...

    def latest(self, task_id: str, base_model_hash: str | None = None) -> CheckpointInfo | None: ...

    def best(self, task_id: str, metric: str, *, higher_is_better: bool = True) -> CheckpointInfo | None: ...

    def load(self, info: CheckpointInfo) -> bytes:
        """The weight bytes, sha256-verified; raises CheckpointIntegrityError when they do not match."""
        ...

    def load_latest_good(
        self, task_id: str, base_model_hash: str | None = None
    ) -> tuple[CheckpointInfo, bytes] | None:
        """The newest version whose file is intact, falling back past corrupted or missing ones."""
        ...

    def get(self, task_id: str, version: int) -> CheckpointInfo | None: ...

    def find(
        self,
        task_id: str | None = None,
        *,
        base_model: str | None = None,
        base_model_hash: str | None = None,
        tag: str | None = None,
    ) -> list[CheckpointInfo]:
        """Every matching checkpoint, ordered by task id then version."""
        ...

    def delete(self, task_id: str, version: int) -> bool:
        """Forget one version (its row first, then its file); False when there was none."""
        ...
