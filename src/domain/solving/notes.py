"""A task's notes: what the solvers and the batch recorded about a task beside its answers, each kind typed
by the capability that knows it (program search, TTT, memory), plus the ensemble's word on each of its parts.
Solvers hand their own kind of note up in `TaskSolution.notes`; `TaskNotes.of` gathers it here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from arc_ttt.domain.programs.program_search import ProgramNote
from arc_ttt.domain.records import json_object, read, read_optional
from arc_ttt.domain.resources.hardware import MemoryReading
from arc_ttt.domain.ttt.notes import TTTNote


class PartOutcome(str, Enum):
    FAILED = "error"  # the part raised or returned no TaskSolution; the task's answers come from the others
    SKIPPED = "skipped"  # the part did not run, or stopped before answering; its `reason` says why
    RANKED = "ranked"  # the part ran; where its answers went against the fallback guesses


class SkipReason(str, Enum):
    """Why the ensemble gave its second part (TTT) no time, or stopped it before it answered: typed, so that the
    run summary counts them without reading the notes' words."""

    NO_LIFT = "no_recorded_lift"  # the model records no lift over program search (ensemble.ttt: auto)
    SWITCHED_OFF = "switched_off"  # ensemble.ttt: never
    FIRST_SURE = "program_search_sure"  # the first solver was sure on every test input
    LITTLE_TIME = "too_little_time"  # less time was left than the part needs
    CANNOT_ENTER = "answers_could_not_enter"  # trained, not trusted, and the places were filled: not decoded


@dataclass(frozen=True, slots=True)
class PartNote:
    """The ensemble's word on one of its parts (named as the part's solver is) for one task."""

    part: str
    outcome: PartOutcome
    detail: str  # the error, why it was skipped, or where it ranked
    reason: SkipReason | None = None  # why it was skipped (None in notes written before reasons were kept)

    def to_json(self) -> dict[str, str]:
        return {"part": self.part, "outcome": self.outcome.value, "detail": self.detail,
                **({"reason": self.reason.value} if self.reason is not None else {})}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> PartNote:
        reason = read_optional(raw, "reason", str)
        return cls(read(raw, "part", str), PartOutcome(read(raw, "outcome", str)), read(raw, "detail", str),
                   SkipReason(reason) if reason is not None else None)


@dataclass(frozen=True, slots=True)
class TaskNotes:
    """Everything recorded about one task beside its answers; each kind at most once."""

    program: ProgramNote | None = None
    ttt: TTTNote | None = None
    memory: MemoryReading | None = None  # added by the batch after the task, not by a solver
    parts: tuple[PartNote, ...] = ()

    @classmethod
    def of(cls, notes: object) -> TaskNotes:
        """The notes a solver handed up in its TaskSolution, gathered: an ensemble's are TaskNotes already,
        a single solver's are its own kind. A solver without notes (None), or with a kind no capability
        here records, leaves none."""
        if isinstance(notes, TaskNotes):
            return notes
        if isinstance(notes, ProgramNote):
            return cls(program=notes)
        if isinstance(notes, TTTNote):
            return cls(ttt=notes)
        return cls()

    def merged(self, later: TaskNotes) -> TaskNotes:
        """These notes with `later`'s added: a kind both have is `later`'s, the parts' notes are all kept."""
        return TaskNotes(later.program or self.program, later.ttt or self.ttt, later.memory or self.memory,
                         self.parts + later.parts)

    @property
    def failures(self) -> tuple[PartNote, ...]:
        return tuple(part for part in self.parts if part.outcome is PartOutcome.FAILED)

    def to_json(self) -> dict[str, object]:
        """The layout results.db keeps (`from_json` reads it back); kinds a task has no note of are left out."""
        kinds = {"program": self.program, "ttt": self.ttt, "memory": self.memory}
        notes: dict[str, object] = {key: note.to_json() for key, note in kinds.items() if note is not None}
        if self.parts:
            notes["parts"] = [part.to_json() for part in self.parts]
        return notes

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> TaskNotes:
        """TypeError, KeyError or ValueError naming the field when a note is not what its kind records."""
        parts = raw.get("parts", [])
        if not isinstance(parts, list):
            raise TypeError(f"parts is {type(parts).__name__}, not a list")
        return cls(
            program=ProgramNote.from_json(json_object(raw["program"], "program")) if "program" in raw else None,
            ttt=TTTNote.from_json(json_object(raw["ttt"], "ttt")) if "ttt" in raw else None,
            memory=MemoryReading.from_json(json_object(raw["memory"], "memory")) if "memory" in raw else None,
            parts=tuple(PartNote.from_json(json_object(part, "a part's note")) for part in parts),
        )
