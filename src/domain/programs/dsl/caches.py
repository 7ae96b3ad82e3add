"""The search memoises object extraction, panel splits and symmetry completions by image bytes. Those
images belong to one task, so the memos are emptied after each task: a long batch keeps no memory of
earlier tasks (the leak monitor would rightly flag it otherwise)."""

from __future__ import annotations

from arc_ttt.domain.programs.dsl import images, partitions, symmetry


def forget_task_caches() -> None:
    for cached in (images._pieces, partitions._split_by_lines, symmetry._complete, symmetry._candidates):
        cached.cache_clear()
