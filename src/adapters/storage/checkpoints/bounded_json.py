"""Parse JSON that came from outside (an archive's manifest, a safetensors header) so that hostile input
fails as one ValueError naming the problem, instead of as an error the caller never expects.

Plain `json.loads` lets three things through that break later: nesting deep enough to raise RecursionError
in the parser (or, a little shallower, in whatever walks the result afterwards, such as `json.dumps`);
numbers of thousands of digits, which hit Python's int-string limit (a bare ValueError) or, where that
limit is switched off, cost quadratic time; and integers past 64 bits, which overflow a float or a SQL
INTEGER further down. Nothing a checkpoint holds needs more than a few levels or a few dozen digits.
"""

from __future__ import annotations

import json

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 64  # a float's repr is at most 24 characters, a 64-bit integer 20


def _number(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number written with {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    return text


def _int(text: str) -> int:
    return int(_number(text))


def _float(text: str) -> float:
    return float(_number(text))


def _within_depth(value: object, limit: int) -> bool:
    """Walk without recursion, so the check itself cannot run out of stack."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True


def loads(raw: bytes, *, max_depth: int = MAX_DEPTH) -> object:
    """The decoded UTF-8 JSON value; ValueError with a short reason when it is not acceptable."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_int=_int, parse_float=_float)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 JSON (UnicodeDecodeError)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not UTF-8 JSON (JSONDecodeError: {exc})") from None
    except RecursionError:
        raise ValueError(f"nested deeper than {max_depth} levels") from None
    if isinstance(value, (dict, list)) and not _within_depth(value, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels")
    return value
