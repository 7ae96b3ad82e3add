"""summary.json and summary.md: the score, the time, and what went wrong, for one run folder."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from arc_ttt.adapters.durable_files import write_json_atomic, write_text_atomic
from arc_ttt.adapters.reports.run_report import parts_line
from arc_ttt.domain.solving.ports import RunSummary
from arc_ttt.domain.solving.run_parts import seconds_by_part, ttt_skips
from arc_ttt.domain.solving.statistics import mean, percentile


def summary_data(summary: RunSummary) -> dict[str, object]:
    seconds = [r.seconds for r in summary.results]
    scored = [r.score for r in summary.results if r.score is not None]
    known = [t for t in summary.tasks if t.has_solutions]
    by_id = {r.task_id: r for r in summary.results}
    solved = sum((by_id[t.id].score or 0.0) for t in known if t.id in by_id)
    return {
        "source": summary.source,
        "solver": summary.solver,
        "complete": summary.complete,
        "tasks": len(summary.tasks),
        "tasks_finished": len(summary.results),
        "tasks_with_solutions": len(known),
        "pass_at_2": (solved / len(known)) if known else None,
        "tasks_solved": solved if known else None,
        "mean_task_score_of_finished": mean(scored) if scored else None,
        "status_counts": dict(Counter(r.status.value for r in summary.results)),
        "seconds_per_task": {"mean": mean(seconds), "p50": percentile(seconds, 50), "p95": percentile(seconds, 95)},
        "wall_seconds": summary.wall_seconds,
        "seconds_by_part": seconds_by_part(summary.results, summary.wall_seconds),
        "ttt_skipped": ttt_skips(summary.results),
        "problems": [p.one_line() for p in summary.problems],
        "errors": {r.task_id: r.error for r in summary.results if r.error},
    }


def summary_markdown(data: dict[str, object]) -> str:
    lines = [f"# arc-ttt run: {data['source']} with {data['solver']}", ""]
    if data["pass_at_2"] is not None:
        lines.append(
            f"**pass@2: {100 * float(data['pass_at_2']):.2f}%** "  # type: ignore[arg-type]
            f"({float(data['tasks_solved']):.2f} of {data['tasks_with_solutions']} tasks)"  # type: ignore[arg-type]
        )
    else:
        lines.append("pass@2: unknown (no solutions for these tasks)")
    spt = data["seconds_per_task"]
    assert isinstance(spt, dict)
    lines += [
        "",
        "| figure | value |",
        "|---|---|",
        f"| tasks | {data['tasks']} ({data['tasks_finished']} finished) |",
        f"| complete | {'yes' if data['complete'] else 'no (interrupted)'} |",
        f"| status | {', '.join(f'{k}: {v}' for k, v in data['status_counts'].items())} |",  # type: ignore[union-attr]
        f"| seconds per task | mean {spt['mean']:.2f}, p50 {spt['p50']:.2f}, p95 {spt['p95']:.2f} |",
        f"| wall time | {float(data['wall_seconds']):.1f} s |",  # type: ignore[arg-type]
        f"| time by part | {parts_line(data['seconds_by_part'], ' s')} |",
    ]
    if data["ttt_skipped"]:
        lines.append(f"| TTT skipped (tasks) | {parts_line(data['ttt_skipped'])} |")
    problems = data["problems"]
    assert isinstance(problems, list)
    if problems:
        lines += ["", f"## Skipped input ({len(problems)})", "", *(f"- {p}" for p in problems)]
    errors = data["errors"]
    assert isinstance(errors, dict)
    if errors:
        lines += ["", f"## Tasks with errors ({len(errors)})", "", *(f"- {k}: {v}" for k, v in errors.items())]
    return "\n".join(lines) + "\n"


class SummaryWriter:
    def write(self, run_dir: Path, summary: RunSummary) -> list[Path]:
        data = summary_data(summary)
        json_path, md_path = Path(run_dir) / "summary.json", Path(run_dir) / "summary.md"
        write_json_atomic(json_path, data)
        write_text_atomic(md_path, summary_markdown(data))
        return [json_path, md_path]
