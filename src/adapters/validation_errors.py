"""pydantic's validation errors as this project words them: where (a dotted path) and what, in one line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def error_where(error: Mapping[str, Any], whole: str) -> str:
    """The dotted path of the value at fault (`solve.workers`), or `whole` when it is the input itself."""
    return ".".join(str(part) for part in error["loc"]) or whole


def error_what(error: Mapping[str, Any]) -> str:
    """pydantic's message without its "Value error, " / "Assertion failed, " prefix, starting in lower case,
    so that it reads on after `where: `."""
    text = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        text = text.removeprefix(prefix)
    return text[:1].lower() + text[1:]
