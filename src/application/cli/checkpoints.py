"""`arc-ttt checkpoints ...`: look after the stored TTT adapters. Exit codes: 0 done, 1 verify found
problems, 2 bad usage or unusable input.

Names, tags, reasons and paths come from the store or an imported archive, so they are printed as text,
never read as rich markup: a base model called "[/red]" would otherwise stop `show` with a MarkupError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from arc_ttt.application.cli.consoles import err, out, shown
from arc_ttt.application.cli.errors import fail, problem_lines
from arc_ttt.application.cli.paths import given_path

if TYPE_CHECKING:
    from arc_ttt.adapters.storage.checkpoints.repository import SqlCheckpointRepository
    from arc_ttt.application.bootstrap.container import Container
    from arc_ttt.application.config.settings import CheckpointSettings, Settings
    from arc_ttt.domain.checkpoints.ports import CheckpointInfo

# Each command imports the container, its use cases and adapters inside itself, so that `arc-ttt --help` and
# the other commands start quickly.
app = typer.Typer(add_completion=False, no_args_is_help=True, help="List, verify, clean up, export and import "
                  "the stored TTT adapters.")

EXIT_PROBLEMS = 1


@dataclass
class _Options:
    root: Path | None = None
    url: str | None = None
    config: tuple[str, ...] = ()


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Bad input, a damaged store or an unreachable database: one line and exit code 2, no traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from arc_ttt.domain.errors import ArcTttError, message_line

    try:
        yield
    except typer.Exit:
        raise
    except (ValueError, ArcTttError, OSError) as exc:
        raise fail(*problem_lines(exc)) from None
    except SQLAlchemyError as exc:
        raise fail(f"checkpoint database: {message_line(exc)}") from None


def _container(ctx: typer.Context) -> Container:
    """The composition root for the store the options and config name (--root and --url over the settings)."""
    from arc_ttt.application.bootstrap.container import build_tool_container
    from arc_ttt.application.config.settings import load_settings

    options: _Options = ctx.obj
    section: dict[str, object] = {}
    if options.root is not None:
        section["root"] = options.root
    if options.url is not None:
        section["url"] = options.url
    return build_tool_container(load_settings(options.config, checkpoints=section))


def _settings(container: Container) -> CheckpointSettings:
    settings: Settings = container.settings()
    return settings.checkpoints


def _repository(container: Container) -> SqlCheckpointRepository:
    """The configured store, which must exist: a typo in --root should not make a new store (only `import`
    makes one, through the container's `import_checkpoints`)."""
    from arc_ttt.adapters.storage.checkpoints.repository import CheckpointStoreMissingError

    try:
        return container.checkpoint_store()
    except CheckpointStoreMissingError as exc:
        raise fail(str(exc)) from None


def _task_id(task: str) -> str:
    from arc_ttt.domain.arc.task import check_task_id

    return check_task_id(task, origin="task")


def _task_ids(tasks: list[str] | None) -> list[str] | None:
    return [_task_id(t) for t in tasks] if tasks else None


@app.callback()
def _common(
    ctx: typer.Context,
    root: Annotated[Path | None, typer.Option(parser=given_path,
                                              help="store folder (default from settings: checkpoints)")] = None,
    url: Annotated[str | None, typer.Option(help="SQLAlchemy URL of the metadata database")] = None,
    config: Annotated[list[str] | None, typer.Option("--config", help="config overlay name(s)")] = None,
) -> None:
    ctx.obj = _Options(root, url, tuple(config or ()))


def _table(infos: list[CheckpointInfo], title: str) -> Table:
    from arc_ttt.application.config.sizes import format_size

    table = Table(title=shown(title))
    for column in ("task", "version", "base model", "metrics", "tags", "size", "created"):
        table.add_column(column, justify="right" if column in ("version", "size") else "left")
    for i in infos:
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(i.metrics.items()))
        cells = (i.task_id, str(i.version), i.base_model, metrics, ", ".join(i.tags), format_size(i.size_bytes),
                 i.created_at[:19])
        table.add_row(*(Text(cell) for cell in cells))
    return table


@app.command("list")
def list_checkpoints(
    ctx: typer.Context,
    task: Annotated[str | None, typer.Option(help="only this task")] = None,
    model: Annotated[str | None, typer.Option(help="only adapters of this base model")] = None,
    tag: Annotated[str | None, typer.Option(help="only adapters with this tag")] = None,
    best: Annotated[bool, typer.Option(help="only the best version of each task")] = False,
    metric: Annotated[str | None, typer.Option(help="what --best means (default from settings)")] = None,
    lower_is_better: Annotated[bool, typer.Option(help="the metric is a loss: smaller is better")] = False,
) -> None:
    """List stored adapters, oldest version first."""
    from arc_ttt.domain.checkpoints.policy import best_of

    with _one_line_errors():
        container = _container(ctx)
        settings = _settings(container)
        repository = _repository(container)
        infos = repository.find(_task_id(task) if task else None, base_model=model, tag=tag)
        if best:
            by_task: dict[str, list[CheckpointInfo]] = {}
            for info in infos:
                by_task.setdefault(info.task_id, []).append(info)
            higher = False if lower_is_better else settings.higher_is_better
            chosen = (best_of(v, metric or settings.metric, higher_is_better=higher) for v in by_task.values())
            infos = [i for i in chosen if i is not None]
    out.print(_table(infos, f"{len(infos)} checkpoints in {settings.root}"))


@app.command()
def show(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(help="task id")],
    version: Annotated[int | None, typer.Option(min=1, help="which version (default: the latest)")] = None,
) -> None:
    """Everything recorded about one adapter."""
    import json

    with _one_line_errors():
        repository = _repository(_container(ctx))
        task = _task_id(task)
        info = repository.get(task, version) if version else repository.latest(task)
        if info is None:
            raise fail(f"no checkpoint for task {task!r}" + (f" version {version}" if version else ""))
        path = repository.files.path(info.task_id, info.version)
    rows = {name: str(getattr(info, name)) for name in ("task_id", "version", "base_model", "base_model_hash",
                                                          "created_at", "size_bytes", "sha256")}
    rows["lora_config"] = json.dumps(dict(info.lora_config), sort_keys=True)
    rows["metrics"] = json.dumps(dict(info.metrics), sort_keys=True)
    rows["tags"] = ", ".join(info.tags)
    rows["file"] = str(path)
    for name, value in rows.items():  # plain lines: a hash or a path is never cut short
        out.print(f"{name + ':':<16} {value}", highlight=False, soft_wrap=True, markup=False)


@app.command()
def verify(
    ctx: typer.Context,
    task: Annotated[str | None, typer.Option(help="only this task")] = None,
    remove_strays: Annotated[bool, typer.Option(help="delete stray files older than --grace")] = False,
    grace: Annotated[str, typer.Option(help="age a stray must have before removal, e.g. 1h")] = "1h",
) -> None:
    """Hash every adapter file; report corrupted and missing files and stray files that no row accounts for.
    Exit code 1 when anything is wrong (strays that were removed do not count)."""
    from arc_ttt.application.config.durations import parse_duration

    with _one_line_errors():
        repository = _repository(_container(ctx))
        task_id = _task_id(task) if task else None
        grace_seconds = parse_duration(grace)
        report = repository.verify(task_id)
        removed = repository.remove_strays(older_than_seconds=grace_seconds, task_id=task_id) if remove_strays else []
    gone = {stray.path for stray in removed}
    for info, reason in report.corrupted:
        out.print(f"corrupted: task {info.task_id} v{info.version}: {reason}", highlight=False, soft_wrap=True,
                  markup=False)
    for info in report.missing:
        out.print(f"missing: task {info.task_id} v{info.version}: file not found", highlight=False, soft_wrap=True)
    for stray in report.stray:
        label = "removed stray" if stray.path in gone else "stray"
        out.print(f"{label}: {stray.path}: {stray.reason}", highlight=False, soft_wrap=True, markup=False)
    out.print(f"{report.checked} checkpoints checked: {len(report.corrupted)} corrupted, {len(report.missing)} "
              f"missing, {len(report.stray)} stray files ({len(removed)} removed)", highlight=False, soft_wrap=True)
    if report.corrupted or report.missing or len(report.stray) > len(gone):
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def cleanup(
    ctx: typer.Context,
    keep_best: Annotated[int | None, typer.Option(min=1, help="versions to keep per task")] = None,
    max_size: Annotated[str | None, typer.Option(help="stay under this total, e.g. 20GB")] = None,
    metric: Annotated[str | None, typer.Option(help="what 'best' means (default from settings)")] = None,
    lower_is_better: Annotated[bool, typer.Option(help="the metric is a loss: smaller is better")] = False,
    task: Annotated[list[str] | None, typer.Option("--task", help="only these tasks")] = None,
    dry_run: Annotated[bool, typer.Option(help="say what would go, delete nothing")] = False,
) -> None:
    """Delete all but the best versions of each task, and stay under a size cap; never a task's best."""
    from arc_ttt.application.config.sizes import format_size, parse_size
    from arc_ttt.domain.checkpoints.policy import CleanupPolicy

    with _one_line_errors():
        container = _container(ctx)
        settings = _settings(container)
        policy = CleanupPolicy(
            metric=metric or settings.metric,
            higher_is_better=False if lower_is_better else settings.higher_is_better,
            keep_best=keep_best if keep_best is not None else settings.keep_best,
            max_total_bytes=parse_size(max_size) if max_size is not None else settings.max_total_size,
        )
        outcome = container.cleanup_checkpoints(repository=_repository(container))(policy, _task_ids(task),
                                                                                    dry_run=dry_run)
    plan = outcome.plan
    verb = "would delete" if dry_run else "deleted"
    for info in plan.delete:
        out.print(f"{verb}: task {info.task_id} v{info.version} ({format_size(info.size_bytes)})",
                  highlight=False, soft_wrap=True)
    out.print(f"{verb} {len(plan.delete)} checkpoints, kept {len(plan.keep)}: {format_size(plan.bytes_before)} -> "
              f"{format_size(plan.bytes_after)}", highlight=False, soft_wrap=True)
    if not plan.cap_met:
        err.print(f"note: still over the size cap; only the best version of each task remains where needed "
                  f"({format_size(plan.bytes_after)} kept)", highlight=False, soft_wrap=True)


@app.command("export")
def export_archive(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="the .tar (or .tar.gz) file to write", parser=given_path)],
    task: Annotated[list[str] | None, typer.Option("--task", help="only these tasks (default: all)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing archive file (never anything "
                                        "but a regular file, nor a file of the store)")] = False,
) -> None:
    """Write the adapters of some tasks, with a manifest of their metadata and hashes, to one archive.
    An existing file is refused unless --force; a path inside the store always is."""
    with _one_line_errors():
        container = _container(ctx)
        report = container.export_checkpoints(repository=_repository(container), path=archive,
                                              task_ids=_task_ids(task), overwrite=force)
    for info, reason in report.skipped:
        err.print(f"[yellow]left out:[/yellow] {shown(reason)} (task {info.task_id} v{info.version})",
                  highlight=False, soft_wrap=True)
    for task_id in report.unknown_tasks:
        err.print(f"[yellow]note:[/yellow] no checkpoints stored for task {task_id}", highlight=False, soft_wrap=True)
    out.print(f"exported {len(report.exported)} checkpoints to {report.path}", highlight=False, soft_wrap=True,
              markup=False)


@app.command("import")
def import_archive(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="an archive written by `checkpoints export`", parser=given_path)],
    force: Annotated[bool, typer.Option("--force", help="replace versions that are already stored")] = False,
) -> None:
    """Check every member and hash of an archive, then store its adapters under their own versions.
    Versions already stored are reported and skipped unless --force."""
    with _one_line_errors():
        # the store is opened (and made, in a new root) only once the archive has passed its checks
        report = _container(ctx).import_checkpoints(archive, overwrite=force)
    for outcome in report.outcomes:
        if outcome.action == "skipped":
            err.print(f"[yellow]skipped:[/yellow] task {outcome.info.task_id} v{outcome.info.version}: "
                      f"{shown(outcome.reason)}", highlight=False, soft_wrap=True)
    out.print(f"imported {report.count('added')} checkpoints, replaced {report.count('replaced')}, "
              f"skipped {report.count('skipped')}", highlight=False, soft_wrap=True)
