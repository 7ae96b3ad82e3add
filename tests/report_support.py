"""A small run to report on, and a parser that reads back the structure of report.html."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from arc_ttt.domain.arc.attempts import Attempts
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.solution import Candidate
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.resources.hardware import MB, MemoryReading, MemorySample
from arc_ttt.domain.solving.notes import TaskNotes
from arc_ttt.domain.solving.ports import RunSummary
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from arc_ttt.domain.ttt.notes import TrainingNote, TTTNote

A = Grid.of([[1, 2, 0], [0, 3, 4]])
FLIP = Grid.of([[0, 2, 1], [4, 3, 0]])
BLANK = Grid.filled(2, 3)


def sample_summary(with_tasks: bool = True) -> RunSummary:
    """Three tasks: one right (sure program with an explanation), one wrong (TTT figures), one failed."""
    tasks = tuple(Task(tid, (Example(A, FLIP), Example(FLIP, A)), (Example(A, FLIP),)) for tid in ("t1", "t2", "t3"))
    right = Attempts(Candidate(FLIP, "program", 1.0, True, "flip left-right"), Candidate(A, "fallback"))
    wrong = Attempts(Candidate(A, "ttt"), Candidate(BLANK, "ttt"))

    def memory(i: int) -> MemoryReading:
        return MemoryReading(MemorySample((300 + 10 * i) * MB, 8000 * MB), batch_index=i)

    training = TrainingNote(12000, 4.0, 3000.0, 20, "max steps", val_loss_before=1.25, val_loss_after=0.5)
    ttt = TTTNote("tiny", views=8, predictions=8, seconds=4.4, training=training)
    results = (
        TaskResult("t1", TaskStatus.SOLVED, (right,), 0.5, "ensemble", score=1.0, notes=TaskNotes(memory=memory(0))),
        TaskResult("t2", TaskStatus.SOLVED, (wrong,), 4.5, "ensemble", score=0.0,
                   notes=TaskNotes(ttt=ttt, memory=memory(1))),
        TaskResult("t3", TaskStatus.FAILED, (wrong,), 0.1, "ensemble", "RuntimeError: <boom> & more", 0.0,
                   TaskNotes(memory=memory(2))),
    )
    meta = {"hardware": {"cpu_cores": 2, "ram_total_bytes": 8 << 30, "ram_available_bytes": 4 << 30,
                         "cuda_devices": []},
            "profile": {"name": "cpu", "memory_budget_bytes": 10 << 30, "leak_warn_mb_per_task": 1.0},
            "warnings": ["memory grows by 10.00 MB per task"], "stop_reason": ""}
    return RunSummary("memory", "ensemble", tasks if with_tasks else (), results, (), 5.2, True, meta)


class PageStructure(HTMLParser):
    """Counts of tags and classes, ids, and the visible text of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.classes: Counter[str] = Counter()
        self.ids: list[str] = []
        self.external: list[str] = []
        self.text: list[str] = []
        self.articles: dict[str, Counter[str]] = {}
        self._article: str | None = None
        self._depth = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags[tag] += 1
        for c in (a.get("class") or "").split():
            self.classes[f"{tag}.{c}"] += 1
            if self._article is not None:
                self.articles[self._article][f"{tag}.{c}"] += 1
        if a.get("id"):
            self.ids.append(str(a["id"]))
        for key in ("src", "href"):
            value = a.get(key) or ""
            if value and not value.startswith("#"):
                self.external.append(value)
        if tag == "link" or tag == "script":
            self.external.append(tag)
        if tag == "article":
            self._article = str(a.get("data-task"))
            self.articles[self._article] = Counter()
            self._depth = 0
        if self._article is not None and tag == "div":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._article = None

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(data.strip())


def check_structure(page: PageStructure, *, tasks: int, drawn: bool = True) -> None:
    """What every report.html must have; shared by the parser test and the browser test."""
    assert page.tags["h1"] == 1 and page.tags["title"] >= 1 and page.tags["style"] == 1
    assert {"summary", "overview", "charts", "tasks"} <= set(page.ids)
    assert page.external == [], f"the page must be self-contained, found {page.external}"
    assert page.classes["div.kpi"] >= 6
    assert page.classes["a.cell"] == tasks
    assert page.classes["svg.chart"] >= 2
    assert page.tags["article"] == tasks
    if drawn:
        assert page.classes["figure.expected"] >= 1 and page.classes["div.pair"] >= 1
