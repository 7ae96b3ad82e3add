"""How long-running commands hear that they should stop."""

from __future__ import annotations

import signal


def stop_on_terminate() -> None:
    """SIGTERM (a scheduler ending the job, `timeout`, `kill`) stops like Ctrl-C: the run saves what it has,
    writes its outputs, then exits. Background jobs of a non-interactive shell ignore SIGINT, so this is the
    signal that reaches them."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
