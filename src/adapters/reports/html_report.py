"""report.html: one self-contained page (inline CSS and SVG, no script, no network) that shows how a
run went: the headline figures, a map of every task, time and memory over the batch, and for each task
its train pairs, test input, both attempts and the expected output drawn as ARC grids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from html import escape
from pathlib import Path

from arc_ttt.adapters.durable_files import write_text_atomic
from arc_ttt.adapters.reports.html_style import STYLE
from arc_ttt.adapters.reports.run_report import RunReport, parts_line
from arc_ttt.adapters.reports.svg import chart_svg, grid_svg, palette_css
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.solution import Candidate
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.resources.hardware import MB
from arc_ttt.domain.solving.performance import training_speed
from arc_ttt.domain.solving.ports import RunSummary
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from arc_ttt.domain.ttt.notes import TTTNote

REPORT_HTML = "report.html"


# ARC tasks have a handful of pairs; a task of thousands would make a page of hundreds of megabytes and take
# longer to draw than the batch took to solve it
MAX_DRAWN_PAIRS = 20

def verdict(result: TaskResult) -> str:
    """right, partial, wrong, unknown (no solutions) or failed / out_of_time; the CSS class of a task."""
    if result.status is not TaskStatus.SOLVED:
        return "failed" if result.status is TaskStatus.FAILED else "skipped"
    if result.score is None:
        return "unknown"
    return "right" if result.score >= 1.0 else ("partial" if result.score > 0 else "wrong")


def _mb(value: object) -> str:
    return f"{float(value) / MB:,.0f} MB" if isinstance(value, int | float) else "n/a"  # type: ignore[arg-type]


def _kpi(label: str, value: str, detail: str = "", tone: str = "") -> str:
    return (f'<div class="kpi {tone}"><span class="label">{escape(label)}</span>'
            f'<span class="value">{escape(value)}</span><span class="detail">{escape(detail)}</span></div>')


def _kpis(report: RunReport) -> str:
    p = report.performance
    head = report.headline()
    s = p.seconds
    cards = [
        _kpi("pass@2", f"{100 * p.pass_at_2:.1f}%" if p.pass_at_2 is not None else "n/a",
             f"{head['tasks_solved']:.1f} of {p.scored_tasks} tasks", "accent"),
        _kpi("tasks", f"{head['tasks_finished']} / {head['tasks_in_batch']}",
             ", ".join(f"{k} {v}" for k, v in sorted(p.status_counts.items()))),
        _kpi("time per task", f"{s.mean:.3f} s", f"mean · p50 {s.p50:.3f} · p95 {s.p95:.3f}"),
        _kpi("wall time", f"{report.summary.wall_seconds:.1f} s", "complete" if report.summary.complete else "partial"),
        _kpi("peak memory", _mb(p.measured_peak_bytes), "CUDA peak" if p.peak_cuda_bytes else "process RSS"),
        _kpi("memory growth", f"{p.leak_mb_per_task:.2f} MB" if p.leak_mb_per_task is not None else "n/a",
             f"per task · warns above {p.leak_threshold_mb:g} MB", "bad" if p.leaking else ""),
    ]
    parts = head["seconds_by_part"]
    assert isinstance(parts, Mapping)
    if sum(parts.values()) > 0:
        name, seconds = max(parts.items(), key=lambda kv: kv[1])
        cards.append(_kpi("time by part", f"{str(name).replace('_', ' ')} {100 * seconds / sum(parts.values()):.0f}%",
                          parts_line(parts, " s")))
    if head["ttt_skipped"]:
        cards.append(_kpi("TTT skipped", f"{max(head['ttt_skipped'].values())} tasks",  # type: ignore[union-attr]
                          parts_line(head["ttt_skipped"])))
    if p.tokens_per_second is not None:
        trained = f"{p.ttt_tasks} task{'s' if p.ttt_tasks != 1 else ''} trained"
        cards.append(_kpi("TTT tokens/s", f"{p.tokens_per_second.mean:,.0f}", trained))
    if p.profile:
        fit = p.fits_profile
        cards.append(_kpi("profile", p.profile, f"budget {_mb(p.budget_bytes)}"
                          + ("" if fit is None else (" · fits" if fit else " · over budget")),
                          "bad" if fit is False else ""))
    failed = sum(p.failures.values())
    cards.append(_kpi("failures", str(failed), "by kind below" if failed else "none", "bad" if failed else ""))
    return f'<div class="kpis">{"".join(cards)}</div>'


def _overview(report: RunReport) -> str:
    cells = []
    for r in report.ordered:
        score = f"{r.score:.2f}" if r.score is not None else "n/a"
        cells.append(f'<a class="cell {verdict(r)}" href="#t-{escape(r.task_id)}" '
                     f'title="{escape(r.task_id)}: {r.status.value}, score {score}"></a>')
    counts = Counter(verdict(r) for r in report.ordered)
    legend = "".join(f'<span class="key"><i class="cell {k}"></i>{k} {counts[k]}</span>'
                     for k in ("right", "partial", "wrong", "unknown", "failed", "skipped") if counts[k])
    return (f'<section id="overview"><h2>Every task</h2><div class="map">{"".join(cells)}</div>'
            f'<p class="legend">{legend}</p></section>')


def _charts(report: RunReport) -> str:
    ordered = report.ordered
    charts = [chart_svg([("seconds", [r.seconds for r in ordered])], title="Time per task",
                        y_label="seconds", kind="bar")]
    samples = [r.notes.memory.sample for r in ordered if r.notes.memory is not None]
    rss = [s.rss_bytes / MB for s in samples]
    cuda = [s.cuda_peak_bytes / MB for s in samples if s.cuda_peak_bytes is not None]
    series = [(name, values) for name, values in (("process RSS", rss), ("CUDA peak", cuda)) if values]
    if series:
        charts.append(chart_svg(series, title="Memory after each task", y_label="MB"))
    else:
        charts.append('<p class="muted">No memory readings in this run.</p>')
    speeds = [float(v) for r in ordered if (v := training_speed(r)) is not None]
    if speeds:
        charts.append(chart_svg([("tokens/s", speeds)], title="TTT training speed", y_label="tokens/s",
                                x_label="trained task", kind="bar"))
    return (f'<section id="charts"><h2>Time and memory over the batch</h2>'
            f'<div class="charts">{"".join(charts)}</div></section>')


def _failures(report: RunReport) -> str:
    p = report.performance
    notes = [*([report.stop_reason] if report.stop_reason else []), *report.warnings, *p.notes,
             *(x.one_line() for x in report.summary.problems)]
    parts = []
    if notes:
        parts.append('<ul class="warnings">' + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    if p.failures:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>"
                       for k, v in sorted(p.failures.items(), key=lambda kv: -kv[1]))
        parts.append(f'<table class="failures"><thead><tr><th>kind</th><th>tasks</th></tr></thead>'
                     f"<tbody>{rows}</tbody></table>")
    if not parts:
        return ""
    return f'<section id="problems"><h2>Warnings and failures</h2>{"".join(parts)}</section>'


def _figure(grid: Grid, caption: str, css: str, max_px: int = 150, extra: str = "") -> str:
    return (f'<figure class="{css}">{grid_svg(grid, max_px, title=caption)}'
            f"<figcaption>{escape(caption)}{extra}</figcaption></figure>")


def _attempt(candidate: Candidate, label: str, truth: Grid | None) -> str:
    mark, css = "", "attempt"
    if truth is not None:
        right = candidate.grid == truth
        mark, css = (" ✓", "attempt right") if right else (" ✗", "attempt wrong")
    info = f'<span class="src">{escape(candidate.source)}</span>'
    if candidate.sure:
        info += ' <span class="sure">sure</span>'
    if candidate.explanation:
        info += f'<span class="expl">{escape(candidate.explanation)}</span>'
    return _figure(candidate.grid, f"{label}{mark}", css, extra=f"<br>{info}")


def _fit_figures(note: TTTNote) -> Mapping[str, object]:
    """The figures of the task's fit by their stored names: the fresh fit's, or those stored with the
    adapter it reused (an earlier run's fit); none when it did not train."""
    if note.training is not None:
        return note.training.to_json()
    return note.reused.metrics if note.reused is not None else {}


def _ttt_block(result: TaskResult) -> str:
    if result.notes.ttt is None:
        return ""
    fit = _fit_figures(result.notes.ttt)
    figures = [(label, _short(fit[key])) for key, label in (
        ("train_tokens", "train tokens"), ("train_seconds", "train seconds"), ("tokens_per_second", "tokens/s"),
        ("steps", "steps")) if key in fit]
    if "val_loss_before" in fit or "val_loss_after" in fit:
        before, after = fit.get("val_loss_before", "?"), fit.get("val_loss_after", "?")
        figures.append(("validation loss", f"{_short(before)} → {_short(after)}"))
    if not figures:
        return ""
    cells = "".join(f'<div class="fig"><span>{escape(k)}</span><b>{escape(v)}</b></div>' for k, v in figures)
    return f'<div class="ttt"><span class="head">TTT</span>{cells}</div>'


def _short(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _task_article(result: TaskResult, task: Task | None) -> str:
    v = verdict(result)
    score = f"{result.score:.2f}" if result.score is not None else "n/a"
    badge = {"right": "✓ right", "partial": "◐ partial", "wrong": "✗ wrong", "unknown": "? unscored",
             "failed": "✗ failed", "skipped": "– not run"}[v]
    parts = [f'<article class="task {v}" id="t-{escape(result.task_id)}" data-task="{escape(result.task_id)}" '
             f'data-status="{result.status.value}" data-score="{score}">',
             f'<header><h3>{escape(result.task_id)}</h3><span class="badge {v}">{badge}</span>'
             f'<span class="meta">score {score} · {result.seconds:.3f} s · {escape(result.solver)}</span></header>']
    if result.error:
        parts.append(f'<p class="error">{escape(result.error)}</p>')
    if task is not None:
        pairs = "".join(
            f'<div class="pair">{_figure(ex.input, f"train {i + 1} in", "input", 110)}<span class="arrow">→</span>'
            f'{_figure(ex.output, f"train {i + 1} out", "output", 110) if ex.output else ""}</div>'
            for i, ex in enumerate(task.train[:MAX_DRAWN_PAIRS])
        )
        if len(task.train) > MAX_DRAWN_PAIRS:
            pairs += f'<p class="muted">and {len(task.train) - MAX_DRAWN_PAIRS:,} more pairs, not drawn</p>'
        parts.append(f'<div class="train"><h4>Train pairs</h4><div class="pairs">{pairs}</div></div>')
    else:
        parts.append('<p class="muted">The task files are not available; showing the attempts only.</p>')
    for i, attempts in enumerate(result.attempts):
        example = task.test[i] if task is not None and i < len(task.test) else None
        truth = example.output if example is not None else None
        row = []
        if example is not None:
            row.append(_figure(example.input, "test input", "input"))
            row.append('<span class="arrow">→</span>')
        row.append(_attempt(attempts.attempt_1, "attempt 1", truth))
        row.append(_attempt(attempts.attempt_2, "attempt 2", truth))
        if truth is not None:
            row.append(_figure(truth, "expected", "expected"))
        parts.append(f'<div class="test"><h4>Test {i + 1}</h4><div class="row">{"".join(row)}</div></div>')
    parts.append(_ttt_block(result))
    parts.append("</article>")
    return "".join(parts)


def report_html(report: RunReport) -> str:
    hardware = report.performance.hardware
    sub = [report.summary.source, report.summary.solver]
    if hardware is not None:
        sub.append(hardware.describe())
    if report.profile.get("name"):
        sub.append(f"profile {report.profile['name']}")
    banner = f'<p class="stopped">Stopped early: {escape(report.stop_reason)}</p>' if report.stop_reason else ""
    tasks = "".join(_task_article(r, report.tasks.get(r.task_id)) for r in report.ordered)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(report.title)}</title><style>{STYLE}{palette_css()}</style></head><body>"
        f'<header id="summary"><h1>{escape(report.title)}</h1>'
        f'<p class="sub">{" · ".join(escape(s) for s in sub)}</p>{banner}{_kpis(report)}</header>'
        f"<main>{_overview(report)}{_charts(report)}{_failures(report)}"
        f'<section id="tasks"><h2>Tasks ({len(report.ordered)})</h2>{tasks}</section></main>'
        "</body></html>\n"
    )


class HtmlReportWriter:
    def write(self, run_dir: Path, summary: RunSummary) -> list[Path]:
        path = Path(run_dir) / REPORT_HTML
        write_text_atomic(path, report_html(RunReport.of(summary)))
        return [path]
