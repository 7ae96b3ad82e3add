"""Confidence-driven iterative inference: predict in rounds, stop a test input once its vote is settled.

Fixed-round inference spends every view on every test input, although most inputs are settled after
a few views (all transforms agree) and a few stay split. Here the views are generated in rounds; after
each round the hierarchical vote is taken and a stopping rule says whether more views could still
change the two attempts. Inputs that stay split get extra rounds (fresh color/order samples of every
symmetry), up to a cap. The rule is pure so it can be tested without a model.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from arc_ttt.domain.ttt.augmentation import Augmentation, random_color_permutation, random_order
from arc_ttt.domain.ttt.voting import Vote, hierarchical_vote


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfidenceRule:
    """When the vote of one test input is settled.

    `agreement`: share of all views so far (abstentions included) that predicted the leading grid.
    `margin`: symmetries won by the leader minus those won by the runner-up (the runner-up may be
    nobody). Either one reaching its threshold stops, but never before `min_views` views. No defaults here: built
    from `ttt.techniques.confidence`, where they are declared once.
    """

    round_views: int  # views generated per round
    min_views: int  # views before any stop
    agreement: float
    margin: int
    max_views: int  # cap including extra rounds; 0: exactly the data strategy's views

    def __post_init__(self) -> None:
        if self.round_views < 1 or self.min_views < 1:
            raise ValueError("round_views and min_views must be at least 1")
        if not 0.0 < self.agreement <= 1.0:
            raise ValueError("agreement is a share in (0, 1]")

    def settled(self, votes: Sequence[Vote]) -> bool:
        """True when more views are not worth generating for this test input."""
        if len(votes) < self.min_views:
            return False
        tallies = hierarchical_vote(votes, top=2)
        if not tallies:
            return False  # nothing valid yet: keep trying while views remain
        leader = tallies[0]
        runner_up = tallies[1].group_votes if len(tallies) > 1 else 0
        share = leader.total_votes / len(votes)
        return share >= self.agreement or leader.group_votes - runner_up >= self.margin


def interleaved(views: Sequence[Augmentation]) -> list[Augmentation]:
    """Views ordered so each round sees as many different symmetries as possible (the first sample of
    every symmetry, then the second, ...): an early stop then rests on several transforms agreeing."""
    groups: dict[str, list[Augmentation]] = {}
    for view in views:
        groups.setdefault(view.group, []).append(view)
    ordered: list[Augmentation] = []
    depth = 0
    while len(ordered) < len(views):
        for members in groups.values():
            if depth < len(members):
                ordered.append(members[depth])
        depth += 1
    return ordered


def extra_views(views: Sequence[Augmentation], count: int, num_examples: int, seed: str,
                colors: bool = True, shuffle: bool = True) -> list[Augmentation]:
    """`count` more views for inputs the first views left split: fresh color permutations and
    demonstration orders of the same symmetries, in turn, none repeating a view already used."""
    rng = random.Random(seed)
    symmetries = list(dict.fromkeys(v.dihedral for v in views))
    if not symmetries or count <= 0:
        return []
    seen = {(v.key, v.order) for v in views}
    found: list[Augmentation] = []
    attempts = 0
    while len(found) < count and attempts < 20 * count + 50:
        dihedral = symmetries[attempts % len(symmetries)]
        attempts += 1
        palette = random_color_permutation(rng) if colors else views[0].colors
        order = random_order(rng, num_examples) if shuffle and num_examples > 1 else ()
        view = Augmentation(dihedral, palette, order)
        if (view.key, view.order) in seen:
            continue
        seen.add((view.key, view.order))
        found.append(view)
    return found
