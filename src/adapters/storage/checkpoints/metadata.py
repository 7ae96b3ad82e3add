"""Checks on checkpoint metadata, shared by `save` and archive import, so a row never holds what a later
query, a JSON manifest or a file name could choke on."""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TypeGuard

from arc_ttt.domain.errors import CheckpointFormatError

MAX_NAME = 64
MAX_MODEL = 256
MAX_CREATED_AT = 40  # the width of the created_at column
MAX_VERSION = 2**63 - 1  # SQLite's largest INTEGER: a bigger version could be neither stored nor looked up
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _shown(value: object) -> str:
    """The start of a value's repr for an error message; an integer past Python's int-string limit has none."""
    try:
        return f"{value!r:.40}"
    except ValueError:
        return "a value too long to print"


def _finite(value: object) -> float | None:
    """The value as a finite float, or None: not a real number (bool included), infinite or NaN, or too large
    for a float (an int of hundreds of digits overflows in the conversion)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: object, what: str, limit: int, *, origin: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
        raise CheckpointFormatError(f"{origin}: {what} must be printable text of 1..{limit} characters, "
                                    f"got {value!r:.80}")
    return value


def check_model(base_model: object, base_model_hash: object, *, origin: str) -> tuple[str, str]:
    return (_text(base_model, "base_model", MAX_MODEL, origin=origin),
            _text(base_model_hash, "base_model_hash", MAX_MODEL, origin=origin))


def check_metrics(metrics: object, *, origin: str) -> dict[str, float]:
    """Finite numbers under short names. A NaN loss means the run diverged: such weights are refused
    rather than stored as a version that `best` or `latest` could hand back."""
    if not isinstance(metrics, Mapping):
        raise CheckpointFormatError(f"{origin}: metrics must be a mapping of name to number")
    checked: dict[str, float] = {}
    for name, value in metrics.items():
        _text(name, "metric name", MAX_NAME, origin=origin)
        number = _finite(value)
        if number is None:
            raise CheckpointFormatError(f"{origin}: metric {name!r} must be a finite number, got {_shown(value)}")
        checked[name] = number
    return checked


def check_tags(tags: object, *, origin: str) -> tuple[str, ...]:
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise CheckpointFormatError(f"{origin}: tags must be a list of strings")
    return tuple(sorted({_text(tag, "tag", MAX_NAME, origin=origin) for tag in tags}))


def check_created_at(value: object, *, origin: str) -> str:
    """An ISO-8601 timestamp, as `save` records one. An archive's is stored as given and printed by `list` and
    `show`, so anything else (an escape sequence that clears the terminal, a NUL) is refused here."""
    text = _text(value, "created_at", MAX_CREATED_AT, origin=origin)
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise CheckpointFormatError(f"{origin}: created_at must be an ISO-8601 timestamp, got {text!r}") from None
    return text


def _plain(value: object) -> object:
    """Sets (peft keeps `target_modules` as one) become sorted lists; anything else stays an error."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def lora_config_json(lora_config: object, *, origin: str) -> str:
    """Canonical JSON (sorted keys), so equal configs compare equal as text."""
    if not isinstance(lora_config, Mapping):
        raise CheckpointFormatError(f"{origin}: lora_config must be a mapping")
    try:
        return json.dumps(dict(lora_config), sort_keys=True, separators=(",", ":"), allow_nan=False,
                          default=_plain)
    except (TypeError, ValueError) as exc:
        raise CheckpointFormatError(f"{origin}: lora_config is not plain JSON ({exc})") from None


def check_sha256(value: object, *, origin: str) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise CheckpointFormatError(f"{origin}: sha256 must be 64 lowercase hex digits")
    return value


def is_version(value: object) -> TypeGuard[int]:
    """A positive int that a row can hold; anything else can name no stored version."""
    return not isinstance(value, bool) and isinstance(value, int) and 1 <= value <= MAX_VERSION


def check_version(value: object, *, origin: str) -> int:
    if not is_version(value):
        raise CheckpointFormatError(f"{origin}: version must be a positive integer up to {MAX_VERSION}, "
                                    f"got {_shown(value)}")
    return value
