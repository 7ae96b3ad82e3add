"""What every benchmark writes next to its figures: the machine it ran on, and its own section of
docs/benchmarks.md (replaced in place; the other sections stay as they are)."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def machine(threads: int) -> str:
    """CPU model, cores, torch threads and load: the figures only mean something next to these."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return (f"{model}, {os.cpu_count()} cores, torch {torch.__version__} with {threads} thread(s), "
            f"load average {os.getloadavg()[0]:.1f} at the start (a shared machine is slower)")


def write_section(title: str, body: str, path: Path = DOCS) -> None:
    """Replace the section that starts with `title` (up to the next `## `), or append it."""
    section = f"{title}\n\n{body.strip()}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
