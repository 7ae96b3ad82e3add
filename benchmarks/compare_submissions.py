"""Task by task, two submissions on one ARC set: which tasks both solve, which only one does, on each
fixed half of the set. Made to compare a peer solver's answers with an arc-ttt run (the peer's file stays
outside the repository), and to keep program-search work honest about generalisation: the training set
is split in two fixed halves by a hash of the task id, one to build on, one never looked at.

    .venv/bin/python benchmarks/compare_submissions.py --dataset arc1/training \\
        --ours runs/benchmarks/program-search/arc1-training/submission.json \\
        --peer ../shared/peers/icecuber-arc1-training-d3.json --list
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from arc_ttt.adapters.datasets.catalog import open_source
from arc_ttt.domain.arc.grid import Grid


def half(task_id: str) -> str:
    """'build' or 'held-out': a fixed split by the task id's hash, the same on every machine and run."""
    return "build" if hashlib.sha256(task_id.encode()).digest()[0] % 2 == 0 else "held-out"


def task_scores(submission: Mapping[str, object], truths: Mapping[str, Sequence[Grid]]) -> dict[str, float]:
    """pass@2 per task, the ARC Prize way: a test output counts when either attempt equals it."""
    scores: dict[str, float] = {}
    for task_id, answers in truths.items():
        entries = submission.get(task_id)
        if not isinstance(entries, list) or not answers:
            scores[task_id] = 0.0
            continue
        solved = 0
        for i, truth in enumerate(answers):
            attempts = entries[i] if i < len(entries) and isinstance(entries[i], dict) else {}
            solved += any(attempts.get(key) == truth.to_list() for key in ("attempt_1", "attempt_2"))
        scores[task_id] = solved / len(answers)
    return scores


def compare(ours: Mapping[str, float], peer: Mapping[str, float], task_ids: Sequence[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {"both": [], "only ours": [], "only peer": [], "neither": []}
    for task_id in task_ids:
        mine, theirs = ours[task_id] > 0, peer[task_id] > 0
        key = "both" if mine and theirs else "only ours" if mine else "only peer" if theirs else "neither"
        groups[key].append(task_id)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="arc1/training")
    parser.add_argument("--ours", type=Path, required=True, help="arc-ttt's submission.json")
    parser.add_argument("--peer", type=Path, required=True, help="the other solver's submission file")
    parser.add_argument("--list", action="store_true", help="also list the task ids of each group")
    parser.add_argument("--explain", type=Path, help="arc-ttt's report.json: with --list, how each task only "
                        "arc-ttt solves was answered")
    args = parser.parse_args()
    truths = {t.id: t.solutions() or () for t in open_source(dataset=args.dataset).load().tasks}
    ours = task_scores(json.loads(args.ours.read_text()), truths)
    peer = task_scores(json.loads(args.peer.read_text()), truths)
    print(f"| {args.dataset} | tasks | arc-ttt pass@2 | peer pass@2 | both | only arc-ttt | only peer | neither |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in ("build", "held-out", "all"):
        ids = sorted(t for t in truths if name in ("all", half(t)))
        groups = compare(ours, peer, ids)
        mine = 100 * sum(ours[t] for t in ids) / len(ids)
        theirs = 100 * sum(peer[t] for t in ids) / len(ids)
        print(f"| {name} | {len(ids)} | {mine:.1f}% | {theirs:.1f}% | {len(groups['both'])} | "
              f"{len(groups['only ours'])} | {len(groups['only peer'])} | {len(groups['neither'])} |")
        if args.list and name == "all":
            for key in ("only ours", "only peer"):
                print(f"{key}: {', '.join(f'{t} ({half(t)})' for t in groups[key])}")
            if args.explain:
                explain(json.loads(args.explain.read_text()), groups["only ours"])


def explain(report: Mapping[str, object], task_ids: Sequence[str]) -> None:
    """The explanation of each attempt arc-ttt gave on these tasks, one line a task."""
    records = {t["task_id"]: t for t in report.get("tasks", [])}  # type: ignore[union-attr]
    for task_id in task_ids:
        record = records.get(task_id)
        attempts = record["attempts"] if record else []
        words = [a[key].get("explanation", "") for a in attempts for key in ("attempt_1", "attempt_2")]
        print(f"  {task_id} ({half(task_id)}): " + " | ".join(words))


if __name__ == "__main__":
    main()
