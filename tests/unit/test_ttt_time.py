"""When the ensemble gives TTT time: the recorded lift (`ensemble.ttt`), the decoding gate, and the summary's counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arc_ttt.adapters.models.lift_records import MarkerLiftRecords
from arc_ttt.adapters.models.model_loading import MARKER_FILE, ModelLoadError
from arc_ttt.adapters.reports.summary import summary_markdown
from arc_ttt.application.bootstrap.solver_wiring import build_ensemble
from arc_ttt.application.config.settings import load_settings, locate_model
from arc_ttt.domain.arc.attempts import choose_attempts
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.programs.program_search import ProgramNote
from arc_ttt.domain.solving.ensemble import EnsembleSolver, SwitchedOff, places_filled
from arc_ttt.domain.solving.notes import PartNote, PartOutcome, SkipReason, TaskNotes
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from arc_ttt.domain.solving.run_parts import UNRECORDED, seconds_by_part, ttt_skips
from arc_ttt.domain.solving.ttt_time import ttt_switched_off
from arc_ttt.domain.ttt.lift import TTTLift
from arc_ttt.domain.ttt.notes import TrainingNote, TTTNote
from tests.builders import ensemble_policy, grid, symmetry_task
from tests.fakes import FakeClock, GatedScriptedSolver, InMemoryLiftRecords, ScriptedSolver

A, B, C = grid("1"), grid("2"), grid("3")
R, S = grid("12", "34"), grid("56", "78")
LIFT = TTTLift("arc1/training", 400, right_program=80, right_with_ttt=84, command="make measure-lift")
NO_GAIN = TTTLift("arc1/training", 400, right_program=80, right_with_ttt=80, command="make measure-lift")


def _two_guess_task() -> Task:
    """Outputs of one fixed shape, R twice: two fallback guesses (R, S) for its test input."""
    return Task("t", (Example(grid("1"), R), Example(grid("2"), S), Example(grid("3"), R)), (Example(grid("4")),))


def _sol(*cands: Candidate, held_out: float | None = None) -> TaskSolution[object]:
    return TaskSolution((cands,), None, held_out_exact=held_out)


def _parts(solution: TaskSolution[TaskNotes]) -> tuple[PartNote, ...]:
    assert solution.notes is not None
    return solution.notes.parts


# -- whether the run gives TTT time ---------------------------------------------------------------------------------

def test_auto_gives_ttt_time_only_for_a_model_with_a_recorded_gain() -> None:
    assert ttt_switched_off("auto", "m", LIFT) is None
    for lift in (None, NO_GAIN):
        off = ttt_switched_off("auto", "m", lift)
        assert off is not None and off.reason is SkipReason.NO_LIFT and "records no lift" in off.detail
    assert ttt_switched_off("always", "m", None) is None
    never = ttt_switched_off("never", "m", LIFT)
    assert never is not None and never.reason is SkipReason.SWITCHED_OFF


def test_a_switched_off_ttt_is_never_asked_and_the_answers_are_program_searchs() -> None:
    """The first solver's answers as `--solver program` gives them; the batch fills the places left with the
    fallback guesses, as it does for program search alone."""
    task = _two_guess_task()
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0))}, name="program")
    off = ttt_switched_off("auto", "m", None)
    assert off is not None
    result = EnsembleSolver(first, off, FakeClock(), ensemble_policy()).solve(task, 10.0)
    assert [(c.grid, c.source) for c in result.candidates[0]] == [(A, "program")]
    program_alone = choose_attempts(task, first.answers["t"])  # type: ignore[arg-type]
    assert choose_attempts(task, result) == program_alone and program_alone[0].grids == (A, R)
    assert [(p.part, p.outcome, p.reason) for p in _parts(result)] == [("ttt", PartOutcome.SKIPPED,
                                                                        SkipReason.NO_LIFT)]


def test_the_wiring_builds_the_ttt_solver_only_when_the_run_gives_it_time() -> None:
    built: list[str] = []
    program, ttt = ScriptedSolver({}, name="program"), ScriptedSolver({}, name="ttt")

    def make_ttt() -> ScriptedSolver:
        built.append("ttt")
        return ttt

    model = locate_model(load_settings().ttt.model) or ""
    lifts = InMemoryLiftRecords()
    default = build_ensemble(program, make_ttt, FakeClock(), load_settings(), lifts)
    assert isinstance(default.second, SwitchedOff) and built == [] and lifts.asked == [model]
    always = build_ensemble(program, make_ttt, FakeClock(), load_settings(ensemble={"ttt": "always"}), lifts)
    assert always.second is ttt and built == ["ttt"]
    lifted = build_ensemble(program, make_ttt, FakeClock(), load_settings(), InMemoryLiftRecords({model: LIFT}))
    assert lifted.second is ttt and built == ["ttt", "ttt"]
    never = build_ensemble(program, make_ttt, FakeClock(), load_settings(ensemble={"ttt": "never"}),
                           InMemoryLiftRecords({model: LIFT}))
    assert isinstance(never.second, SwitchedOff) and built == ["ttt", "ttt"]


def test_an_unknown_ensemble_ttt_value_is_refused_naming_the_values() -> None:
    with pytest.raises(ValueError, match=r"auto.*always.*never"):
        load_settings(ensemble={"ttt": "sometimes"})


# -- the decoding gate ----------------------------------------------------------------------------------------------

def test_an_untrusted_ttt_is_not_decoded_where_program_answers_and_guesses_fill_both_places() -> None:
    task = _two_guess_task()
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 2.0), Candidate(B, "program", 1.0))}, name="program")
    second = GatedScriptedSolver({"t": _sol(Candidate(C, "ttt", 5.0), held_out=0.0)}, held_out=0.0, name="ttt")
    result = EnsembleSolver(first, second, FakeClock(), ensemble_policy(min_second_seconds=0.0)).solve(task, 10.0)
    assert len(second.calls) == 1 and second.gate_said[0].startswith("not decoded: held-out exact 0.00 < 0.5")
    skipped = [p for p in _parts(result) if p.outcome is PartOutcome.SKIPPED]
    assert [p.reason for p in skipped] == [SkipReason.CANNOT_ENTER] and "could not enter" in skipped[0].detail
    assert [c.grid for c in result.candidates[0]] == [A, B, R, S]


def test_a_trusted_ttt_is_decoded_and_can_take_the_places() -> None:
    task = _two_guess_task()
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 2.0), Candidate(B, "program", 1.0))}, name="program")
    second = GatedScriptedSolver({"t": _sol(Candidate(C, "ttt", 5.0), held_out=1.0)}, held_out=1.0, name="ttt")
    result = EnsembleSolver(first, second, FakeClock(), ensemble_policy(min_second_seconds=0.0)).solve(task, 10.0)
    assert second.gate_said == [""] and C in [c.grid for c in result.candidates[0]]
    assert not [p for p in _parts(result) if p.outcome is PartOutcome.SKIPPED]


def test_no_gate_where_the_places_are_not_filled_or_ttt_is_always_trusted() -> None:
    task = _two_guess_task()
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0))}, name="program")
    second = GatedScriptedSolver({"t": _sol(Candidate(C, "ttt", 5.0), held_out=0.0)}, held_out=0.0, name="ttt")
    # A, then R and S: TTT agreeing with S could lift it past R, so its answers could still count
    EnsembleSolver(first, second, FakeClock(), ensemble_policy(min_second_seconds=0.0)).solve(task, 10.0)
    assert second.gate_said == [] and len(second.calls) == 1
    two = ScriptedSolver({"t": _sol(Candidate(A, "program", 2.0), Candidate(B, "program", 1.0))}, name="program")
    trusting = ensemble_policy(min_second_seconds=0.0, trust_second_at=None)
    EnsembleSolver(two, second, FakeClock(), trusting).solve(task, 10.0)
    assert second.gate_said == [] and len(second.calls) == 2


def test_places_are_filled_only_when_no_added_vote_can_change_the_two_grids() -> None:
    a, b, c = (Candidate(g, "program", 1.0) for g in (A, B, C))
    r, s = Candidate(R, "fallback", 2.0), Candidate(S, "fallback", 1.0)
    assert places_filled([a, b], [r, s]) and places_filled([a], [r])
    assert not places_filled([a], [r, s]) and not places_filled([a, b, c], []) and not places_filled([a], [])
    assert places_filled([Candidate(A, "program", 1.0, sure=True)], [r, s]) is False
    assert places_filled([Candidate(A, "program", 1.0, sure=True), b], [r, s])


# -- the marker file's record ---------------------------------------------------------------------------------------

def _model_folder(tmp_path: Path, marker: object) -> str:
    (tmp_path / MARKER_FILE).write_text(marker if isinstance(marker, str) else json.dumps(marker))
    return str(tmp_path)


def test_a_recorded_lift_is_read_from_the_marker_file(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path, {"format": "compact", "ttt_lift": LIFT.to_json()})
    assert MarkerLiftRecords().lift_of(folder) == LIFT and LIFT.lifts and not NO_GAIN.lifts


def test_no_marker_no_record_or_a_hub_id_record_no_lift(tmp_path: Path) -> None:
    assert MarkerLiftRecords().lift_of(str(tmp_path)) is None
    assert MarkerLiftRecords().lift_of(_model_folder(tmp_path, {"format": "compact"})) is None
    assert MarkerLiftRecords().lift_of("owner/some-model") is None


def test_a_record_replaces_the_earlier_one_and_keeps_the_marker_s_other_fields(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path, {"format": "compact", "size": "small", "ttt_lift": LIFT.to_json()})
    written = MarkerLiftRecords().record(folder, NO_GAIN)
    assert written == str(tmp_path / MARKER_FILE) and MarkerLiftRecords().lift_of(folder) == NO_GAIN
    marker = json.loads((tmp_path / MARKER_FILE).read_text())
    assert marker["format"] == "compact" and marker["size"] == "small"
    assert [p.name for p in tmp_path.iterdir()] == [MARKER_FILE]  # written in place, no temporary file left


@pytest.mark.parametrize("model", ["owner/some-model", "folder-without-marker"])
def test_a_record_needs_a_model_folder_with_its_marker(tmp_path: Path, model: str) -> None:
    (tmp_path / "folder-without-marker").mkdir()
    where = str(tmp_path / model) if "/" not in model else model
    records = MarkerLiftRecords()
    with pytest.raises(ModelLoadError, match=r"no arc_ttt_model\.json"):
        records.ensure_recordable(where)
    with pytest.raises(ModelLoadError, match=r"no arc_ttt_model\.json"):
        records.record(where, LIFT)


def test_the_shipped_model_records_no_lift() -> None:
    lift = MarkerLiftRecords().lift_of(locate_model(load_settings().ttt.model) or "")
    assert lift is not None and lift.dataset.endswith("/training") and not lift.lifts  # measured, and no gain


@pytest.mark.parametrize(("marker", "said"), [
    ("{not json", "not a readable JSON object"),
    ({"ttt_lift": [1]}, "ttt_lift is list"),
    ({"ttt_lift": {**LIFT.to_json(), "tasks": None}}, "tasks is NoneType, not int"),
    ({"ttt_lift": {k: v for k, v in LIFT.to_json().items() if k != "command"}}, "missing field command"),
    ({"ttt_lift": {**LIFT.to_json(), "right_with_ttt": 401}}, "right_with_ttt is 401, not between 0 and tasks"),
    ({"ttt_lift": {**LIFT.to_json(), "tasks": "400"}}, "tasks is str, not int"),
])
def test_a_damaged_record_is_a_clear_error_naming_the_file(tmp_path: Path, marker: object, said: str) -> None:
    with pytest.raises(ModelLoadError, match=MARKER_FILE) as caught:
        MarkerLiftRecords().lift_of(_model_folder(tmp_path, marker))
    assert said in str(caught.value)


# -- the summary's counts -------------------------------------------------------------------------------------------

def _result(task_id: str, seconds: float, notes: TaskNotes) -> TaskResult:
    return TaskResult(task_id, TaskStatus.SOLVED, (), seconds, "program+ttt", notes=notes)


def _skipped(reason: SkipReason | None) -> PartNote:
    return PartNote("ttt", PartOutcome.SKIPPED, "why", reason)


def test_the_summary_counts_skips_by_reason_and_time_by_part() -> None:
    trained = TrainingNote(100, 3.0, 33.3, 4, "budget")
    results = [
        _result("a", 5.0, TaskNotes(program=ProgramNote(seconds=4.0), parts=(_skipped(SkipReason.NO_LIFT),))),
        _result("b", 5.0, TaskNotes(program=ProgramNote(seconds=1.0), parts=(_skipped(SkipReason.NO_LIFT),))),
        _result("c", 9.0, TaskNotes(program=ProgramNote(seconds=1.0), ttt=TTTNote("m", 8, 0, 7.5, training=trained,
                                                                                  undecoded="not decoded"),
                                    parts=(_skipped(SkipReason.CANNOT_ENTER),))),
        _result("d", 1.0, TaskNotes(parts=(_skipped(None), PartNote("program", PartOutcome.FAILED, "boom")))),
    ]
    assert ttt_skips(results) == {"no_recorded_lift": 2, "answers_could_not_enter": 1, UNRECORDED: 1}
    assert seconds_by_part(results, wall_seconds=25.0) == {"program_search": 6.0, "ttt_training": 3.0,
                                                           "ttt_answering": 4.5, "other_task_work": 6.5,
                                                           "between_tasks": 5.0}
    lines = summary_markdown({
        "source": "s", "solver": "ensemble", "complete": True, "tasks": 4, "tasks_finished": 4,
        "tasks_with_solutions": 0, "pass_at_2": None, "tasks_solved": None, "status_counts": {"solved": 4},
        "seconds_per_task": {"mean": 5.0, "p50": 5.0, "p95": 9.0}, "wall_seconds": 25.0,
        "seconds_by_part": seconds_by_part(results, 25.0), "ttt_skipped": ttt_skips(results), "problems": [],
        "errors": {}})
    assert "| TTT skipped (tasks) | no recorded lift: 2, answers could not enter: 1," in lines
    assert "| time by part | program search: 6.0 s, ttt training: 3.0 s, ttt answering: 4.5 s," in lines


def test_skip_reasons_survive_the_store_and_older_notes_read_without_one() -> None:
    note = _skipped(SkipReason.LITTLE_TIME)
    assert PartNote.from_json(note.to_json()) == note
    assert PartNote.from_json({"part": "ttt", "outcome": "skipped", "detail": "x"}).reason is None
    assert TTTNote.from_json(TTTNote("m", 1, 0, 1.0, undecoded="why").to_json()).undecoded == "why"
    assert symmetry_task("t", Dihedral.ROT90).id == "t"
