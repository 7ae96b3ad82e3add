"""`arc-ttt report`, `arc-ttt validate` and `arc-ttt estimate`: how a run went, how this machine
performs, and whether a training run will fit in memory before it is started."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown

from arc_ttt.application.cli.consoles import err, out, shown
from arc_ttt.application.cli.errors import fail, problem_lines
from arc_ttt.application.cli.paths import given_path
from arc_ttt.domain.errors import ArcTttError

# Each command imports the container, its use cases and adapters inside itself, so that `arc-ttt --help` and
# the other commands start quickly.
TARGETS_GB = (("16 GB GPU", 16.0 * 0.93), ("10 GB target", 10.0))  # a "16 GB" card offers ~14.9 GiB


def report(
    run_dir: Annotated[Path, typer.Argument(parser=given_path,
                                            help="a run folder written by `arc-ttt solve` (finished or not)")],
) -> None:
    """Write report.json, report.md and report.html for a run folder from its results.db."""
    from arc_ttt.application.bootstrap.container import build_container

    try:
        container = build_container()
        render = container.render_report()
        written = render(run_dir)
    except (ValueError, ArcTttError) as exc:
        raise fail(*problem_lines(exc)) from None
    for warning in render.warnings:
        err.print(f"[yellow]warning:[/yellow] {shown(warning)}", highlight=False, soft_wrap=True)
    for path in written:
        out.print(f"report: {path}", highlight=False)


def validate(
    dataset: Annotated[str, typer.Option(help="the benchmark set (a training set)")] = "arc1/training",
    limit: Annotated[int, typer.Option(min=1, help="how many tasks of it")] = 20,
    out_dir: Annotated[Path, typer.Option("--out", parser=given_path,
                                          help="run folder of the benchmark")] = Path("runs/validate"),
    profile: Annotated[str | None, typer.Option(help="hardware profile name, or auto (default: the settings', "
                                                     "auto unless a config or ARC_TTT_HARDWARE__PROFILE names one)")
                       ] = None,
    model: Annotated[str | None, typer.Option(help="also estimate training memory of this model shape")] = None,
    config: Annotated[list[str] | None, typer.Option("--config", help="config overlay name(s)")] = None,
) -> None:
    """Run a short standard benchmark with the default solver and report accuracy, time, memory and fit."""
    from arc_ttt.adapters.datasets.catalog import open_source
    from arc_ttt.adapters.reports.run_report import RunReport
    from arc_ttt.adapters.reports.writers import performance_lines
    from arc_ttt.adapters.system.probes import PsutilHardwareProbe
    from arc_ttt.application.bootstrap.container import build_container
    from arc_ttt.application.config.hardware_profiles import settings_with_profile, training_plan
    from arc_ttt.application.use_cases.solve_batch import SolveRequest
    from arc_ttt.domain.resources.memory_estimate import KNOWN_MODELS, estimate_training_memory

    try:
        settings, why = settings_with_profile(profile, config or (), {}, PsutilHardwareProbe())
        if model is not None and model not in KNOWN_MODELS:
            raise ValueError(f"unknown model {model!r}; known: {', '.join(KNOWN_MODELS)}")
        request = SolveRequest(open_source(dataset=dataset), out_dir, settings.solve.time_budget,
                               settings.solve.task_time_limit, limit=limit)
    except (ValueError, ArcTttError) as exc:
        raise fail(*problem_lines(exc)) from None
    out.print(f"hardware profile: {why}", highlight=False)
    container = build_container(settings)
    if model is not None:
        estimate = estimate_training_memory(KNOWN_MODELS[model], training_plan(settings.hardware))
        container.run_meta.override(
            {**container.run_meta(), "estimate": estimate.to_json()}  # type: ignore[dict-item]
        )
    try:
        outcome = container.solve_batch()(request)
    except (ValueError, ArcTttError) as exc:  # a run folder that is a file or cannot be made, as in solve
        raise fail(*problem_lines(exc)) from None
    summary = container.render_report(report_writers=[]).summary(outcome.out_dir)
    out.print(Markdown("\n".join(performance_lines(RunReport.of(summary)))))
    for path in outcome.reports:
        if path.name.startswith("report"):
            out.print(f"report: {path}", highlight=False)


def estimate(
    model: Annotated[str, typer.Option(help="a known model shape (see the list below)")] = "llama-3.2-1b",
    profile: Annotated[str, typer.Option(help="hardware profile whose training shape and budget to use, or auto")]
    = "gpu-16gb",
    seq_len: Annotated[int | None, typer.Option(help="tokens per sequence (default: the profile's)")] = None,
    batch_size: Annotated[int | None, typer.Option(help="sequences per step (default: the profile's)")] = None,
    quantization: Annotated[str | None, typer.Option(help="none, 8bit or 4bit (default: the profile's)")] = None,
    lora_rank: Annotated[int | None, typer.Option(help="LoRA rank (default: the profile's)")] = None,
    checkpointing: Annotated[bool | None, typer.Option("--checkpointing/--no-checkpointing")] = None,
) -> None:
    """Estimate the peak memory of LoRA training and say whether it fits the profile, 16 GB and 10 GB."""
    from arc_ttt.adapters.system.probes import PsutilHardwareProbe
    from arc_ttt.application.config.hardware_profiles import settings_with_profile, training_plan
    from arc_ttt.domain.resources.hardware import GB
    from arc_ttt.domain.resources.memory_estimate import KNOWN_MODELS, estimate_training_memory

    try:
        if model not in KNOWN_MODELS:
            raise ValueError(f"unknown model {model!r}; known: {', '.join(KNOWN_MODELS)}")
        settings, why = settings_with_profile(profile, (), {}, PsutilHardwareProbe() if profile == "auto" else None)
        plan = training_plan(settings.hardware, seq_len=seq_len, batch_size=batch_size, quantization=quantization,
                             lora_rank=lora_rank, gradient_checkpointing=checkpointing)
    except (ValueError, ArcTttError) as exc:
        raise fail(*problem_lines(exc)) from None
    result = estimate_training_memory(KNOWN_MODELS[model], plan)
    checkpointing_word = "on" if plan.gradient_checkpointing else "off"
    out.print(f"profile {why}: {plan.quantization}, {plan.dtype_bytes}-byte compute, LoRA rank {plan.lora_rank}, "
              f"{plan.batch_size} x {plan.seq_len} tokens, checkpointing {checkpointing_word}", highlight=False)
    for line in result.lines():
        out.print(line, highlight=False)
    budget = settings.hardware.memory_budget_gb
    for label, gb in ((f"profile budget ({budget:g} GB)", budget), *TARGETS_GB):
        verdict = "fits" if result.fits(gb * GB) else "does NOT fit"
        out.print(f"{label:<26} {verdict} (90% of {gb:.1f} GiB)", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(validate)
    app.command()(estimate)
