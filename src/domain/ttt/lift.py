"""What a model's TTT has shown it adds: the measured lift over program search alone, as its folder records it.

TTT costs a task's time (on a CPU about a quarter of a default run) and only earns it where it adds right answers
that program search and the fallback guesses do not give. Whether a model does is a measurement, taken on ARC
*training* tasks (never the set being solved) the same way a run is made: the same tasks solved by program search
alone and by the ensemble with TTT. A model folder may record that measurement (`ttt_lift` in its marker file);
the ensemble gives TTT time by default only to a model whose record shows a gain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from arc_ttt.domain.records import read


@dataclass(frozen=True, slots=True)
class TTTLift:
    """One measurement of TTT against program search: `tasks` tasks of `dataset`, how many program search alone
    got right and how many the ensemble with TTT did, and the command that measured it (so it can be run again)."""

    dataset: str
    tasks: int
    right_program: int
    right_with_ttt: int
    command: str

    def __post_init__(self) -> None:
        """A record whose figures cannot be counts of these tasks is refused where it is read, not trusted."""
        if self.tasks <= 0:
            raise ValueError(f"tasks is {self.tasks}, not a positive count")
        for name in ("right_program", "right_with_ttt"):
            value = getattr(self, name)
            if not 0 <= value <= self.tasks:
                raise ValueError(f"{name} is {value}, not between 0 and tasks ({self.tasks})")

    @property
    def gain(self) -> int:
        """Tasks right with TTT beyond those program search alone got right (0 or less: no lift)."""
        return self.right_with_ttt - self.right_program

    @property
    def lifts(self) -> bool:
        return self.gain > 0

    def describe(self) -> str:
        return (f"{self.right_with_ttt} of {self.tasks} {self.dataset} tasks right with TTT, "
                f"{self.right_program} with program search alone")

    def to_json(self) -> dict[str, object]:
        return {"dataset": self.dataset, "tasks": self.tasks, "right_program": self.right_program,
                "right_with_ttt": self.right_with_ttt, "command": self.command}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> TTTLift:
        """KeyError, TypeError or ValueError naming the field that is missing or wrong."""
        return cls(read(raw, "dataset", str), read(raw, "tasks", int), read(raw, "right_program", int),
                   read(raw, "right_with_ttt", int), read(raw, "command", str))
