import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "arc_ttt", *args]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"COLUMNS": "120", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    env = {k: v for k, v in env.items() if not k.startswith("ARC_TTT_")}
    return env


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cli_command(*args), capture_output=True, text=True, timeout=timeout,
                              env=cli_env(), cwd=tmp_path)

    return run
