"""Reading typed records back from JSON (a task's notes in results.db): each field is checked for the type
its record declares, so that a damaged or hand-edited record fails where it is read, with the field named,
instead of surfacing as a wrong figure in a report. Values are returned as stored (an int read where a
float is declared stays an int), so that writing a record read back gives the same JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar, cast

T = TypeVar("T", int, float, str)

_ACCEPTED: dict[type, tuple[type, ...]] = {int: (int,), float: (int, float), str: (str,)}


def json_object(value: object, what: str) -> Mapping[str, object]:
    """`value` as a JSON object; TypeError naming `what` when it is anything else."""
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise TypeError(f"{what} is {type(value).__name__}, not a JSON object")
    return cast(Mapping[str, object], value)


def read(raw: Mapping[str, object], key: str, kind: type[T]) -> T:
    """The field `key` of `raw`, which must be there and of `kind` (never a bool, which JSON keeps apart
    from numbers); KeyError or TypeError otherwise."""
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, _ACCEPTED[kind]):
        raise TypeError(f"{key} is {type(value).__name__}, not {kind.__name__}")
    return cast(T, value)


def read_optional(raw: Mapping[str, object], key: str, kind: type[T]) -> T | None:
    """Like `read`, but None where the field is absent or null."""
    return None if raw.get(key) is None else read(raw, key, kind)
