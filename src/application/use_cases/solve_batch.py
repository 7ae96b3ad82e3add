"""SolveBatch: every task of a source through a solver, resumable, always ending in a full submission."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from arc_ttt.application.use_cases.runners import BatchRunner, BatchWork
from arc_ttt.domain.arc.attempts import fallback_attempts
from arc_ttt.domain.arc.ports import TaskSource, TaskSourceSpecs
from arc_ttt.domain.arc.scoring import SetScore, score_set
from arc_ttt.domain.arc.submission import submission_json
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.errors import ArcTttError, TaskFormatError
from arc_ttt.domain.resources.hardware import MemoryReading
from arc_ttt.domain.resources.memory_leaks import LeakMonitor
from arc_ttt.domain.resources.memory_pressure import MemoryPressureGuard
from arc_ttt.domain.resources.ports import Clock, MemoryProbe
from arc_ttt.domain.solving.guard import out_of_time_result, solve_task
from arc_ttt.domain.solving.ports import (
    ProgressListener,
    ReportWriter,
    ResultStore,
    ResultStoreOpener,
    RunFileWriter,
    RunSummary,
    Solver,
)
from arc_ttt.domain.solving.results import TaskResult, TaskStatus

SUBMISSION_FILE = "submission.json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SolveRequest:
    source: TaskSource
    out_dir: Path
    time_budget: float
    task_time_limit: float
    limit: int | None = None
    resume: bool = False
    task_ids: Sequence[str] | None = None
    pace: bool = True  # no task may take more than an equal share of the budget left

    def __post_init__(self) -> None:
        """Refuse a request that could only fail later in an obscure place (code calling the use case
        directly does not go through the command line's checks)."""
        if not callable(getattr(self.source, "load", None)):
            raise TypeError(f"source must be a TaskSource (e.g. open_source(...)), got {type(self.source).__name__}")
        for name in ("time_budget", "task_time_limit"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
        if self.limit is not None and (isinstance(self.limit, bool) or not isinstance(self.limit, int)
                                       or self.limit < 0):
            raise ValueError(f"limit must be a count >= 0 or None, got {self.limit!r}")


@dataclass
class SolveOutcome:
    out_dir: Path
    submission_path: Path
    results: list[TaskResult]
    problems: tuple[TaskFormatError, ...]
    score: SetScore | None
    reports: list[Path] = field(default_factory=list)
    complete: bool = True
    stop_reason: str = ""  # why the batch ended early (memory), empty when it did not
    warnings: list[str] = field(default_factory=list)


class _SilentProgress:
    def started(self, total: int, already_done: int) -> None: ...
    def task_done(self, result: TaskResult) -> None: ...
    def finished(self) -> None: ...


class RunFolderError(ArcTttError, ValueError):
    """The run folder cannot be created or is not a folder; nothing has been solved yet."""


def prepare_run_folder(out_dir: Path, store_files: Sequence[str] = ()) -> Path:
    """Create the run folder before any work, so that a path that cannot hold results fails at once; the
    submission and `store_files` (what the result store keeps in the folder) must not be blocked by a folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RunFolderError(f"run folder {out_dir} is a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"cannot create run folder {out_dir}: {exc.strerror or exc}") from None
    for name in (SUBMISSION_FILE, *store_files):
        if (out_dir / name).exists() and not (out_dir / name).is_file():
            raise RunFolderError(f"{out_dir / name} is in the way: a run writes a file there, and it is a folder "
                                 "(or another non-file)")
    return out_dir


def part_failures(results: Sequence[TaskResult]) -> list[str]:
    """One line per part of a composite solver (an ensemble's notes of its failed parts) that failed on some
    tasks: the tasks still have answers from the other parts, but a user who asked for that part (a
    model that never loaded, say) should hear of it without reading each task's notes."""
    failed: dict[str, list[str]] = {}
    for result in results:
        for failure in result.notes.failures:
            if failure.detail:
                failed.setdefault(failure.part, []).append(failure.detail)
    return [f"{part} failed on {len(errors)} of {len(results)} tasks (their answers come from the other solvers); "
            f"first: {errors[0][:200]}" for part, errors in sorted(failed.items())]


def task_failures(results: Sequence[TaskResult]) -> list[str]:
    """One line when the solver failed on some tasks: each such task has fallback guesses in the submission
    and its error in the summary, but a batch where every task failed the same way (a model that cannot
    load) must not look like a run that merely scored low."""
    failed = [r for r in results if r.status is TaskStatus.FAILED]
    if not failed:
        return []
    return [f"the solver failed on {len(failed)} of {len(results)} tasks (they have fallback guesses); "
            f"first: {failed[0].task_id}: {failed[0].error[:200]}"]


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
        store_factory: ResultStoreOpener,
        clock: Clock,
        report_writers: Sequence[ReportWriter] = (),
        progress: ProgressListener | None = None,
        memory_probe: MemoryProbe | None = None,
        pressure_guard: MemoryPressureGuard | None = None,
        leak_monitor: LeakMonitor | None = None,
        run_meta: Mapping[str, object] | None = None,
        runner: BatchRunner | None = None,
        *,
        run_files: RunFileWriter,
        source_specs: TaskSourceSpecs,
        store_files: Sequence[str] = (),
    ) -> None:
        """`run_files` writes the submission; `source_specs` records the task source, so that a later report can
        draw the tasks again; `store_files` names what the result store keeps in the run folder (results.db)."""
        self.solver = solver
        self.store_factory = store_factory
        self.clock = clock
        self.report_writers = list(report_writers)
        self.progress = progress or _SilentProgress()
        self.memory_probe = memory_probe
        self.pressure_guard = pressure_guard
        self.leak_monitor = leak_monitor
        self.run_meta = dict(run_meta or {})
        self.stop_reason = ""
        self.warnings: list[str] = []
        self.runner = runner  # None: solve in this process, one task after another
        self.run_files = run_files
        self.source_specs = source_specs
        self.store_files = tuple(store_files)

    def __call__(self, request: SolveRequest) -> SolveOutcome:
        started = self.clock.now()
        self.stop_reason, self.warnings = "", []
        out_dir = prepare_run_folder(Path(request.out_dir), self.store_files)
        loaded = request.source.load()
        tasks = select_tasks(loaded.tasks, request.limit, request.task_ids)
        store = self.store_factory(out_dir)
        self._hear(store)
        try:
            if not request.resume:
                store.clear()
            self._save_meta(store, {"source": request.source.name,
                                    "source_spec": self.source_specs.spec_of(request.source),
                                    "solver": self.solver.name, **self.run_meta})
            done = store.final_task_ids() if request.resume else set()
            self._hear(store)
            todo = [t for t in tasks if t.id not in done]
            self.progress.started(len(tasks), len(tasks) - len(todo))
            complete = True
            try:
                if self.runner is None:
                    self._run(todo, store, deadline=started + request.time_budget, limit=request.task_time_limit,
                              pace=request.pace)
                else:
                    budget_left = started + request.time_budget - self.clock.now()
                    work = BatchWork(request.source, out_dir, todo, budget_left, request.task_time_limit)
                    self.runner.run(work, store, self.progress)
            except KeyboardInterrupt:
                complete = False
            results = self._results_for(tasks, store)
            self._hear(store)
            for warning in [*task_failures(results), *part_failures(results)]:
                self._warn(warning)
            self._save_meta(store, {"stop_reason": self.stop_reason, "warnings": self.warnings,
                                    "complete": complete and not self.stop_reason,
                                    "wall_seconds": self.clock.now() - started})
        finally:
            store.close()
            self.progress.finished()
        complete = complete and not self.stop_reason
        if not getattr(self.runner, "primary", True):  # a secondary rank: rank 0 writes the outputs
            return SolveOutcome(out_dir, out_dir / SUBMISSION_FILE, results, loaded.problems, None, [], complete)
        return self._finish(request, out_dir, tasks, results, loaded.problems, started, complete)

    def _run(self, todo: list[Task], store: ResultStore, *, deadline: float, limit: float, pace: bool) -> None:
        """Tasks one after another. With `pace`, a task gets at most the budget left divided by the tasks
        left, so a slow solver cannot starve the end of the batch: every task is tried, and time a quick
        task leaves unused goes to the ones after it."""
        for index, task in enumerate(todo):
            waits = 0
            if not self.stop_reason and self.pressure_guard is not None:
                verdict = self.pressure_guard.check()
                waits = verdict.waits
                if not verdict.proceed:
                    self.stop_reason = verdict.reason
                    self._warn(f"{verdict.reason}; the remaining tasks get fallback attempts")
            remaining = deadline - self.clock.now()
            if self.stop_reason:  # like an out-of-time task: fallback attempts, solved again on --resume
                result = replace(out_of_time_result(task, self.solver.name), error=self.stop_reason)
            elif remaining <= 0:
                result = out_of_time_result(task, self.solver.name)
            else:
                if self.memory_probe is not None:
                    self.memory_probe.reset_peak()
                share = remaining / (len(todo) - index) if pace else remaining
                result = solve_task(self.solver, task, time_limit=min(limit, share), clock=self.clock)
                result = self._with_memory_note(result, index, waits)
            store.record(result)
            self.progress.task_done(result)

    def _with_memory_note(self, result: TaskResult, index: int, waits: int) -> TaskResult:
        """The task's result with a memory reading in its notes, fed to the leak monitor."""
        if self.memory_probe is None:
            return result
        sample = self.memory_probe.sample()
        if self.leak_monitor is not None:
            readings = [("process RSS", sample.rss_bytes), ("CUDA allocated", sample.cuda_allocated_bytes)]
            for what, used in readings:
                warning = self.leak_monitor.observe(index, used, what) if used is not None else None
                if warning:
                    self._warn(warning)
        return replace(result, notes=replace(result.notes, memory=MemoryReading(sample, index, waits)))

    def _hear(self, store: ResultStore) -> None:
        """Pass on what the store had to do (set a damaged file aside, leave out an unreadable row) once."""
        for notice in store.notices:
            if notice not in self.warnings:
                self._warn(notice)

    def _warn(self, message: str) -> None:
        """A warning the caller receives in `SolveOutcome.warnings` (the CLI prints them once, at the end); the
        log gets it at INFO, so that Python's last-resort handler does not print it a second time."""
        log.info(message)
        self.warnings.append(message)

    @staticmethod
    def _save_meta(store: ResultStore, values: Mapping[str, object]) -> None:
        """Run facts a later `arc-ttt report` needs, as strings (JSON for anything else)."""
        for key, value in values.items():
            store.set_meta(key, value if isinstance(value, str) else json.dumps(value, default=str))

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
            if task.id not in attempts:  # not setdefault: it would compute every task's fallbacks
                attempts[task.id] = fallback_attempts(task)
        submission_path = out_dir / SUBMISSION_FILE
        self.run_files.write_json(submission_path, submission_json(attempts))
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
            meta={**self.run_meta, "source_spec": self.source_specs.spec_of(request.source),
                  "stop_reason": self.stop_reason, "warnings": list(self.warnings)},
        )
        reports: list[Path] = []
        for writer in self.report_writers:
            try:
                reports.extend(Path(p) for p in writer.write(out_dir, summary))
            except OSError as exc:  # the submission and results are written; a report that cannot be is a warning
                self._warn(f"a report could not be written in {out_dir}: {exc.strerror or exc}"
                           + (f" ({exc.filename})" if exc.filename else ""))
        return SolveOutcome(out_dir, submission_path, results, problems, score, reports, complete,
                            self.stop_reason, list(self.warnings))
