"""MeasureLift: what TTT adds beyond program search on ARC training tasks, measured the way a run is made, and
kept beside the model so that the default run gives TTT time only where it has paid (see `domain.ttt.lift`).

The same tasks are solved twice, each into its own run folder (so either run can be resumed or read on its own):
by program search alone, and by the ensemble with TTT always given its share. A task counts as right when every
one of its test outputs is among its two attempts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from arc_ttt.application.use_cases.solve_batch import SolveOutcome, SolveRequest
from arc_ttt.domain.errors import ArcTttError
from arc_ttt.domain.ttt.lift import TTTLift
from arc_ttt.domain.ttt.ports import LiftRecords

SolveRun = Callable[[SolveRequest], SolveOutcome]
PROGRAM_RUN, TTT_RUN = "program", "with-ttt"  # the two run folders under the measurement's folder


class LiftMeasurementError(ArcTttError):
    """The two runs do not make a measurement: the tasks have no known outputs, or the runs scored different tasks."""


class RunCutShort(LiftMeasurementError):
    """A run ended before its last task (a signal, memory, the store): its finished tasks are saved."""


@dataclass(frozen=True)
class LiftRequest:
    """`solve` is the request both runs share; its `out_dir` is the measurement's folder (the runs go in
    `program/` and `with-ttt/` under it). `dataset` and `command` are what the record says of the measurement."""

    solve: SolveRequest
    model: str
    dataset: str
    command: str
    record: bool = False


@dataclass(frozen=True)
class LiftOutcome:
    lift: TTTLift
    program: SolveOutcome
    with_ttt: SolveOutcome
    recorded_at: str | None  # where the record was written (None: not asked to, or not recorded)
    gained: tuple[str, ...]  # tasks right with TTT and not by program search alone
    lost: tuple[str, ...]  # the other way round


class MeasureLift:
    def __init__(self, program: SolveRun, with_ttt: SolveRun, records: LiftRecords) -> None:
        self.program, self.with_ttt, self.records = program, with_ttt, records

    def __call__(self, request: LiftRequest) -> LiftOutcome:
        if request.record:
            self.records.ensure_recordable(request.model)
        folder = Path(request.solve.out_dir)
        program = self.program(replace(request.solve, out_dir=folder / PROGRAM_RUN))
        _check(program, "program search alone")
        with_ttt = self.with_ttt(replace(request.solve, out_dir=folder / TTT_RUN))
        _check(with_ttt, "the ensemble with TTT")
        right_program, right_ttt = _right(program), _right(with_ttt)
        tasks = _scored(program)
        if _scored(with_ttt) != tasks:
            raise LiftMeasurementError(f"the two runs in {folder} scored different tasks; run again with --resume "
                                       "so that both finish the same set")
        lift = TTTLift(request.dataset, len(tasks), len(right_program), len(right_ttt), request.command)
        recorded = self.records.record(request.model, lift) if request.record else None
        return LiftOutcome(lift, program, with_ttt, recorded, tuple(sorted(right_ttt - right_program)),
                           tuple(sorted(right_program - right_ttt)))


def _check(outcome: SolveOutcome, what: str) -> None:
    if not outcome.complete:
        reason = outcome.stop_reason or outcome.store_failure or "interrupted"
        raise RunCutShort(f"{what} did not finish ({reason}): nothing is recorded; run again with --resume "
                                   f"to go on from {outcome.out_dir}")
    if outcome.score is None or not outcome.score.per_task:
        raise LiftMeasurementError(f"{what}: no task with known test outputs was solved, so nothing can be counted "
                                   "(measure on a set that ships its solutions, e.g. arc1/training)")


def _scored(outcome: SolveOutcome) -> frozenset[str]:
    assert outcome.score is not None
    return frozenset(outcome.score.per_task)


def _right(outcome: SolveOutcome) -> frozenset[str]:
    """Tasks whose every test output was among the attempts."""
    assert outcome.score is not None
    return frozenset(task for task, score in outcome.score.per_task.items() if score >= 1.0)


def training_set(dataset: str, known: Sequence[str]) -> str:
    """`dataset` when it is an embedded *training* set; a ValueError otherwise: a lift measured on an evaluation
    set would be tuned on the tasks it is later solved on."""
    if dataset not in known:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(known)}")
    if not dataset.endswith("/training"):
        raise ValueError(f"{dataset} is not a training set: the lift is measured on ARC training tasks, never on the "
                         "tasks a run is then scored on")
    return dataset
