"""Pretraining throughput: batches cut from length-sorted windows (`--length-groups 8`, the default) against
batches in stream order (`--length-groups 1`), through `arc-ttt pretrain` itself, same model, data and seconds.

A batch pads to its longest episode; on short generated grids, half of a stream-order batch's tokens were
padding. Both ways run alternately for `--rounds` rounds of `--minutes` each from a fresh folder; the figure is
real (unpadded) tokens trained per second of wall time, read from each folder's pretrain_state.json.

    .venv/bin/python benchmarks/pretrain_throughput.py --minutes 1.5 --rounds 2 --write
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from docs_section import replace_section
from sections import machine

SECTION = "## Pretraining throughput"
ROOT = Path(__file__).resolve().parents[1]


def run(out: Path, groups: int, args: argparse.Namespace) -> dict[str, float]:
    command = [str(ROOT / ".venv" / "bin" / "arc-ttt"), "pretrain", "--out", str(out), "--size", args.size,
               "--minutes", str(args.minutes), "--tokens", "1000000000", "--warmup-tokens", "150000",
               "--batch-size", str(args.batch_size), "--lr", "2e-3", "--max-length", str(args.max_length),
               "--save-every", "1000", "--threads", str(args.threads), "--device", "cpu",
               "--generated-share", str(args.generated_share), "--generated-side", "seen",
               "--generated-max-side", str(args.max_side), "--length-groups", str(groups)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    progress = json.loads((out / "pretrain_state.json").read_text())["progress"]
    return {"tokens": progress["tokens_seen"], "targets": progress["target_tokens_seen"],
            "steps": progress["steps"], "seconds": progress["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small")
    parser.add_argument("--minutes", type=float, default=1.5, help="each way, each round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--max-side", type=int, default=3, help="generated grids' sides")
    parser.add_argument("--generated-share", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    where = machine(args.threads)
    totals = {1: {"tokens": 0.0, "targets": 0.0, "steps": 0.0, "seconds": 0.0},
              8: {"tokens": 0.0, "targets": 0.0, "steps": 0.0, "seconds": 0.0}}
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            for groups in ((1, 8) if round_ % 2 == 0 else (8, 1)):
                figures = run(Path(scratch) / f"g{groups}-r{round_}", groups, args)
                for key, value in figures.items():
                    totals[groups][key] += value
                print(f"round {round_ + 1}, length groups {groups}: {figures['tokens'] / figures['seconds']:,.0f} "
                      f"tokens/s ({figures['steps']} steps)", flush=True)
    rate = {g: t["tokens"] / t["seconds"] for g, t in totals.items()}
    target_rate = {g: t["targets"] / t["seconds"] for g, t in totals.items()}
    rows = [f"| {'stream order (`--length-groups 1`)' if g == 1 else 'length-sorted windows (`--length-groups 8`)'} "
            f"| {totals[g]['steps']:.0f} | {rate[g]:,.0f} | {target_rate[g]:,.0f} |" for g in (1, 8)]
    command = " ".join(["benchmarks/pretrain_throughput.py", *sys.argv[1:]])
    body = "\n".join([
        SECTION, "",
        f"`.venv/bin/python {command}` on {where}.", "",
        f"`arc-ttt pretrain --size {args.size} --batch-size {args.batch_size} --max-length {args.max_length} "
        f"--generated-share {args.generated_share} --generated-side seen --generated-max-side {args.max_side}`, "
        f"{args.rounds} rounds of {args.minutes} minutes each way, alternating, each from a fresh folder. Tokens: "
        "real (unpadded) tokens trained on; loss targets: output-grid tokens.", "",
        "| batches | steps | tokens/s | loss targets/s |", "|---|---:|---:|---:|", *rows, "",
        f"Length-sorted windows: **{rate[8] / rate[1]:.2f}x** the tokens per second of stream order.", ""])
    print(body)
    if args.write:
        replace_section(SECTION, body)


if __name__ == "__main__":
    main()
