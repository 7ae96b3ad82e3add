"""The console script's first code (`arc-ttt`, `python -m arc_ttt`): stop signals are heard from here on,
before the command line's imports, which take a second or more. A signal in that second used to end the
process with the shell's 143 and no word."""

from __future__ import annotations

import sys

from arc_ttt.application.cli.signals import (
    EXIT_INTERRUPTED,
    NOTHING_WRITTEN,
    ignore_stop_signals,
    stop_on_signals,
)


def run() -> None:
    stop_on_signals()
    try:
        # deferred: this module exists to run before these imports (typer, rich, the settings)
        from arc_ttt.application.cli.main import run as run_command

        run_command()
    except KeyboardInterrupt:  # the commands that write hear their own; this one came before a command ran
        sys.stderr.write(NOTHING_WRITTEN + "\n")
        sys.exit(EXIT_INTERRUPTED)
    finally:
        # The command has ended and said so. CPython puts back the default action of every signal a Python
        # function handles while it shuts down, so a stop signal from here on would kill the process with no word
        # and the signal's status instead of the command's; ignored, it changes nothing and the exit code stands.
        ignore_stop_signals()
