"""report.json and report.md: the performance validator's figures and one line per task."""

from __future__ import annotations

from pathlib import Path

from arc_ttt.adapters.durable_files import write_json_atomic, write_text_atomic
from arc_ttt.adapters.reports.run_report import RunReport, parts_line
from arc_ttt.domain.resources.hardware import MB
from arc_ttt.domain.solving.ports import RunSummary

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


def _mb(value: object) -> str:
    return f"{float(value) / MB:,.0f} MB" if isinstance(value, int | float) else "n/a"  # type: ignore[arg-type]


def _pct(value: float | None) -> str:
    return f"{100 * value:.2f}%" if value is not None else "unknown (no solutions)"


def performance_lines(report: RunReport) -> list[str]:
    """The figures as a Markdown table; also what `arc-ttt validate` prints."""
    p = report.performance
    head = report.headline()
    s = p.seconds
    rows = [
        ("pass@2", f"{_pct(p.pass_at_2)} ({head['tasks_solved']:.2f} of {p.scored_tasks} scored tasks)"),
        ("tasks", f"{head['tasks_finished']} finished of {head['tasks_in_batch']}"),
        ("status", ", ".join(f"{k}: {v}" for k, v in sorted(p.status_counts.items())) or "none"),
        ("seconds per task", f"mean {s.mean:.3f}, p50 {s.p50:.3f}, p95 {s.p95:.3f}, max {s.max:.3f}"),
        ("wall time", f"{report.summary.wall_seconds:.1f} s"),
        ("time by part", parts_line(head["seconds_by_part"], " s")),
        ("peak RSS", _mb(p.peak_rss_bytes)),
        ("peak CUDA", _mb(p.peak_cuda_bytes) if p.peak_cuda_bytes is not None else "no CUDA readings"),
        ("memory growth", f"{p.leak_mb_per_task:.3f} MB per task (threshold {p.leak_threshold_mb:g})"
         if p.leak_mb_per_task is not None else "too few readings"),
    ]
    if head["ttt_skipped"]:
        rows.append(("TTT skipped (tasks)", parts_line(head["ttt_skipped"])))
    if p.tokens_per_second is not None:
        t = p.tokens_per_second
        rows.append(("TTT tokens/s", f"mean {t.mean:,.0f}, p50 {t.p50:,.0f}, p95 {t.p95:,.0f} ({p.ttt_tasks} tasks)"))
    if p.profile:
        fit = {True: "fits", False: "OVER BUDGET", None: "unknown"}[p.fits_profile]
        rows.append(("profile", f"{p.profile}: budget {_mb(p.budget_bytes)}, peak {_mb(p.measured_peak_bytes)}, {fit}"))
    if p.estimate is not None:
        rows.append(("estimate", f"{p.estimate.model}: {_mb(p.estimate.total_bytes)} predicted"))
    if p.hardware is not None:
        rows.append(("hardware", p.hardware.describe()))
    return ["| figure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def report_markdown(report: RunReport) -> str:
    p = report.performance
    lines = [f"# {report.title}", ""]
    if report.stop_reason:
        lines += [f"**Stopped early:** {report.stop_reason}", ""]
    lines += performance_lines(report)
    for title, items in (("Warnings", report.warnings), ("Notes", list(p.notes)),
                         ("Skipped input", [x.one_line() for x in report.summary.problems])):
        if items:
            lines += ["", f"## {title}", "", *(f"- {item}" for item in items)]
    if p.failures:
        lines += ["", "## Failures by kind", "", "| kind | tasks |", "|---|---|",
                  *(f"| {k} | {v} |" for k, v in sorted(p.failures.items(), key=lambda kv: -kv[1]))]
    solved_by = report.solved_by()
    if solved_by:
        lines += ["", "## Solved by", "", "Which source made the right attempt (a test output counts once per source "
                  "that got it; `a+b` means both proposed it).", "", "| source | tasks | task ids |", "|---|---:|---|",
                  *(f"| {source} | {len(ids)} | {', '.join(ids)} |" for source, ids in solved_by.items())]
    lines += ["", "## Tasks", "", "| task | status | score | seconds | attempt 1 | attempt 2 |",
              "|---|---|---|---|---|---|"]
    for r in report.ordered:
        firsts = r.attempts[0] if r.attempts else None

        def cell(c: object) -> str:
            if c is None:
                return ""
            text = f"{c.source}{' (sure)' if c.sure else ''}"  # type: ignore[attr-defined]
            return f"{text}: {c.explanation}".replace("|", "/") if c.explanation else text  # type: ignore[attr-defined]

        score = f"{r.score:.2f}" if r.score is not None else "-"
        lines.append(f"| {r.task_id} | {r.status.value} | {score} | {r.seconds:.3f} | "
                     f"{cell(firsts.attempt_1 if firsts else None)} | {cell(firsts.attempt_2 if firsts else None)} |")
    return "\n".join(lines) + "\n"


class JsonReportWriter:
    def write(self, run_dir: Path, summary: RunSummary) -> list[Path]:
        path = Path(run_dir) / REPORT_JSON
        write_json_atomic(path, RunReport.of(summary).to_json())
        return [path]


class MarkdownReportWriter:
    def write(self, run_dir: Path, summary: RunSummary) -> list[Path]:
        path = Path(run_dir) / REPORT_MD
        write_text_atomic(path, report_markdown(RunReport.of(summary)))
        return [path]
