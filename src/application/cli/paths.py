"""Path options and arguments that refuse an empty value.

click reads `--out ""` as `Path("")`, which is the current folder: a run, a store or a model would be
written where the user happens to stand. Every path the CLI takes goes through `given_path` instead.
"""

from __future__ import annotations

from pathlib import Path

import typer


def given_path(value: str | Path) -> Path:
    """The path the user typed; an empty or blank one is a usage error (exit code 2)."""
    if isinstance(value, Path):  # a default
        return value
    if not value.strip():
        raise typer.BadParameter("an empty path (name a file or folder; '.' for the current folder)")
    return Path(value)
