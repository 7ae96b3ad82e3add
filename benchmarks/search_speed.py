"""The program search's core speed: candidate programs evaluated per second on a fixed set of ARC-AGI-1
training tasks, this checkout side by side with an earlier commit in one run, alternating task by task.

A candidate program is one step applied to every image of a search state (a call of the search's
`_expand`), counted the same way in both versions by wrapping that function. Each version runs in its
own process on one core (`ProgramSearch.solve`, the default depth and state budget, a time limit per
task), so neither warms the other's caches. With --profile, also prints this checkout's profile.

    .venv/bin/python benchmarks/search_speed.py --baseline fc05477 --tasks 40 --write
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from docs_section import replace_section

SECTION = "## Program search speed"
ROOT = Path(__file__).resolve().parents[1]


def measure(task_ids: list[str], time_limit: float, profile: bool) -> dict[str, float]:
    """Run in the version under test: programs evaluated and seconds, over the given tasks."""
    import cProfile
    import pstats

    from arc_ttt.adapters.datasets.catalog import open_source
    from arc_ttt.domain.programs import search as core
    from arc_ttt.domain.programs.program_search import ProgramSearch, ProgramSearchOptions

    tasks = {t.id: t for t in open_source(dataset="arc1/training").load().tasks}
    calls = 0
    expand = core._expand

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return expand(*args, **kwargs)

    core._expand = counted  # type: ignore[assignment]
    solver = ProgramSearch(ProgramSearchOptions(max_depth=3, max_states=40_000, sure_max_cost=2.5))
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    for task_id in task_ids:
        solver.solve(tasks[task_id], time_limit)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    seconds = time.perf_counter() - started
    return {"programs": calls, "seconds": seconds}


def run_version(source: Path, task_ids: list[str], time_limit: float, profile: bool) -> dict[str, float]:
    """`source`'s package (a checkout's src/) in a child process, imported as arc_ttt."""
    with tempfile.TemporaryDirectory() as shim:
        (Path(shim) / "arc_ttt").symlink_to(source / "src")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([shim, str(ROOT / "benchmarks")])}
        code = (f"import json, search_speed; print(json.dumps(search_speed.measure({task_ids!r}, {time_limit!r}, "
                f"{profile!r})))")
        done = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True,
                              cwd=shim)
    if profile:
        print(done.stderr, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def pick_tasks(count: int) -> list[str]:
    """The first `count` tasks of the training set's build half (the same fixed split as the accuracy runs)."""
    from compare_submissions import half

    from arc_ttt.adapters.datasets.catalog import open_source

    ids = sorted(t.id for t in open_source(dataset="arc1/training").load().tasks)
    return [t for t in ids if half(t) == "build"][:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git ref of the version to compare with")
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--profile", action="store_true", help="print this checkout's profile to stderr")
    parser.add_argument("--write", action="store_true", help=f"replace '{SECTION}' in docs/benchmarks.md")
    args = parser.parse_args()
    task_ids = pick_tasks(args.tasks)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.baseline],
                       check=True)
        try:
            before = run_version(old, task_ids, args.time_limit, False)
            after = run_version(ROOT, task_ids, args.time_limit, False)
            if args.profile:  # a run of its own: the profiler slows what it watches
                run_version(ROOT, task_ids, args.time_limit, True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=True)
    rate = {name: r["programs"] / r["seconds"] for name, r in (("before", before), ("after", after))}
    labels = {"before": f"before ({args.baseline})", "after": "after (this checkout)"}
    rows = [f"| {labels[name]} | {r['programs']:,} | {r['seconds']:.1f} | {rate[name]:,.0f} |"
            for name, r in (("before", before), ("after", after))]
    body = "\n".join([
        SECTION, "",
        f"`.venv/bin/python benchmarks/search_speed.py --baseline {args.baseline} --tasks {args.tasks}` on "
        f"{platform.machine()} with {os.cpu_count()} cores (load average {load:.1f} when it started): "
        f"`ProgramSearch.solve` on the first {len(task_ids)} ARC-AGI-1 training tasks of the build half, "
        f"{args.time_limit:g} s a task, one process each, the two versions one after the other. A candidate program "
        "is one step applied to every image of a search state.", "",
        "| version | programs evaluated | seconds | programs / s |", "|---|---:|---:|---:|", *rows, "",
        f"Speed-up: **{rate['after'] / rate['before']:.2f}x** programs per second.",
    ])
    print(body)
    if args.write:
        replace_section(SECTION, body)


if __name__ == "__main__":
    main()
