"""Human byte sizes for caps and limits: '500', '500MB', '2GiB', '1.5G'. Decimal (kB, MB, GB) and binary
(KiB, MiB, GiB) units; a bare K/M/G/T is binary, as `du -h` and `ls -h` print them."""

from __future__ import annotations

import re

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)", re.IGNORECASE)
_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def parse_size(text: str | int | float) -> int:
    """Bytes in `text`; raises ValueError naming the accepted forms when it cannot be read."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"size {text} is negative")
        return int(text)
    match = _SIZE.fullmatch(str(text).strip())
    if not match:
        raise ValueError(f"cannot read size {text!r}; use e.g. 500000, 500MB, 2GiB, 1.5G")
    number, unit, binary, byte = match.groups()
    power = _POWER[unit.lower()]
    base = 1024 if binary or (unit and not byte) else 1000
    if binary and not unit:
        raise ValueError(f"cannot read size {text!r}; use e.g. 500000, 500MB, 2GiB, 1.5G")
    return int(float(number) * base**power)


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
