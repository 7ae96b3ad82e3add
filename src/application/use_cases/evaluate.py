"""EvaluateSubmission: score a submission file against known solutions, the ARC Prize way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from arc_ttt.domain.arc.ports import SubmissionReader, TaskSource
from arc_ttt.domain.arc.scoring import SetScore, score_set
from arc_ttt.domain.arc.submission import parse_submission
from arc_ttt.domain.errors import TaskFormatError


@dataclass(frozen=True)
class Evaluation:
    score: SetScore
    problems: tuple[TaskFormatError, ...]  # solution tasks that could not be read (left out)
    unknown_tasks: tuple[str, ...]  # in the submission, but without solutions in the source
    unreadable: tuple[TaskFormatError, ...] = ()  # submitted tasks whose attempts could not be read (scored 0)


class EvaluateSubmission:
    def __init__(self, reader: SubmissionReader) -> None:
        self.reader = reader

    def __call__(self, submission: Path, solutions: TaskSource) -> Evaluation:
        submitted, unreadable = parse_submission(self.reader.read(Path(submission)), origin=str(submission))
        loaded = solutions.load()
        truths = {t.id: t.solutions() for t in loaded.tasks if t.has_solutions}
        if not truths:
            raise TaskFormatError("no solutions found to score against", origin=solutions.name)
        grids = {tid: [list(pair) for pair in pairs] for tid, pairs in submitted.items()}
        score = score_set(grids, truths)  # type: ignore[arg-type]
        unknown = tuple(sorted(set(submitted) - set(truths)))
        return Evaluation(score, loaded.problems, unknown, tuple(unreadable))
