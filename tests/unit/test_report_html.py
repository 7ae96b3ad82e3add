"""report.html, report.json and report.md without a browser: structure, marks, self-containment."""

from __future__ import annotations

import json
from pathlib import Path

from arc_ttt.adapters.reports.html_report import HtmlReportWriter, report_html
from arc_ttt.adapters.reports.run_report import RunReport
from arc_ttt.adapters.reports.svg import ARC_PALETTE, grid_svg
from arc_ttt.adapters.reports.writers import JsonReportWriter, MarkdownReportWriter
from arc_ttt.domain.arc.grid import Grid
from tests.report_support import PageStructure, check_structure, sample_summary


def test_page_structure_and_marks(tmp_path: Path) -> None:
    [path] = HtmlReportWriter().write(tmp_path, sample_summary())
    page = PageStructure(path.read_text(encoding="utf-8"))
    check_structure(page, tasks=3)
    t1, t2, t3 = page.articles["t1"], page.articles["t2"], page.articles["t3"]
    assert t1["figure.right"] == 1 and t1["figure.wrong"] == 1  # attempt 1 right, attempt 2 wrong
    assert t1["span.sure"] == 1 and t1["span.expl"] == 1
    assert t2["figure.right"] == 0 and t2["figure.wrong"] == 2 and t2["div.ttt"] == 1
    assert t3["p.error"] == 1
    for article in (t1, t2, t3):
        assert article["div.pair"] == 2 and article["figure.expected"] == 1 and article["svg.grid"] == 8
    text = " ".join(page.text)
    assert "flip left-right" in text and "RuntimeError: <boom> & more" in text
    assert "memory grows by 10.00 MB per task" in text
    assert "66.7%" not in text and "33.3%" in text  # pass@2 = 1 of 3


def test_attempts_only_when_the_tasks_are_gone(tmp_path: Path) -> None:
    html = report_html(RunReport.of(sample_summary(with_tasks=False)))
    page = PageStructure(html)
    check_structure(page, tasks=3, drawn=False)
    assert page.classes["figure.expected"] == 0 and page.classes["div.pair"] == 0
    assert page.classes["figure.attempt"] == 6
    assert "showing the attempts only" in " ".join(page.text)


def test_grid_svg_draws_each_color_and_the_shape() -> None:
    grid = Grid.of([[0, 1, 1, 9], [2, 2, 2, 2]])
    svg = grid_svg(grid)
    assert 'viewBox="0 0 4 2"' in svg and 'data-shape="2x4"' in svg
    assert 'class="c1" d="M1 0h2v1h-2z"' in svg and 'class="c2" d="M0 1h4v1h-4z"' in svg
    assert 'class="c9"' in svg and 'class="c5"' not in svg
    assert len(ARC_PALETTE) == 10 and ARC_PALETTE[0] == "#000000"


def test_json_and_markdown_reports(tmp_path: Path) -> None:
    summary = sample_summary()
    [jpath] = JsonReportWriter().write(tmp_path, summary)
    [mpath] = MarkdownReportWriter().write(tmp_path, summary)
    data = json.loads(jpath.read_text())
    perf = data["performance"]
    assert perf["pass_at_2"] == 1 / 3
    assert perf["failures"] == {"failed: RuntimeError": 1}
    assert perf["ttt"]["tokens_per_second"]["mean"] == 3000.0
    assert perf["memory"]["peak_rss_bytes"] == 320 * 1024 * 1024
    assert perf["profile"]["fits"] is True
    assert [t["task_id"] for t in data["tasks"]] == ["t1", "t2", "t3"]
    assert data["tasks"][0]["attempts"][0]["attempt_1"] == {"source": "program", "sure": True,
                                                            "explanation": "flip left-right", "score": 1.0}
    md = mpath.read_text()
    assert "| pass@2 | 33.33%" in md and "program (sure): flip left-right" in md and "TTT tokens/s" in md


def test_a_batch_stopped_for_memory_says_why() -> None:
    from dataclasses import replace

    summary = sample_summary()
    reason = "stopped for memory: free RAM 90 MB"
    stopped = replace(summary, complete=False, meta={**summary.meta, "stop_reason": reason})
    page = PageStructure(report_html(RunReport.of(stopped)))
    assert page.classes["p.stopped"] == 1
    assert "Stopped early: stopped for memory: free RAM 90 MB" in " ".join(page.text)


def test_chart_axis_reaches_above_the_data() -> None:
    from arc_ttt.adapters.reports.svg import _nice_ticks, chart_svg

    for high in (0.0123, 1.0, 4.5, 286.0, 320.0, 3000.0, 123456.0):
        ticks = _nice_ticks(0.0, high)
        assert ticks[0] <= 0.0 and ticks[-1] >= high and len(ticks) <= 12
    svg = chart_svg([("a", [1.0, 2.0]), ("b", [3.0])], title="t", y_label="y")
    assert svg.count('class="series"') == 2 and svg.count("<circle") == 3


def test_a_task_of_thousands_of_pairs_draws_the_first_twenty(tmp_path: Path) -> None:
    from dataclasses import replace

    from arc_ttt.domain.arc.task import Example, Task

    summary = sample_summary()
    first = summary.tasks[0]
    many = Task(first.id, tuple(Example(Grid.of([[i % 10]]), Grid.of([[1]])) for i in range(3_000)), first.test)
    page = PageStructure(report_html(RunReport.of(replace(summary, tasks=(many, *summary.tasks[1:])))))
    assert page.articles[first.id]["div.pair"] == 20
    assert "and 2,980 more pairs, not drawn" in " ".join(page.text)
