"""What the TTT speed benchmarks write next to their figures: the machine they ran on, and their own
section of docs/benchmarks.md (through `docs_section.replace_section`; other sections stay)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs_section import replace_section


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


def write_section(title: str, body: str) -> None:
    """Replace the section headed `title` with `body` under that heading, or append it."""
    replace_section(title, f"{title}\n\n{body.strip()}\n")
