"""What a batch checks before and after its work: the run folder, the tasks chosen, resumable results, and
the one-line warnings a batch's failures deserve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.errors import RunFolderError
from arc_ttt.domain.solving.results import TaskResult, TaskStatus

SUBMISSION_FILE = "submission.json"
# where the submission goes when the store could not be read at the end: submission.json may be an earlier
# run's, holding results this run cannot see, and is not replaced by a poorer one
UNSTORED_SUBMISSION_FILE = "submission.unstored.json"


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


def resumable(stored: Sequence[TaskResult], hashes: Mapping[str, str]) -> tuple[set[str], list[str]]:
    """The tasks a resumed run need not solve again: those with a final result stored for the same content
    (a result stored before content was recorded counts as the same). The others, and one line naming the
    tasks whose content changed since their result was stored (they are solved again)."""
    done, changed = set(), []
    for result in stored:
        if result.task_id not in hashes or not result.status.final:
            continue
        if result.task_hash and result.task_hash != hashes[result.task_id]:
            changed.append(result.task_id)
        else:
            done.add(result.task_id)
    if not changed:
        return done, []
    named = ", ".join(repr(task_id) for task_id in changed[:5]) + (f" and {len(changed) - 5} more"
                                                                  if len(changed) > 5 else "")
    return done, [f"{len(changed)} tasks changed since their results were stored ({named}); they are solved again"]
