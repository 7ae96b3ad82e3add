"""SolveBatch: every task of a source through a solver, resumable, always ending in a full submission."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from arc_ttt.adapters.persistence.files import write_json_atomic
from arc_ttt.application.use_cases.runners import BatchRunner, BatchWork
from arc_ttt.domain.attempts import fallback_attempts
from arc_ttt.domain.errors import TaskFormatError
from arc_ttt.domain.ports import (
    Clock,
    ProgressListener,
    ReportWriter,
    ResultStore,
    RunSummary,
    Solver,
    TaskSource,
)
from arc_ttt.domain.results import TaskResult
from arc_ttt.domain.scoring import SetScore, score_set
from arc_ttt.domain.solving import out_of_time_result, solve_task
from arc_ttt.domain.submission import submission_json
from arc_ttt.domain.task import Task

SUBMISSION_FILE = "submission.json"


@dataclass(frozen=True)
class SolveRequest:
    source: TaskSource
    out_dir: Path
    time_budget: float
    task_time_limit: float
    limit: int | None = None
    resume: bool = False
    task_ids: Sequence[str] | None = None


@dataclass
class SolveOutcome:
    out_dir: Path
    submission_path: Path
    results: list[TaskResult]
    problems: tuple[TaskFormatError, ...]
    score: SetScore | None
    reports: list[Path] = field(default_factory=list)
    complete: bool = True


class _SilentProgress:
    def started(self, total: int, already_done: int) -> None: ...
    def task_done(self, result: TaskResult) -> None: ...
    def finished(self) -> None: ...


def select_tasks(tasks: Sequence[Task], limit: int | None, task_ids: Sequence[str] | None) -> list[Task]:
    chosen = list(tasks)
    if task_ids:
        wanted = set(task_ids)
        missing = wanted - {t.id for t in chosen}
        if missing:
            raise ValueError(f"task ids not in the source: {', '.join(sorted(missing))}")
        chosen = [t for t in chosen if t.id in wanted]
    if limit is not None:
        chosen = chosen[: max(0, limit)]
    return chosen


class SolveBatch:
    def __init__(
        self,
        solver: Solver,
        store_factory: Callable[[Path], ResultStore],
        clock: Clock,
        report_writers: Sequence[ReportWriter] = (),
        progress: ProgressListener | None = None,
        runner: BatchRunner | None = None,
    ) -> None:
        self.solver = solver
        self.store_factory = store_factory
        self.clock = clock
        self.report_writers = list(report_writers)
        self.progress = progress or _SilentProgress()
        self.runner = runner  # None: solve in this process, one task after another

    def __call__(self, request: SolveRequest) -> SolveOutcome:
        started = self.clock.now()
        loaded = request.source.load()
        tasks = select_tasks(loaded.tasks, request.limit, request.task_ids)
        out_dir = Path(request.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        store = self.store_factory(out_dir)
        try:
            if not request.resume and hasattr(store, "clear"):
                store.clear()
            done = store.final_task_ids() if request.resume else set()
            todo = [t for t in tasks if t.id not in done]
            self.progress.started(len(tasks), len(tasks) - len(todo))
            complete = True
            try:
                if self.runner is None:
                    self._run(todo, store, deadline=started + request.time_budget, limit=request.task_time_limit)
                else:
                    budget_left = started + request.time_budget - self.clock.now()
                    work = BatchWork(request.source, out_dir, todo, budget_left, request.task_time_limit)
                    self.runner.run(work, store, self.progress)
            except KeyboardInterrupt:
                complete = False
            results = self._results_for(tasks, store)
        finally:
            store.close()
            self.progress.finished()
        if not getattr(self.runner, "primary", True):  # a secondary rank: rank 0 writes the outputs
            return SolveOutcome(out_dir, out_dir / SUBMISSION_FILE, results, loaded.problems, None, [], complete)
        return self._finish(request, out_dir, tasks, results, loaded.problems, started, complete)

    def _run(self, todo: list[Task], store: ResultStore, *, deadline: float, limit: float) -> None:
        for task in todo:
            remaining = deadline - self.clock.now()
            if remaining <= 0:
                result = out_of_time_result(task, self.solver.name)
            else:
                result = solve_task(self.solver, task, time_limit=min(limit, remaining), clock=self.clock)
            store.record(result)
            self.progress.task_done(result)

    @staticmethod
    def _results_for(tasks: list[Task], store: ResultStore) -> list[TaskResult]:
        wanted = {t.id for t in tasks}
        return [r for r in store.results() if r.task_id in wanted]

    def _finish(
        self,
        request: SolveRequest,
        out_dir: Path,
        tasks: list[Task],
        results: list[TaskResult],
        problems: tuple[TaskFormatError, ...],
        started: float,
        complete: bool,
    ) -> SolveOutcome:
        attempts = {r.task_id: r.attempts for r in results}
        for task in tasks:  # an interrupted batch still leaves a complete submission behind
            attempts.setdefault(task.id, fallback_attempts(task))
        submission_path = out_dir / SUBMISSION_FILE
        write_json_atomic(submission_path, submission_json(attempts))
        solutions = {t.id: t.solutions() for t in tasks if t.has_solutions}
        score = None
        if solutions:
            score = score_set({tid: [a.grids for a in att] for tid, att in attempts.items()}, solutions)  # type: ignore[arg-type]
        summary = RunSummary(
            source=request.source.name,
            solver=self.solver.name,
            tasks=tuple(tasks),
            results=tuple(results),
            problems=problems,
            wall_seconds=self.clock.now() - started,
            complete=complete,
        )
        reports: list[Path] = []
        for writer in self.report_writers:
            reports.extend(Path(p) for p in writer.write(out_dir, summary))
        return SolveOutcome(out_dir, submission_path, results, problems, score, reports, complete)
