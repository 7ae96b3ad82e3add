"""Typed task notes: gathered from what solvers hand up, and written as JSON that reads back equal."""

from __future__ import annotations

import json

import pytest

from arc_ttt.domain.programs.program_search import ProgramNote
from arc_ttt.domain.solving.notes import PartNote, PartOutcome, TaskNotes
from arc_ttt.domain.ttt.examples import TrainingReport
from arc_ttt.domain.ttt.notes import EntropyNote, TrainingNote, TTTNote
from arc_ttt.domain.ttt.techniques.entropy import EntropyReport
from tests.builders import full_notes, reused_notes

TTT = TTTNote("tiny", 8, 16, 2.0)


def test_a_solvers_own_kind_of_note_is_gathered_into_its_place() -> None:
    program = ProgramNote(2, "flip", 0.5)
    assert TaskNotes.of(program) == TaskNotes(program=program)
    assert TaskNotes.of(TTT) == TaskNotes(ttt=TTT)
    assert TaskNotes.of(full_notes()) == full_notes()  # an ensemble's notes are gathered already
    assert TaskNotes.of(None) == TaskNotes() and TaskNotes.of("a kind nobody records") == TaskNotes()


def test_merged_notes_keep_every_part_and_the_later_note_of_a_kind() -> None:
    failed = PartNote("ttt", PartOutcome.FAILED, "boom")
    later = TTTNote("other", 2, 2, 1.0)
    merged = TaskNotes(ttt=TTT, parts=(failed,)).merged(TaskNotes(ttt=later, parts=(failed,)))
    assert merged == TaskNotes(ttt=later, parts=(failed, failed)) and merged.failures == (failed, failed)
    assert TaskNotes(ttt=TTT).merged(TaskNotes()).ttt == TTT


@pytest.mark.parametrize("notes", [full_notes(), reused_notes(), TaskNotes(), TaskNotes(ttt=TTT)])
def test_notes_written_as_json_read_back_equal(notes: TaskNotes) -> None:
    assert TaskNotes.from_json(json.loads(json.dumps(notes.to_json()))) == notes


def test_a_fit_is_noted_rounded_with_its_held_out_figures_under_their_stored_names() -> None:
    report = TrainingReport(steps=4, train_tokens=1000, train_seconds=0.123456, stop_reason="max steps",
                            val_loss_before=2.0, val_loss_after=1.123456789, val_exact_after=0.5, predicted_steps=2)
    note = TrainingNote.of(report)
    # the speed comes from the time before rounding
    assert (note.train_seconds, note.tokens_per_second, note.val_loss_after) == (0.123, 8100.1, 1.12346)
    assert note.validation() == {"val_loss_before": 2.0, "val_loss_after": 1.12346, "val_exact": 0.5}
    assert set(note.validation()) == {key for key in report.metrics() if key.startswith("val_")}
    assert note.to_json()["predicted_steps"] == 2
    assert "predicted_steps" not in TrainingNote.of(TrainingReport()).to_json()


def test_entropy_is_noted_with_both_readings_or_neither() -> None:
    measured = EntropyNote.of(EntropyReport(steps=2, tokens=40, entropy_first=1.23456, entropy_last=0.98765,
                                            stop_reason="steps done"))
    assert (measured.first, measured.last) == (1.2346, 0.9877)
    half = EntropyNote.of(EntropyReport(steps=1, entropy_first=1.0, stop_reason="no answers"))
    assert half.first is None and "entropy_first" not in half.to_json()


def test_a_skipped_task_says_why_and_nothing_of_a_fit() -> None:
    skipped = TTTNote("tiny", 2, 0, 0.01, skipped="no test prompt keeps a demonstration in the model's context")
    assert list(skipped.to_json()) == ["model", "skipped", "views", "predictions", "seconds"]
