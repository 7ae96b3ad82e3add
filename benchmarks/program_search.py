"""Program search on whole ARC sets through the real CLI (`arc-ttt solve --solver program`): pass@2,
seconds per task, and how often its "sure" answers are right. With --write, replaces the
"## Program search" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/program_search.py --datasets arc1/evaluation arc2/evaluation arc1/training \
        --configs default quick --write

Each set runs once per config overlay ("default": none). On a training set the table also gives the two
fixed halves (`compare_submissions.half`): the one program search is built on and the one held out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from compare_submissions import half
from docs_section import replace_section

SECTION = "## Program search"
PEER = ("icecuber's C++ DSL search (2020 Kaggle winner) on the same kind of 2-core machine, ARC-AGI-1 evaluation, "
        "top two guesses: depth 2: 28.0% in 80 s for 400 tasks (0.2 s a task); depth 3: 36.6% in 33 minutes "
        "(4.9 s a task). ARC-AGI-1 evaluation was its author's development set, so these figures flatter it.")


def run(dataset: str, out: Path, limit: int | None, extra: list[str]) -> dict[str, float]:
    cli = Path(sys.executable).with_name("arc-ttt")
    command = [str(cli), "solve", "--solver", "program", "--dataset", dataset, "--out", str(out), *extra]
    if limit:
        command += ["--limit", str(limit)]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    return score(dataset, out, wall)


def score(dataset: str, out: Path, wall: float) -> dict[str, float]:
    from arc_ttt.adapters.datasets.catalog import open_source

    submission = json.loads((out / "submission.json").read_text())
    report = json.loads((out / "report.json").read_text())
    truth = {t.id: t.solutions() for t in open_source(dataset=dataset).load().tasks}
    tasks = report["tasks"]
    halves = {name: [t["score"] for t in tasks if half(t["task_id"]) == name] for name in ("build", "held-out")}
    seconds = sorted(t["seconds"] for t in tasks)
    sure = sure_right = 0
    for record in tasks:
        answers = truth[record["task_id"]]
        for i, attempts in enumerate(record["attempts"]):
            if attempts["attempt_1"]["sure"] and answers is not None:
                sure += 1
                sure_right += submission[record["task_id"]][i]["attempt_1"] == answers[i].to_list()
    return {
        "tasks": len(tasks),
        "pass2": 100 * statistics.mean(t["score"] for t in tasks),
        "wall_per_task": wall / len(tasks),
        "mean": statistics.mean(seconds),
        "p95": seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))],
        "sure": sure,
        "sure_right": sure_right,
        "wall": wall,
        **{f"pass2 {name}": 100 * statistics.mean(scores) for name, scores in halves.items() if scores},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["arc1/evaluation", "arc2/evaluation", "arc1/training"])
    parser.add_argument("--configs", nargs="+", default=["default"], help="config overlays, 'default' for none")
    parser.add_argument("--limit", type=int, default=None, help="first N tasks of each set (default: all)")
    parser.add_argument("--out", type=Path, default=Path("runs/benchmarks/program-search"))
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args, extra = parser.parse_known_args()
    load = os.getloadavg()[0]
    rows = []
    for dataset in args.datasets:
        for config in args.configs:
            flags = [] if config == "default" else ["--config", config]
            out = args.out / dataset.replace("/", "-") / config
            m = run(dataset, out, args.limit, [*flags, *extra])
            sure_rate = f"{m['sure_right']:.0f} of {m['sure']:.0f} ({100 * m['sure_right'] / m['sure']:.1f}%)" \
                if m["sure"] else "none"
            halves = (f"{m['pass2 build']:.1f}% / {m['pass2 held-out']:.1f}%"
                      if "pass2 build" in m and "pass2 held-out" in m and "training" in dataset else "")
            rows.append(f"| {dataset} | {config} | {m['tasks']:.0f} | {m['pass2']:.1f}% | {halves} | "
                        f"{m['wall_per_task']:.2f} | {m['mean']:.2f} | {m['p95']:.2f} | {m['wall'] / 60:.1f} | "
                        f"{sure_rate} |")
            print(rows[-1], flush=True)
    command = " ".join(["benchmarks/program_search.py", "--datasets", *args.datasets, "--configs", *args.configs,
                        *(["--limit", str(args.limit)] if args.limit else []), *extra])
    body = "\n".join([
        SECTION, "",
        f"`.venv/bin/python {command}` on {platform.machine()} with {os.cpu_count()} cores "
        f"(load average {load:.1f} when it started), through `arc-ttt solve --solver program`: *default* is the "
        "default settings (depth 3, 20 s per task, one search process per core sharing each task), *quick* is "
        "`--config quick` (configs/quick.yaml). pass@2 is scored the ARC Prize way; on ARC-AGI-1 training it is "
        "also given for the half program search is built on and the half held out from it (*build / held-out*). "
        "*Batch s/task* is the run's wall time divided by its tasks (start-up included); *task s* are the "
        "solver's own seconds per task (mean, p95). *Sure* counts test inputs whose first attempt the search "
        "called sure, and how many of those were right.", "",
        "| set | config | tasks | pass@2 | build / held-out | batch s/task | task s (mean) | task s (p95) | minutes "
        "| sure right |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---|", *rows, "",
        f"For comparison (not run here): {PEER}", "",
    ])
    print(body)
    if args.write:
        replace_section(SECTION, body)


if __name__ == "__main__":
    main()
