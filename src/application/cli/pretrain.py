"""`arc-ttt pretrain`: train a small model from scratch on ARC training tasks, resumably."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from arc_ttt.application.cli.paths import given_path
from arc_ttt.application.cli.signals import stop_on_terminate
from arc_ttt.domain.ttt.pretraining import PretrainProgress


class RichPretrainProgress:
    """Tokens seen against the token budget, with loss, learning rate and tokens per second."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress = Progress(TextColumn("[bold]pretraining {task.description}"), BarColumn(),
                                  TextColumn("{task.fields[tokens]}"), TextColumn("{task.fields[info]}"),
                                  TimeElapsedColumn(), console=console)
        self._id: int | None = None
        self._start_tokens = 0

    def started(self, total_tokens: int, tokens_seen: int, description: str) -> None:
        if tokens_seen:
            self.console.print(f"resuming at {tokens_seen:,} tokens seen")
        self._start_tokens = tokens_seen
        self._progress.start()
        self._id = self._progress.add_task(description, total=total_tokens, completed=tokens_seen,
                                           tokens=f"{tokens_seen / 1e6:.2f}M tok", info="")

    def stepped(self, progress: PretrainProgress, learning_rate: float) -> None:
        assert self._id is not None
        elapsed = self._progress.tasks[0].elapsed or 1e-9
        speed = (progress.tokens_seen - self._start_tokens) / elapsed
        loss = f"{progress.last_loss:.3f}" if progress.last_loss is not None else "-"
        self._progress.update(self._id, completed=progress.tokens_seen, tokens=f"{progress.tokens_seen / 1e6:.2f}M tok",
                              info=f"loss {loss}  lr {learning_rate:.2e}  {speed:,.0f} tok/s")

    def saved(self, directory: Path) -> None:
        self._progress.console.print(f"saved {directory}", highlight=False)

    def finished(self) -> None:
        self._progress.stop()


def pretrain(
    out_dir: Annotated[Path, typer.Option("--out", parser=given_path,
                                          help="model folder; rerun with the same folder to resume")],
    size: Annotated[str | None, typer.Option(help="tiny | small | medium (default: the folder's, else small)")] = None,
    minutes: Annotated[float, typer.Option(min=0, help="wall budget of this run")] = 10.0,
    tokens: Annotated[int, typer.Option(min=1, help="token budget, all runs (schedule horizon)")] = 200_000_000,
    batch_size: Annotated[int, typer.Option(min=1, help="episodes per optimizer step")] = 8,
    lr: Annotated[float, typer.Option(min=0, help="peak learning rate (linear warmup, then cosine)")] = 1e-3,
    warmup_tokens: Annotated[int, typer.Option(min=0, help="tokens of linear warmup")] = 2_000_000,
    seed: Annotated[int, typer.Option(help="initialisation and data-stream seed, 0 <= seed < 2**63")] = 0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    max_length: Annotated[int | None, typer.Option(min=64, help="tokens per episode (default 2048)")] = None,
    save_every: Annotated[float, typer.Option(min=0, help="minutes between checkpoints")] = 5.0,
    max_steps: Annotated[int | None, typer.Option(min=0, help="stop after this many steps in this run")] = None,
    threads: Annotated[int | None, typer.Option(min=1, help="torch CPU threads")] = None,
    generated_share: Annotated[float, typer.Option(min=0, max=1, help="fraction of episodes from generated tasks")
                               ] = 0.0,
    generated_side: Annotated[str, typer.Option(
        help="any | seen | held-parameters | held-families: the side of the generators' held-out split the generated "
             "tasks come from (seen: a TTT benchmark's pretraining)")] = "any",
    generated_max_side: Annotated[int | None, typer.Option(min=3, help="cap on generated grids' sides")] = None,
    length_groups: Annotated[int, typer.Option(min=1, help="batches drawn together and grouped by length, so "
                                               "that a batch pads little (1: stream order)")] = 8,
    smoke: Annotated[bool, typer.Option(help="a CPU check: tiny model, 3 steps of 2 short episodes")] = False,
) -> None:
    """Train a small Llama-architecture model from scratch on ARC training tasks (never an evaluation
    task), loss on output grids only. The folder loads with --model DIR."""
    # imported here, not at the top, so that `arc-ttt --help` and the other commands start quickly
    from arc_ttt.adapters.models.model_loading import SIZES
    from arc_ttt.application.bootstrap.container import build_tool_container
    from arc_ttt.application.cli.consoles import out
    from arc_ttt.application.cli.errors import fail, problem_lines
    from arc_ttt.application.cli.ttt import checked_seed
    from arc_ttt.application.use_cases.pretrain import PretrainRequest
    from arc_ttt.domain.errors import ArcTttError

    if size is not None and size not in SIZES:
        raise fail(f"unknown size {size!r}; known: {', '.join(SIZES)}")
    if out_dir.exists() and not out_dir.is_dir():
        raise fail(f"{out_dir} exists and is not a folder")
    checked_seed(seed)
    from arc_ttt.domain.arc.generators import SIDES

    if generated_side not in SIDES:
        raise fail(f"unknown --generated-side {generated_side!r}; known: {', '.join(SIDES)}")
    if threads:
        import torch  # heavy: imported only to set its threads

        torch.set_num_threads(threads)
    if smoke:
        size, device, batch_size, max_length = size or "tiny", "cpu", 2, max_length or 512
        max_steps = 3 if max_steps is None else max_steps
        warmup_tokens = min(warmup_tokens, 1000)
    request = PretrainRequest(out=out_dir, size=size, minutes=minutes, tokens=tokens, batch_size=batch_size,
                              learning_rate=lr, warmup_tokens=warmup_tokens, seed=seed, device=device,
                              max_length=max_length, save_every_minutes=save_every, max_steps=max_steps,
                              max_demonstrations=3 if smoke else 8, generated_share=generated_share,
                              generated_side=generated_side,  # type: ignore[arg-type]  # checked against SIDES
                              generated_max_side=generated_max_side, length_groups=length_groups)
    stop_on_terminate()
    use_case = build_tool_container().pretrain(progress=RichPretrainProgress(out))  # pretraining reads no settings
    try:
        outcome = use_case(request)
    except (ValueError, ArcTttError) as exc:
        raise fail(*problem_lines(exc)) from None
    p = outcome.progress
    loss = f"{p.last_loss:.4f}" if p.last_loss is not None else "none"
    out.print(
        f"{outcome.stop_reason}: {outcome.tokens_this_run:,} tokens in {outcome.seconds_this_run:.0f}s this run; "
        f"{p.tokens_seen:,} tokens seen in {p.steps} steps over {p.runs} run(s); last loss {loss}; "
        f"{outcome.pool_size} training tasks ({outcome.excluded} left out: evaluation ids or pairs, too few pairs); "
        f"{outcome.parameters / 1e6:.2f}M parameters; saved to {out_dir}", highlight=False)
