"""SolveBatch: every task of a source through a solver, resumable, always ending in a full submission."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path

from arc_ttt.application.use_cases.batch_checks import (
    SUBMISSION_FILE,
    UNSTORED_SUBMISSION_FILE,
    part_failures,
    prepare_run_folder,
    resumable,
    select_tasks,
    task_failures,
)
from arc_ttt.application.use_cases.runners import BatchRunner, BatchWork
from arc_ttt.domain.arc.attempts import fallback_attempts
from arc_ttt.domain.arc.ports import TaskSource, TaskSourceSpecs
from arc_ttt.domain.arc.scoring import SetScore, score_set
from arc_ttt.domain.arc.submission import submission_json
from arc_ttt.domain.arc.task import Task, content_hash
from arc_ttt.domain.errors import StoreUnavailableError, TaskFormatError
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
    RunFolderLock,
    RunSummary,
    Solver,
)
from arc_ttt.domain.solving.results import TaskResult

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
        if not isinstance(self.out_dir, str | PathLike) or not str(self.out_dir):
            raise TypeError(f"out_dir must be the run folder's path, got {self.out_dir!r}")
        for name in ("resume", "pace"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.task_ids is not None:
            if isinstance(self.task_ids, str | bytes) or not isinstance(self.task_ids, Iterable):
                raise TypeError(f"task_ids must be a list of task ids (not one string), got {self.task_ids!r}")
            ids = tuple(self.task_ids)
            if not ids:
                raise ValueError("task_ids is empty: name at least one task, or pass None to solve every task")
            if not all(isinstance(task_id, str) for task_id in ids):
                raise TypeError(f"task_ids must be strings, got {ids!r}")
            object.__setattr__(self, "task_ids", ids)


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
    store_failure: str = ""  # why the result store stopped the run (a lock, a read-only file), empty when it did not


class _SilentProgress:
    def started(self, total: int, already_done: int) -> None: ...
    def task_done(self, result: TaskResult) -> None: ...
    def finished(self) -> None: ...


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
        folder_lock: RunFolderLock | None = None,
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
        self.store_failure = ""  # why the result store stopped the run, if it did
        self.warnings: list[str] = []
        self.runner = runner  # None: solve in this process, one task after another
        self.run_files = run_files
        self.source_specs = source_specs
        self.store_files = tuple(store_files)
        self.folder_lock = folder_lock  # one run per folder at a time; None: the caller sees to it
        self._hashes: dict[str, str] = {}
        self._store_read = False  # whether the results of the run's end came from the store (else from memory)

    def __call__(self, request: SolveRequest) -> SolveOutcome:
        started = self.clock.now()
        self.stop_reason, self.store_failure, self.warnings = "", "", []
        self._recorded: dict[str, TaskResult] = {}  # this run's results (and those resumed), whatever the store does
        out_dir = prepare_run_folder(Path(request.out_dir), self.store_files)
        primary = getattr(self.runner, "primary", True)  # under a launcher, rank 0 alone claims the folder and writes
        claim = self.folder_lock.claim(out_dir) if self.folder_lock is not None and primary else nullcontext()
        with claim:
            loaded = request.source.load()
            tasks = select_tasks(loaded.tasks, request.limit, request.task_ids)
            self._hashes = {task.id: content_hash(task) for task in tasks}
            results, complete = self._solve(request, out_dir, tasks, started)
            if not primary:  # a secondary rank: rank 0 writes the outputs
                return SolveOutcome(out_dir, out_dir / SUBMISSION_FILE, results, loaded.problems, None, [], complete)
            try:
                return self._finish(request, out_dir, tasks, results, loaded.problems, started, complete)
            except KeyboardInterrupt:  # while writing: write again, whole (the CLI hears one signal only)
                return self._finish(request, out_dir, tasks, results, loaded.problems, started, False)

    def _solve(self, request: SolveRequest, out_dir: Path, tasks: list[Task],
               started: float) -> tuple[list[TaskResult], bool]:
        """Solve what is left and return every result there is. An interrupt (Ctrl-C, SIGTERM) at any moment,
        or a store that stops answering (a lock that does not clear, a read-only file), ends the work early;
        what is finished is returned all the same, from the store or, failing that, from memory."""
        complete = True
        store: ResultStore | None = None
        try:
            store = self.store_factory(out_dir)  # one that cannot be opened stops the run before any work
            self._hear(store)
            try:
                self._work(request, out_dir, tasks, store, started)
            except KeyboardInterrupt:
                complete = False
            except StoreUnavailableError as exc:
                complete = False
                self.store_failure = str(exc)
            try:
                results = self._results_for(tasks, store)
            except KeyboardInterrupt:  # the signal came after the work: what is in memory is all there is
                complete, results = False, self._results_for(tasks, None)
            if store is not None:
                for warning in [*task_failures(results), *part_failures(results)]:
                    self._warn(warning)
                self._save_final_meta(store, complete and not self.stop_reason and not self.store_failure, started)
        finally:
            try:
                if store is not None:
                    store.close()
                self.progress.finished()
            except KeyboardInterrupt:  # while closing: everything is committed already
                complete = False
        return results, complete and not self.stop_reason and not self.store_failure

    def _work(self, request: SolveRequest, out_dir: Path, tasks: list[Task], store: ResultStore,
              started: float) -> None:
        if not request.resume:
            store.clear()
        self._save_meta(store, {"source": request.source.name,
                                "source_spec": self.source_specs.spec_of(request.source),
                                "solver": self.solver.name, **self.run_meta})
        done: set[str] = set()
        if request.resume:
            stored = store.results()
            done, changed = resumable(stored, self._hashes)
            for warning in changed:
                self._warn(warning)
            self._recorded.update({result.task_id: result for result in stored if result.task_id in done})
        self._hear(store)
        todo = [t for t in tasks if t.id not in done]
        self.progress.started(len(tasks), len(tasks) - len(todo))
        if self.runner is None:
            self._run(todo, store, deadline=started + request.time_budget, limit=request.task_time_limit,
                      pace=request.pace)
        else:
            budget_left = started + request.time_budget - self.clock.now()
            self.runner.run(BatchWork(request.source, out_dir, todo, budget_left, request.task_time_limit),
                            store, self.progress)

    def _save_final_meta(self, store: ResultStore, complete: bool, started: float) -> None:
        """The run's ending, for a later report; a store that cannot take it has already been reported."""
        with suppress(StoreUnavailableError):
            self._save_meta(store, {"stop_reason": self.stop_reason or self.store_failure,
                                    "warnings": self.warnings, "complete": complete,
                                    "wall_seconds": self.clock.now() - started})

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
            self._recorded[result.task_id] = result  # first: a store that fails to take it cannot lose it
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

    def _results_for(self, tasks: list[Task], store: ResultStore | None) -> list[TaskResult]:
        """The results of `tasks` in the store (workers write there too), with this run's own on top; only
        those stored for the task as it is now (see `resumable`). From memory alone when the store is gone."""
        found: dict[str, TaskResult] = {}
        self._store_read = False
        if store is not None:
            try:
                found = {result.task_id: result for result in store.results()}
                self._store_read = True
                self._hear(store)
            except StoreUnavailableError as exc:
                self.store_failure = self.store_failure or str(exc)
        found.update(self._recorded)
        return [found[t.id] for t in tasks if t.id in found
                and found[t.id].task_hash in ("", self._hashes[t.id])]

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
        submission_path = out_dir / SUBMISSION_FILE
        if self.store_failure:
            if not self._store_read:  # an earlier run's submission.json may hold more than this run knows: keep it
                submission_path = out_dir / UNSTORED_SUBMISSION_FILE
            self._warn(f"the result store cannot be used: {self.store_failure}; the run stopped, and "
                       f"{submission_path.name} holds the {len(results)} tasks finished (the others have fallback "
                       "guesses)")
        attempts = {r.task_id: r.attempts for r in results}
        for task in tasks:  # an interrupted batch still leaves a complete submission behind
            if task.id not in attempts:  # not setdefault: it would compute every task's fallbacks
                attempts[task.id] = fallback_attempts(task)
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
                            self.stop_reason, list(self.warnings), self.store_failure)
