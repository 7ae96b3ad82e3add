"""The default solve (the ensemble: program search, then TTT with the shipped model) against program search
alone on the same set: pass@2, wall time, seconds per task, where TTT ran and what it solved, and every task
the ensemble lost against program search alone. With --write, replaces the "## Default solve" section of
docs/benchmarks.md.

    .venv/bin/python benchmarks/default_solve.py --write                  # runs both (about 70 minutes)
    .venv/bin/python benchmarks/default_solve.py --ensemble-run runs/arc1-evaluation --program-run DIR --reuse
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from docs_section import replace_section

from arc_ttt.application.config.settings import load_settings

SECTION = "## Default solve"


def solve(dataset: str, out: Path, extra: list[str]) -> None:
    cli = Path(sys.executable).with_name("arc-ttt")
    subprocess.run([str(cli), "solve", "--dataset", dataset, "--out", str(out), *extra], check=True,
                   stdout=subprocess.DEVNULL)


def _only_ttt(source: str) -> bool:
    """A "Solved by" source ("program+ttt", "fallback", ...) that names TTT and neither of the others."""
    parts = set(source.split("+"))
    return "ttt" in parts and not parts & {"program", "fallback"}


def load(run: Path) -> tuple[dict[str, object], dict[str, dict[str, object]]]:
    report = json.loads((run / "report.json").read_text())
    return report, {t["task_id"]: t for t in report["tasks"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="arc1/evaluation")
    parser.add_argument("--ensemble-run", type=Path, default=Path("runs/benchmarks/default-solve/ensemble"))
    parser.add_argument("--program-run", type=Path, default=Path("runs/benchmarks/default-solve/program"))
    parser.add_argument("--reuse", action="store_true", help="read finished runs instead of solving again")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    load_avg = os.getloadavg()[0]
    if not args.reuse:
        solve(args.dataset, args.ensemble_run, [])
        solve(args.dataset, args.program_run, ["--solver", "program"])
    ensemble, ens_tasks = load(args.ensemble_run)
    program, prog_tasks = load(args.program_run)
    lost = sorted(t for t, r in prog_tasks.items() if (r["score"] or 0) > (ens_tasks.get(t, {}).get("score") or 0))
    gained = sorted(t for t, r in ens_tasks.items() if (r["score"] or 0) > (prog_tasks.get(t, {}).get("score") or 0))
    ttt_notes = {t: r["ttt"] for t, r in ens_tasks.items() if r["ttt"]}
    skipped = [t for t, note in ttt_notes.items() if note.get("skipped")]
    ttt_ran = [t for t in ttt_notes if t not in skipped]
    reused = [t for t in ttt_ran if ttt_notes[t].get("reused_adapter_version") is not None]
    trust = load_settings().ensemble.ttt_trust
    checked = [t for t in ttt_ran if ens_tasks[t]["ttt"].get("val_exact") is not None]
    trusted = [t for t in checked if trust is None or ens_tasks[t]["ttt"]["val_exact"] >= trust]
    solved_by = ensemble.get("solved_by", {})
    # an answer TTT shares with program search or with the fallback guesses, program search alone gives too
    only_ttt = sorted({t for s, ids in solved_by.items() if _only_ttt(s) for t in ids})

    def row(name: str, report: dict[str, object], tasks: dict[str, dict[str, object]]) -> str:
        run, perf = report["run"], report["performance"]
        score = sum((t["score"] or 0) for t in tasks.values()) / max(len(tasks), 1)
        seconds = perf["seconds_per_task"]
        return (f"| {name} | {len(tasks)} | {100 * score:.1f}% | {run['wall_seconds'] / 60:.1f} | "
                f"{seconds['mean']:.2f} | {seconds['p95']:.2f} |")

    body = "\n".join([
        SECTION, "",
        f"`make solve` (= `arc-ttt solve --dataset {args.dataset}`, the defaults: the ensemble with the shipped "
        f"`data/models/arc-ttt-small`, budget 55 minutes, pacing) and `arc-ttt solve --solver program` on the same "
        f"set, on {platform.machine()} with {os.cpu_count()} cores (load average {load_avg:.1f} when the "
        "comparison was read). Read with "
        f"`.venv/bin/python benchmarks/default_solve.py --ensemble-run {args.ensemble_run} --program-run "
        f"{args.program_run} --reuse`.", "",
        "| run | tasks | pass@2 | wall minutes | task s (mean) | task s (p95) |", "|---|---:|---:|---:|---:|---:|",
        row("ensemble (default)", ensemble, ens_tasks), row("program search alone", program, prog_tasks), "",
        f"TTT ran on {len(ttt_ran)} of {len(ens_tasks)} tasks (the others had sure program answers, or less than "
        "`ensemble.min_ttt_seconds` of their share left); on "
        f"{len(reused)} of them it took the adapter stored by an earlier run instead of training "
        f"(`checkpoints/`); it left {len(skipped)} more untrained because none of their test prompts keeps a "
        "demonstration in the model's context. Solved by source (the report's \"Solved by\"): "
        + ", ".join(f"{s}: {len(ids)}" for s, ids in solved_by.items()) + ".",
        f"TTT checked itself on a held-out demonstration on {len(checked)} of those tasks (the others have fewer "
        f"than three pairs) and reproduced it exactly in at least {trust} of its views on {len(trusted)}"
        f"{': ' + ', '.join(sorted(trusted)) if trusted else ''}; only there did its answers go before the "
        "fallback guesses (`ensemble.ttt_trust`).",
        f"Tasks only the TTT half solved: {', '.join(only_ttt) or 'none'}.",
        f"Tasks the ensemble lost against program search alone: {', '.join(lost) or 'none'}; "
        f"tasks it gained: {', '.join(gained) or 'none'}.", "",
    ])
    print(body)
    if args.write:
        replace_section(SECTION, body)


if __name__ == "__main__":
    main()
