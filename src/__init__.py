"""arc-ttt: solve ARC tasks with test-time training, program search and augmented voting.

The public Python API is the application layer's use cases; they are imported lazily so that
`import arc_ttt` stays cheap (no torch, no database) until something is actually used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "Settings": "arc_ttt.application.config.settings",
    "load_settings": "arc_ttt.application.config.settings",
    "Container": "arc_ttt.application.bootstrap.container",
    "build_container": "arc_ttt.application.bootstrap.container",
    "SolveBatch": "arc_ttt.application.use_cases.solve_batch",
    "SolveRequest": "arc_ttt.application.use_cases.solve_batch",
    "EvaluateSubmission": "arc_ttt.application.use_cases.evaluate",
    "Grid": "arc_ttt.domain.arc.grid",
    "Task": "arc_ttt.domain.arc.task",
    "Example": "arc_ttt.domain.arc.task",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'arc_ttt' has no attribute {name!r}")
    return getattr(import_module(module), name)
