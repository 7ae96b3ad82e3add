"""A live progress bar for batches: tasks done, tasks per second, and the running score."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from arc_ttt.domain.solving.results import TaskResult


class RichProgress:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress = Progress(
            TextColumn("[bold]solving"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[score]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task_id: int | None = None
        self._scored = 0
        self._solved = 0.0
        self._done_now = 0

    def started(self, total: int, already_done: int) -> None:
        if already_done:
            self.console.print(f"resuming: {already_done} of {total} tasks already finished")
        self._progress.start()
        self._task_id = self._progress.add_task("solve", total=total, completed=already_done, rate="", score="")

    def task_done(self, result: TaskResult) -> None:
        self._done_now += 1
        if result.score is not None:
            self._scored += 1
            self._solved += result.score
        assert self._task_id is not None
        elapsed = self._progress.tasks[0].elapsed or 1e-9
        score = f"pass@2 {100 * self._solved / self._scored:.1f}%" if self._scored else ""
        self._progress.update(self._task_id, advance=1, rate=f"{self._done_now / elapsed:.2f} tasks/s", score=score)

    def finished(self) -> None:
        self._progress.stop()
