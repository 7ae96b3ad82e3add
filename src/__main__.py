"""`python -m arc_ttt` runs the command-line interface."""

import atexit
import os
import sys

from arc_ttt.application.cli.entry import run
from arc_ttt.application.cli.signals import EXIT_INTERRUPTED

if __name__ == "__main__":
    try:
        run()
    except SystemExit as exc:
        if exc.code != EXIT_INTERRUPTED:
            raise
        # CPython 3.11 run with -m remembers a KeyboardInterrupt raised inside exec'd source (a dataclass being
        # made while a module imports) as unhandled even after it was caught, and would end the process by
        # SIGINT (-2) instead of the 130 the command chose. Finish the way the interpreter would, then leave.
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
