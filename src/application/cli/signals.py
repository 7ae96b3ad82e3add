"""How long-running commands hear that they should stop."""

from __future__ import annotations

import signal

EXIT_INTERRUPTED = 130
NOTHING_WRITTEN = "interrupted before the command started; nothing was written"


def stop_on_signals() -> None:
    """SIGTERM (a scheduler ending the job, `timeout`, `kill`) and SIGINT (Ctrl-C) stop the command where it
    is, as a KeyboardInterrupt: a run then saves what it has, writes its outputs and exits with 130.
    Background jobs of a non-interactive shell ignore SIGINT, so SIGTERM is the signal that reaches them.

    The first signal interrupts; the ones after it are ignored, so that a run's ending (reading what is
    finished, writing the submission) is not cut short by an impatient second Ctrl-C or a scheduler that
    signals twice; `kill -9` still ends the process at once. Installed by the console script before anything
    else it does (`entry.run`), so that a signal at startup is heard too."""

    def interrupt(signum: int, frame: object) -> None:
        ignore_stop_signals()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


def ignore_stop_signals() -> None:
    """SIGINT and SIGTERM change nothing from here on (every thread, and through the interpreter's shutdown,
    which puts back the default action only of signals a Python function handles)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_on_terminate() -> None:
    """Kept for commands run without the console script (tests calling the typer app in-process): SIGTERM
    stops like Ctrl-C, unless `stop_on_signals` already decided how signals are heard."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        stop_on_signals()
