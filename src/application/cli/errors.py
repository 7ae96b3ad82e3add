"""How the command line words an error the user can fix: one line per problem, never a traceback."""

from __future__ import annotations

import typer

from arc_ttt.application.cli.consoles import err, shown
from arc_ttt.domain.errors import message_line

EXIT_USAGE = 2


def fail(*messages: str) -> typer.Exit:
    """Print each message as an `error:` line (as text, never as markup); the caller raises the exit (code 2)
    this returns."""
    for message in messages:
        err.print(f"[red]error:[/red] {shown(message)}", highlight=False)
    return typer.Exit(EXIT_USAGE)


def problem_lines(exc: BaseException) -> list[str]:
    """Every problem of a ConfigError (each bad setting is its own line, naming its file or variable); for
    any other error its first line, since later lines are detail (pydantic's, SQLAlchemy's) that would
    bury it, or its type's name when it has no message."""
    from arc_ttt.application.config.settings import ConfigError

    if isinstance(exc, ConfigError) and exc.problems:
        return list(exc.problems)
    return [message_line(exc)]
