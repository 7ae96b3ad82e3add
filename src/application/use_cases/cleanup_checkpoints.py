"""CleanupCheckpoints: apply the domain's cleanup policy to any checkpoint repository."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from arc_ttt.domain.checkpoints.policy import CleanupPlan, CleanupPolicy, plan_cleanup
from arc_ttt.domain.checkpoints.ports import CheckpointInfo, CheckpointRepository


@dataclass(frozen=True)
class CleanupOutcome:
    plan: CleanupPlan
    deleted: tuple[CheckpointInfo, ...]  # empty on a dry run


class CleanupCheckpoints:
    def __init__(self, repository: CheckpointRepository) -> None:
        self.repository = repository

    def __call__(self, policy: CleanupPolicy, task_ids: Iterable[str] | None = None,
                 *, dry_run: bool = False) -> CleanupOutcome:
        """The size cap counts only the tasks in scope (all tasks when `task_ids` is None)."""
        wanted = set(task_ids) if task_ids else None
        infos = [i for i in self.repository.find() if wanted is None or i.task_id in wanted]
        plan = plan_cleanup(infos, policy)
        if dry_run:
            return CleanupOutcome(plan, ())
        deleted = tuple(i for i in plan.delete if self.repository.delete(i.task_id, i.version))
        return CleanupOutcome(plan, deleted)
