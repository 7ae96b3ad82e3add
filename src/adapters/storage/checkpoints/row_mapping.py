"""Rows to domain values and back; the domain never sees an ORM object."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from arc_ttt.adapters.storage.checkpoints.schema import CheckpointRow, MetricRow, TagRow
from arc_ttt.domain.checkpoints.ports import CheckpointInfo


def metric_rows(metrics: Mapping[str, float]) -> list[MetricRow]:
    return [MetricRow(name=name, value=value) for name, value in sorted(metrics.items())]


def tag_rows(tags: Sequence[str]) -> list[TagRow]:
    return [TagRow(tag=tag) for tag in sorted(set(tags))]


def to_info(row: CheckpointRow) -> CheckpointInfo:
    return CheckpointInfo(
        task_id=row.task_id,
        version=row.version,
        base_model=row.base_model,
        base_model_hash=row.base_model_hash,
        lora_config=json.loads(row.lora_config_json),
        metrics={m.name: m.value for m in sorted(row.metrics, key=lambda m: m.name)},
        tags=tuple(sorted(t.tag for t in row.tags)),
        created_at=row.created_at,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
    )
