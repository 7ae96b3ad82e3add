"""The memory estimator benchmark runs end to end on a tiny case (a real model, a few seconds)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "memory_estimator.py"


@pytest.mark.slow
def test_one_tiny_case_writes_its_section(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Other\n\nkept\n")
    done = subprocess.run([sys.executable, str(SCRIPT), "--seq-len", "128", "--batch", "1", "--steps", "1",
                           "--write", str(doc)], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    text = doc.read_text()
    assert "## Other\n\nkept" in text and "## Memory estimator" in text
    row = next(line for line in text.splitlines() if line.startswith("| tiny-cpu | cpu | none | 1 x 128"))
    ratio = float(row.split("|")[9])
    assert 0.3 < ratio < 3.0  # the estimate is in the right range, not exact: the tensors are small here
