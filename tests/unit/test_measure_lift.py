"""MeasureLift: two runs over the same tasks, counted whole-task right, recorded only when asked and only when
both runs finished."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from arc_ttt.application.use_cases.measure_lift import (
    LiftMeasurementError,
    LiftRequest,
    MeasureLift,
    RunCutShort,
    training_set,
)
from arc_ttt.application.use_cases.solve_batch import SolveOutcome, SolveRequest
from arc_ttt.domain.arc.scoring import SetScore
from arc_ttt.domain.errors import ArcTttError
from arc_ttt.domain.ttt.lift import TTTLift
from tests.fakes import InMemoryLiftRecords, InMemoryTaskSource


class ScoredRun:
    """A solve run that answers with fixed per-task scores and remembers the folders it was given."""

    def __init__(self, scores: Mapping[str, float] | None, complete: bool = True) -> None:
        self.scores, self.complete = scores, complete
        self.folders: list[Path] = []

    def __call__(self, request: SolveRequest) -> SolveOutcome:
        self.folders.append(Path(request.out_dir))
        score = SetScore(dict(self.scores), ()) if self.scores is not None else None
        return SolveOutcome(Path(request.out_dir), Path(request.out_dir) / "submission.json", [], (), score,
                            complete=self.complete)


def _request(tmp_path: Path, record: bool = True) -> LiftRequest:
    solve = SolveRequest(InMemoryTaskSource([]), tmp_path / "lift", time_budget=60, task_time_limit=10)
    return LiftRequest(solve, "models/m", "arc1/training", "arc-ttt measure-lift --model models/m", record)


def test_tasks_right_are_counted_whole_and_the_record_is_kept(tmp_path: Path) -> None:
    program = ScoredRun({"a": 1.0, "b": 0.5, "c": 0.0, "d": 1.0})
    with_ttt = ScoredRun({"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.0})
    records = InMemoryLiftRecords()
    outcome = MeasureLift(program, with_ttt, records)(_request(tmp_path))
    assert outcome.lift == TTTLift("arc1/training", 4, 2, 3, "arc-ttt measure-lift --model models/m")
    assert outcome.gained == ("b", "c") and outcome.lost == ("d",)
    assert records.lift_of("models/m") == outcome.lift and outcome.recorded_at == "memory:models/m"
    assert program.folders == [tmp_path / "lift" / "program"] and with_ttt.folders == [tmp_path / "lift" / "with-ttt"]


def test_without_record_nothing_is_written(tmp_path: Path) -> None:
    records = InMemoryLiftRecords()
    outcome = MeasureLift(ScoredRun({"a": 0.0}), ScoredRun({"a": 0.0}), records)(_request(tmp_path, record=False))
    assert outcome.recorded_at is None and records.lifts == {} and not outcome.lift.lifts


@pytest.mark.parametrize(("program", "with_ttt", "error", "said"), [
    (ScoredRun({"a": 1.0}, complete=False), ScoredRun({"a": 1.0}), RunCutShort, "program search alone did not"),
    (ScoredRun({"a": 1.0}), ScoredRun({"a": 1.0}, complete=False), RunCutShort, "the ensemble with TTT did not"),
    (ScoredRun(None), ScoredRun({"a": 1.0}), LiftMeasurementError, "no task with known test outputs"),
    (ScoredRun({"a": 1.0}), ScoredRun({"a": 1.0, "b": 0.0}), LiftMeasurementError, "scored different tasks"),
])
def test_a_run_that_does_not_make_a_measurement_records_nothing(
        tmp_path: Path, program: ScoredRun, with_ttt: ScoredRun, error: type[Exception], said: str) -> None:
    records = InMemoryLiftRecords()
    with pytest.raises(error, match=said):
        MeasureLift(program, with_ttt, records)(_request(tmp_path))
    assert records.lifts == {}


def test_a_cut_short_first_run_does_not_start_the_second(tmp_path: Path) -> None:
    with_ttt = ScoredRun({"a": 1.0})
    with pytest.raises(RunCutShort, match="--resume"):
        MeasureLift(ScoredRun({"a": 1.0}, complete=False), with_ttt, InMemoryLiftRecords())(_request(tmp_path))
    assert with_ttt.folders == []


def test_a_model_that_cannot_keep_a_record_is_refused_before_any_run(tmp_path: Path) -> None:
    program = ScoredRun({"a": 1.0})
    with pytest.raises(ArcTttError, match="cannot keep a record"):
        MeasureLift(program, ScoredRun({"a": 1.0}), InMemoryLiftRecords(read_only=frozenset({"models/m"})))(
            _request(tmp_path))
    assert program.folders == []  # nothing was solved for a record that could not be written


def test_only_an_embedded_training_set_is_measured_on() -> None:
    known = ["arc1/training", "arc1/evaluation"]
    assert training_set("arc1/training", known) == "arc1/training"
    with pytest.raises(ValueError, match="not a training set"):
        training_set("arc1/evaluation", known)
    with pytest.raises(ValueError, match="unknown dataset"):
        training_set("arc9/training", known)
