"""`python -m arc_ttt` runs the command-line interface."""

from arc_ttt.application.cli.entry import run

if __name__ == "__main__":
    run()
