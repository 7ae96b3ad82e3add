"""The command line's consoles: one for results (stdout), one for errors, warnings and notes (stderr).
stderr soft-wraps, so that an error or warning stays one line however narrow the terminal."""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console


class _KeepGoingConsole(Console):
    """A console whose reader may go away (`arc-ttt solve ... | head`) without stopping the command: rich's
    default exits with status 1 on a broken pipe, which would end a batch before its submission is written.
    Here the rest of that stream's output goes to the null device and the work goes on."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self.file.fileno())
        os.close(devnull)


def console(*, stderr: bool = False, **options: Any) -> Console:
    return _KeepGoingConsole(stderr=stderr, **options)


out = console()
err = console(stderr=True, soft_wrap=True)
