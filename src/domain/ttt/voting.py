"""Hierarchical voting over predictions made under several augmentations.

Each augmented view of a task gives one prediction (already mapped back to the original frame).
Views that share a transform (the same symmetry, different colors or demonstration order) first vote
among themselves; the winners of each transform then vote across transforms. A grid that many
different transforms agree on is stronger evidence than many samples of one transform, which may
share one systematic error.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from arc_ttt.domain.arc.grid import Grid


@dataclass(frozen=True, slots=True)
class Vote:
    group: str
    grid: Grid | None  # None: the view produced no valid grid, which abstains


@dataclass(frozen=True, slots=True)
class Tally:
    grid: Grid
    group_votes: int  # transforms whose own vote this grid won (ties count for every tied grid)
    total_votes: int  # raw predictions of this grid, across every view

    @property
    def votes(self) -> int:
        return self.group_votes


def hierarchical_vote(votes: Iterable[Vote], top: int = 2) -> list[Tally]:
    """The `top` grids ranked by transforms won, then raw votes, then first appearance."""
    by_group: dict[str, Counter[Grid]] = defaultdict(Counter)
    totals: Counter[Grid] = Counter()
    first_seen: dict[Grid, int] = {}
    for index, vote in enumerate(votes):
        if vote.grid is None:
            continue
        by_group[vote.group][vote.grid] += 1
        totals[vote.grid] += 1
        first_seen.setdefault(vote.grid, index)
    won: Counter[Grid] = Counter()
    for counts in by_group.values():
        best = max(counts.values())
        for grid, count in counts.items():
            if count == best:
                won[grid] += 1
    ranked = sorted(totals, key=lambda g: (-won[g], -totals[g], first_seen[g]))
    return [Tally(g, won[g], totals[g]) for g in ranked[:top]]
