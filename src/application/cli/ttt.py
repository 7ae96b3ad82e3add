"""`arc-ttt init-model`: a small randomly initialised model folder, so the TTT path runs without downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arc_ttt.application.cli.paths import given_path


def checked_seed(seed: int) -> int:
    """A `--seed` the model code accepts (`check_seed`), or the usage error naming the option."""
    from arc_ttt.adapters.models.model_loading import check_seed
    from arc_ttt.application.cli.errors import fail

    try:
        return check_seed(seed)
    except ValueError as exc:
        raise fail(f"--{exc}") from None


def init_model(
    directory: Annotated[Path, typer.Argument(parser=given_path,
                                              help="folder to write (config, safetensors weights, tokenizer)")],
    size: Annotated[str, typer.Option(help="tiny | small | medium (Llama architecture)")] = "tiny",
    seed: Annotated[int, typer.Option(help="initialisation seed, 0 <= seed < 2**63")] = 0,
    force: Annotated[bool, typer.Option(help="write into a folder that is not empty")] = False,
) -> None:
    """Write a small Llama-architecture model with the project's grid tokenizer, randomly initialised."""
    from arc_ttt.adapters.models.model_loading import SIZES
    from arc_ttt.adapters.models.model_loading import init_model as write_model
    from arc_ttt.application.cli.consoles import out
    from arc_ttt.application.cli.errors import fail

    if size not in SIZES:
        raise fail(f"unknown size {size!r}; known: {', '.join(SIZES)}")
    checked_seed(seed)
    if directory.exists() and not directory.is_dir():
        raise fail(f"{directory} exists and is not a folder")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise fail(f"{directory} is not empty (use --force to write into it)")
    try:
        write_model(directory, size=size, seed=seed)
    except OSError as exc:  # a parent that is a file, no permission, a full disk
        raise fail(f"cannot write a model to {directory}: {exc.strerror or exc}") from None
    out.print(f"wrote a {size} model to {directory} (use: arc-ttt solve --solver ttt --model {directory})")
