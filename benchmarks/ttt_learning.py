"""Does test-time training learn? A benchmark sized for a CPU, on generated tasks whose rule parameters
(or whole rule families) the model never saw in pretraining.

1. Pretrain (or resume) a small model with `arc-ttt pretrain` on generated tasks from the *seen* side of
   the generators' held-out split only (src/domain/arc/generators.py), into a folder under runs/.
2. Draw n tasks from a held-out side (`held-parameters`: new symmetry classes, color-map sizes, shift
   offsets, scale factors, combinations of two rules; `held-families`: families never pretrained on;
   `seen`: in-distribution, a sanity row) and solve each two ways through the product's own service,
   same views: without TTT (a zero-step policy: augmented inference + vote on the pretrained model)
   and with TTT (the MIT-TTT strategy and a per-task LoRA).
3. Print pass@2 both ways, the paired difference with a 95% paired-bootstrap interval over tasks, the
   mean exact-cell accuracy of the first attempt (a finer reading when pass@2 is near 0), seconds per
   task and training tokens. `--write` replaces the "## Test-time learning" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/ttt_learning.py --model runs/ttt/small3g --max-side 3 --max-length 512 \
        --tasks 100 --steps 100 --lr 3e-3 --loss-on query --augmentations 16 --examples 64 --no-colors \
        --sides held-parameters held-families seen --write

(the model folder pretrained first with the `arc-ttt pretrain` commands in docs/benchmarks.md, "Test-time
learning: measured"; with `--pretrain-minutes N` the script runs or resumes a pretraining of its own first).

Only demonstrations are ever trained on; the test outputs are used only to score.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

SECTION = "## Test-time learning: measured"
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Tally:
    """Per-task scores of one way of solving, kept in task order so two ways can be paired."""

    solved: list[float] = field(default_factory=list)
    cells: list[float] = field(default_factory=list)
    seconds: float = 0.0
    train_tokens: int = 0
    predictions: int = 0


def cell_accuracy(predicted: Any, truth: Any) -> float:
    """Share of the true output's cells the prediction gets right; 0 for a missing or wrongly sized one."""
    if predicted is None or (predicted.height, predicted.width) != (truth.height, truth.width):
        return 0.0
    same = sum(a == b for ra, rb in zip(predicted.rows, truth.rows) for a, b in zip(ra, rb))
    return same / (truth.height * truth.width)


def held_out_tasks(side: str, count: int, max_side: int, seed: int) -> list[Any]:
    """`count` generated tasks from `side`, a pure function of the seed (not the pretraining's stream)."""
    from arc_ttt.domain.arc.generators import Split, generate

    return [generate(random.Random(f"ttt-learning:{seed}:{side}:{k}"), split=Split(side, max_side))  # type: ignore[arg-type]
            for k in range(count)]


def pretrain(args: argparse.Namespace) -> None:
    """Run (or resume) `arc-ttt pretrain` on the seen side; resumable because the CLI is."""
    command = [str(ROOT / ".venv" / "bin" / "arc-ttt"), "pretrain", "--out", args.model, "--size", args.size,
               "--minutes", str(args.pretrain_minutes), "--tokens", str(args.pretrain_tokens),
               "--warmup-tokens", str(args.pretrain_tokens // 30), "--batch-size", "8", "--lr", str(args.pretrain_lr),
               "--max-length", str(args.max_length), "--save-every", "3", "--threads", str(args.threads),
               "--device", "cpu", "--generated-share", "1.0", "--generated-side", "seen",
               "--generated-max-side", str(args.max_side), "--seed", str(args.seed)]
    print(" ".join(command[1:]), flush=True)
    subprocess.run(command, check=True)


def ways(args: argparse.Namespace) -> dict[str, Any]:
    """Each way of solving, by name, all through the product's TTTModelService on one backend (the model is
    loaded once for every side): `none` (zero steps: augmented inference + vote), `ttt` (MIT-TTT), and
    `ttt+<technique>` for each technique asked for (the same TTT with that technique switched on through its
    `ttt.techniques` setting)."""
    from dataclasses import replace

    from pretrained_eval import services, ttt_settings

    from arc_ttt.adapters.system.clock import MonotonicClock
    from arc_ttt.application.bootstrap import ttt_wiring
    from arc_ttt.domain.ttt.service import TTTModelService

    backend, strategy, per_task, untrained, options = services(args.model, args, args.max_length)
    clock = MonotonicClock()
    found = {"none": TTTModelService(backend, strategy, untrained, clock, options=options),
             "ttt": TTTModelService(backend, strategy, per_task, clock, options=options)}
    for name in args.techniques:
        switched = replace(ttt_wiring.service_options(ttt_settings(args, args.max_length, (name,))),
                           save_adapters=False)
        found[f"ttt+{name}"] = TTTModelService(backend, strategy, per_task, clock, options=switched)
    return found


def evaluate(args: argparse.Namespace, side: str, services: dict[str, Any]) -> tuple[list[Any], dict[str, Tally]]:
    import torch

    from arc_ttt.domain.arc.attempts import choose_attempts
    from arc_ttt.domain.arc.scoring import task_score

    torch.manual_seed(args.seed)
    tasks = held_out_tasks(side, args.tasks, args.max_side, args.seed)
    tallies = {way: Tally() for way in services}
    for index, task in enumerate(tasks):
        for way, service in services.items():
            start = time.monotonic()
            solution = service.solve(task.without_solutions(), args.task_seconds)
            tally = tallies[way]
            tally.seconds += time.monotonic() - start
            attempts = choose_attempts(task, solution)
            truths = task.solutions() or ()
            tally.solved.append(task_score([a.grids for a in attempts], truths))
            firsts = [a.grids[0] if a.grids else None for a in attempts]
            tally.cells.append(sum(cell_accuracy(p, t) for p, t in zip(firsts, truths)) / max(1, len(truths)))
            note = solution.notes
            training = note.training if note is not None else None
            tally.train_tokens += training.train_tokens if training is not None else 0
            tally.predictions += note.predictions if note is not None else 0
        # one line per task, so that a run stopped early still leaves its paired scores
        scores = ", ".join(f"{way} {tallies[way].solved[-1]:g}/{tallies[way].cells[-1]:.2f}" for way in tallies)
        print(f"{side} {index + 1}/{len(tasks)} {task.id}: {scores}", flush=True)
    return tasks, tallies


def points(diff: float, low: float, high: float) -> str:
    """A paired difference of pass@2 shares in points, with its interval."""
    return f"{100 * diff:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"


def row(side: str, tasks: list[Any], tallies: dict[str, Tally]) -> str:
    from arc_ttt.domain.solving.statistics import paired_difference

    n = len(tasks)
    none, ttt = tallies["none"], tallies["ttt"]
    diff, low, high = paired_difference(ttt.solved, none.solved)
    cells, cell_low, cell_high = paired_difference(ttt.cells, none.cells)
    gained = sum(a > b for a, b in zip(ttt.solved, none.solved))
    lost = sum(a < b for a, b in zip(ttt.solved, none.solved))
    return (f"| {side} | {n} | {100 * sum(none.solved) / n:.1f}% | {100 * sum(ttt.solved) / n:.1f}% | "
            f"{points(diff, low, high)} | {gained} / {lost} | "
            f"{sum(none.cells) / n:.3f} / {sum(ttt.cells) / n:.3f} "
            f"({cells:+.3f} [{cell_low:+.3f}, {cell_high:+.3f}]) | "
            f"{none.seconds / n:.1f} / {ttt.seconds / n:.1f} | {ttt.train_tokens // n:,} |")


def strategy_row(side: str, way: str, tallies: dict[str, Tally]) -> str:
    """One technique against plain TTT on the same tasks: pass@2, its paired difference, seconds, tokens, views."""
    from arc_ttt.domain.solving.statistics import paired_difference

    base, tried = tallies["ttt"], tallies[way]
    n = len(base.solved)
    diff, low, high = paired_difference(tried.solved, base.solved)
    return (f"| {side} | {way.removeprefix('ttt+')} | {n} | {100 * sum(base.solved) / n:.1f}% | "
            f"{100 * sum(tried.solved) / n:.1f}% | {points(diff, low, high)} | "
            f"{base.seconds / n:.1f} / {tried.seconds / n:.1f} | "
            f"{base.train_tokens // n:,} / {tried.train_tokens // n:,} | "
            f"{base.predictions / n:.0f} / {tried.predictions / n:.0f} |")


def pretraining(model: str) -> tuple[int, float]:
    """Tokens and minutes the model folder's pretraining took, all runs (0 where it keeps no record)."""
    import json

    state = Path(model) / "pretrain_state.json"
    progress = json.loads(state.read_text()).get("progress", {}) if state.exists() else {}
    return int(progress.get("tokens_seen", 0)), float(progress.get("seconds", 0.0)) / 60


def table(args: argparse.Namespace, rows: list[str], strategies: list[str], marker: dict[str, Any],
          command: list[str]) -> str:
    from sections import machine

    tokens, minutes = pretraining(args.model)
    lines = [
        SECTION, "",
        f"`{' '.join(command)}` on {machine(args.threads)}.", "",
        f"Model: `{args.model}` ({marker.get('size', '?')}, {tokens or int(marker.get('pretrained_tokens', 0)):,} "
        f"pretraining tokens in {minutes:.1f} minutes, generated tasks of the *seen* side only, grid sides <= "
        f"{args.max_side}). Evaluation: {args.tasks} generated tasks per side, drawn by seed {args.seed} from a stream "
        f"pretraining never reads. Every way uses the product's TTTModelService with the same {args.transforms} "
        f"symmetries x {args.samples} view(s), voted; *no TTT* is a zero-step training policy (the fresh LoRA is the "
        f"identity), *TTT* is the MIT-TTT strategy: up to {args.examples} leave-one-out examples "
        f"({args.augmentations} views of each), {args.steps} "
        f"steps of 2, learning rate {args.lr}, LoRA rank {args.rank}, loss on {args.loss_on}, color permutations "
        f"{'on' if args.colors else 'off'}, symmetries {'on' if args.geometric else 'off'}, "
        f"holdout {'on' if args.holdout else 'off'}. *Difference*: TTT minus no TTT "
        "in points of pass@2, with a 95% paired-bootstrap interval over tasks; *gained / lost*: tasks only one way "
        "solves; *cell accuracy*: exact cells of the first attempt (0 for a wrong shape), mean over tasks, with its "
        "paired difference.", "",
        "| side | tasks | pass@2 no TTT | pass@2 TTT | difference (points, 95% CI) | gained / lost | "
        "cell accuracy no TTT / TTT (diff, 95% CI) | s/task no TTT / TTT | TTT train tokens/task |",
        "|---|---:|---:|---:|---|---|---|---|---:|", *rows]
    if strategies:
        lines += ["", "Seed strategies, each switched on alone over the same TTT, same tasks (its `ttt.techniques` "
                  "setting with its defaults); difference: with minus without, 95% paired-bootstrap interval.", "",
                  "| side | technique | tasks | pass@2 TTT | pass@2 with it | difference (points, 95% CI) | "
                  "s/task without / with | train tokens/task without / with | grids decoded/task without / with |",
                  "|---|---|---:|---:|---:|---|---|---|---|", *strategies]
    return "\n".join(lines) + "\n"


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="runs/ttt-learning/small-seen", help="model folder (pretrained here)")
    parser.add_argument("--size", default="small")
    parser.add_argument("--pretrain-minutes", type=float, default=0.0, help="0: use the folder as it is")
    parser.add_argument("--pretrain-tokens", type=int, default=3_000_000, help="schedule horizon, all runs")
    parser.add_argument("--pretrain-lr", type=float, default=1e-3)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--max-side", type=int, default=6, help="grid sides of generated tasks, both phases")
    parser.add_argument("--sides", nargs="+", default=["held-parameters"],
                        choices=["seen", "held-parameters", "held-families"])
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--steps", type=int, default=16, help="TTT optimizer steps per task")
    parser.add_argument("--examples", type=int, default=32, help="TTT examples per task")
    parser.add_argument("--augmentations", type=int, default=8, help="views of each leave-one-out TTT task")
    parser.add_argument("--lr", type=float, default=1e-3, help="TTT learning rate")
    parser.add_argument("--rank", type=int, default=8, help="TTT LoRA rank")
    parser.add_argument("--loss-on", default="query", choices=["query", "outputs"],
                        help="TTT loss on the query's output only, or on every output of the episode")
    parser.add_argument("--techniques", nargs="*", default=[],
                        choices=["confidence", "scoring", "entropy", "predict_correct"],
                        help="seed strategies to measure, each alone on top of TTT")
    parser.add_argument("--colors", action=argparse.BooleanOptionalAction, default=True,
                        help="color permutations in TTT data and views")
    parser.add_argument("--geometric", action=argparse.BooleanOptionalAction, default=True,
                        help="symmetries among TTT's training views")
    parser.add_argument("--holdout", action=argparse.BooleanOptionalAction, default=False,
                        help="keep one demonstration out of TTT training for validation")
    parser.add_argument("--transforms", type=int, default=4)
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--task-seconds", type=float, default=120.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if args.pretrain_minutes > 0:
        pretrain(args)
    from arc_ttt.adapters.models.model_loading import MARKER_FILE

    marker = json.loads((Path(args.model) / MARKER_FILE).read_text())
    import torch

    torch.set_num_threads(args.threads)
    services = ways(args)
    rows, strategies = [], []
    for side in args.sides:
        tasks, tallies = evaluate(args, side, services)
        rows.append(row(side, tasks, tallies))
        these = [strategy_row(side, way, tallies) for way in tallies if way.startswith("ttt+")]
        strategies += these
        print(rows[-1], *these, sep="\n", flush=True)
    command = ["benchmarks/ttt_learning.py", *[a for a in sys.argv[1:] if a != "--write"]]
    text = table(args, rows, strategies, marker, command)
    print(text)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end ({platform.machine()})")
    if args.write:
        from docs_section import replace_section

        replace_section(SECTION, text)


if __name__ == "__main__":
    main()
