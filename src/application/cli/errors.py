"""How the command line words an error the user can fix: one line per problem, never a traceback."""

from __future__ import annotations


def problem_lines(exc: BaseException) -> list[str]:
    """Every problem of a ConfigError (each bad setting is its own line, naming its file or variable); for
    any other error its first line, since later lines are detail (pydantic's, SQLAlchemy's) that would
    bury it, or its type's name when it has no message."""
    from arc_ttt.application.settings import ConfigError

    if isinstance(exc, ConfigError) and exc.problems:
        return list(exc.problems)
    text = str(exc)
    return [text.splitlines()[0] if text.strip() else type(exc).__name__]
