"""One worker against several on one machine: the same batch through `arc-ttt solve --workers N` (SQLite
store and lease queue), side by side in one run. The submissions must be identical; the wall time should
drop. With --write, replaces the "## Local workers" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/workers.py --dataset arc1/training --limit 60 --workers 1 2 --write
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from docs_section import replace_section

SECTION = "## Local workers"


def solve(dataset: str, limit: int, workers: int, out: Path, solver: str) -> tuple[float, dict[str, object]]:
    cli = Path(sys.executable).with_name("arc-ttt")
    # one search process per worker, so that N workers use N cores and nothing else is parallel
    env = {**os.environ, "ARC_TTT_PROGRAM__PROCESSES": "1"}
    command = [str(cli), "solve", "--dataset", dataset, "--limit", str(limit), "--solver", solver,
               "--workers", str(workers), "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started, json.loads((out / "submission.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="arc1/training")
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--solver", default="program")
    parser.add_argument("--out", type=Path, default=Path("runs/benchmarks/workers"))
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    runs = {n: solve(args.dataset, args.limit, n, args.out / f"workers-{n}", args.solver) for n in args.workers}
    base_seconds, base_submission = runs[args.workers[0]]
    rows = []
    for n, (seconds, submission) in runs.items():
        same = "yes" if submission == base_submission else "NO"
        rows.append(f"| {n} | {seconds:.1f} | {base_seconds / seconds:.2f}x | {same} |")
    body = "\n".join([
        SECTION, "",
        f"`.venv/bin/python benchmarks/workers.py --dataset {args.dataset} --limit {args.limit} --workers "
        f"{' '.join(map(str, args.workers))} --solver {args.solver}` on {platform.machine()} with {os.cpu_count()} "
        f"cores (load average {load:.1f} when it started). Each worker is one process claiming tasks from the "
        "run's SQLite lease queue, with one search process each; wall time includes start-up and the final "
        "submission and reports.", "",
        f"| workers | wall s | speed-up vs {args.workers[0]} | same submission |", "|---:|---:|---:|---|", *rows, "",
    ])
    print(body)
    if args.write:
        replace_section(SECTION, body)


if __name__ == "__main__":
    main()
