"""The GPU benchmark script: a clear refusal without CUDA, and a smoke run on a CUDA GPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_ttt.py"


def cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.mark.skipif(cuda(), reason="checks the message given where there is no CUDA device")
def test_without_cuda_it_says_so_and_exits_2() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--smoke"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "needs a CUDA GPU" in done.stderr


@pytest.mark.gpu
@pytest.mark.skipif(not cuda(), reason="needs a CUDA GPU")
def test_smoke_run_on_cuda() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--smoke"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| 8bit |" in done.stdout and "| bf16 |" in done.stdout
