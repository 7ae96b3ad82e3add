"""Where a run's time went, and why TTT got none of it on some tasks: figures the run summary states, read from
the typed notes each task keeps (program search's seconds, TTT's fit and total seconds, the ensemble's part notes).

A run that spends a quarter of its time on a part that never adds an answer should say so in its summary, not only
in a benchmark: these counts let a reader see that time went to program search, TTT training, TTT answering, the
rest of each task's work, or nowhere (between tasks: start-up, writing, waiting).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from arc_ttt.domain.solving.notes import PartOutcome
from arc_ttt.domain.solving.results import TaskResult

UNRECORDED = "reason_not_recorded"  # skips noted before reasons were kept


def ttt_skips(results: Sequence[TaskResult]) -> dict[str, int]:
    """Tasks on which the ensemble gave a part no time or stopped it before it answered, by reason (each task
    counted once per reason)."""
    counts: Counter[str] = Counter()
    for result in results:
        reasons = {part.reason.value if part.reason is not None else UNRECORDED
                   for part in result.notes.parts if part.outcome is PartOutcome.SKIPPED}
        counts.update(reasons)
    return dict(counts)


def seconds_by_part(results: Sequence[TaskResult], wall_seconds: float) -> dict[str, float]:
    """Seconds spent on each part over the run's tasks, rounded to 0.1 s. `ttt_answering` is TTT's time beyond
    its fit (decoding the test inputs, and the checks before them); `other_task_work` is a task's time that no
    part's note claims; `between_tasks` is wall time outside every task (with several workers task times overlap,
    so it is 0 there)."""
    program = training = ttt = tasks = 0.0
    for result in results:
        notes = result.notes
        tasks += result.seconds
        if notes.program is not None:
            program += notes.program.seconds
        if notes.ttt is not None:
            ttt += notes.ttt.seconds
            if notes.ttt.training is not None:
                training += notes.ttt.training.train_seconds
    parts = {
        "program_search": program,
        "ttt_training": training,
        "ttt_answering": max(ttt - training, 0.0),
        "other_task_work": max(tasks - program - ttt, 0.0),
        "between_tasks": max(wall_seconds - tasks, 0.0),
    }
    return {name: round(seconds, 1) for name, seconds in parts.items()}
