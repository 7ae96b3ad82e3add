"""Reading one configuration file: a YAML mapping, or a ConfigError that names the file and what is wrong.

Its own module because both the settings (configs/*.yaml, configs/hardware/) and the TTT presets
file read files this way, and the presets model is a part of the settings model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from arc_ttt.domain.errors import ArcTttError, message_line


class ConfigError(ArcTttError, ValueError):
    """Settings that cannot be used: a config file that is not YAML, or values that do not validate.

    It holds one line per problem, `source: key: what` (source: the file or ARC_TTT_* variable the value
    came from), because pydantic's own summary ("1 validation error for Settings") names neither the key
    nor the file, and the command line prints only one line of an ordinary error."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping (empty when the file does not exist). `yaml.safe_load` never builds Python objects, so a
    tag like `!!python/object/apply` is refused, not run; anything unreadable is a ConfigError naming the file."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not valid YAML: not UTF-8 text (byte {exc.start}: {exc.reason})"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {yaml_problem(exc)}"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping at the top level, got {type(data).__name__}"])
    odd = [key for key in data if not isinstance(key, str)]
    if odd:
        raise ConfigError([f"{path}: top-level key {odd[0]!r} is not a section name"])
    return data


def yaml_problem(exc: yaml.YAMLError) -> str:
    """The first line of what PyYAML found wrong, with where it found it (its own first line is often only
    the context, e.g. "while parsing a flow sequence")."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if not problem:
        return message_line(exc)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem.splitlines()[0]}{where}"
