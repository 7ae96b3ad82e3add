"""Human durations for budgets: '90', '90s', '30m', '2h', '1h30m'."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms]?)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}


def parse_duration(text: str | float | int) -> float:
    """Seconds in `text`; raises ValueError with the accepted forms when it cannot be read."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"duration {text} is negative")
        return float(text)
    cleaned = str(text).strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    while pos < len(cleaned):
        match = _PART.match(cleaned, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot read duration {text!r}; use e.g. 90, 90s, 30m, 2h, 1h30m")
        total += float(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    if not cleaned:
        raise ValueError("empty duration")
    return total


def format_duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
