"""Augmentation scoring: rank candidate answers by how likely the model finds them under many views.

Voting counts how often greedy decoding lands on a grid. A second, independent signal is the total
log-probability the model gives a candidate as the answer of each augmented task (teacher forcing):
the right answer tends to stay likely under every symmetry and recoloring, while an artefact of one
view does not. This was the largest single gain of the ARC Prize 2024 winners (the ARChitects). The
final two attempts combine both signals with a rule simple enough to test by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.augmentation import Augmentation
from arc_ttt.domain.ttt.examples import TTTExample
from arc_ttt.domain.ttt.ports import ModelBackend
from arc_ttt.domain.ttt.voting import Tally


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoringOptions:
    """No defaults here: built from `ttt.techniques.scoring`, where they are declared once."""

    candidates: int  # best-voted grids per test input that get scored
    views: int  # augmented tasks each candidate is scored under
    vote_weight: float  # nats per unit of ln(raw votes) in the combined score

    def __post_init__(self) -> None:
        if self.candidates < 1 or self.views < 1 or self.vote_weight < 0:
            raise ValueError("candidates and views must be >= 1, vote_weight >= 0")


@dataclass(frozen=True, slots=True)
class Ranked:
    grid: Grid
    combined: float
    tally: Tally
    log_prob: float | None  # summed over the scoring views; None when some view could not score it


def scoring_prompts(task: Task, test_input: Grid, candidate: Grid,
                    views: Sequence[Augmentation]) -> list[TTTExample]:
    """The candidate as the answer of each augmented task (demonstrations and query transformed alike)."""
    return [TTTExample(view.apply_examples(task.train),
                       Example(view.apply_grid(test_input), view.apply_grid(candidate))) for view in views]


def score_candidates(backend: ModelBackend, task: Task, test_input: Grid, grids: Sequence[Grid],
                     views: Sequence[Augmentation]) -> dict[Grid, float | None]:
    """Summed answer log-probability of each grid over `views`, in one batched backend call."""
    prompts = [p for grid in grids for p in scoring_prompts(task, test_input, grid, views)]
    scores = backend.score_answers(prompts) if prompts else []
    result: dict[Grid, float | None] = {}
    for index, grid in enumerate(grids):
        mine = scores[index * len(views) : (index + 1) * len(views)]
        result[grid] = None if any(s is None for s in mine) else float(sum(s for s in mine if s is not None))
    return result


def combine(tallies: Sequence[Tally], log_probs: Mapping[Grid, float | None], vote_weight: float) -> list[Ranked]:
    """Rank by `summed log-prob + vote_weight * ln(raw votes)`, best first.

    ln(votes) acts as a log prior from how often decoding produced the grid, so with vote_weight 1
    the score is the log of (frequency x likelihood under every view). Grids that could not be scored
    rank after all scored ones, in their vote order; equal scores keep the vote order too.
    """
    ranked: list[tuple[tuple[int, float, int], Ranked]] = []
    for order, tally in enumerate(tallies):
        log_prob = log_probs.get(tally.grid)
        if log_prob is None or not math.isfinite(log_prob):
            combined = -math.inf
        else:
            combined = log_prob + vote_weight * math.log(max(1, tally.total_votes))
        key = (0 if math.isfinite(combined) else 1, -combined if math.isfinite(combined) else 0.0, order)
        ranked.append((key, Ranked(tally.grid, combined, tally, log_prob)))
    ranked.sort(key=lambda item: item[0])
    return [r for _, r in ranked]
