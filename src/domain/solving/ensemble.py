"""An ensemble of solvers: a fast, checkable solver first, an expensive one only where it is needed.

Program search is cheap and knows when it is sure (a program fits every train pair); test-time training is
expensive and never sure. So the ensemble asks the first solver, keeps its sure answers, and gives the
remaining time to the second solver only when some test input still lacks a sure answer. Each solver's
scores for a test input are first turned into shares of that solver's total (votes and program costs are
not on one scale), then candidates that both propose are merged, their shares added, so agreement between
methods counts as a vote. By default the first solver's answers keep their places and the second's fill
the places left (the second attempt where the first had one answer, both where it had none).

The places left are not empty: without the second solver they would hold the fallback guesses (the train
outputs that fit, `attempts.train_output_guesses`), which are right now and then. A solver that is never
sure takes them only when it earns it on the task itself: when it reproduced held-out demonstrations
exactly (`TaskSolution.held_out_exact`, at least `trust_second_at`). Otherwise its answers come after the
guesses, so adding it never loses an answer the first solver's run would have given.

The second solver gets a task's time only where it can change an answer. The run may switch it off (`SwitchedOff`:
a model with no recorded lift over program search, or the user's word); then each task is answered by the first
solver alone (the batch adds the guesses), and its notes say why the second had no time. When it runs but the
first solver's answers and the guesses already fill both attempts of every test input, an untrusted second
solver's answers could only come after them: a `GatedSolver` is then asked to stop after it prepares (TTT: after
the fit and its held-out check) unless it earned its place, so no time goes to decoding answers that could not be
submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from arc_ttt.domain.arc.attempts import TrainOutputs, train_output_guesses
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.errors import error_line
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.solving.notes import PartNote, PartOutcome, SkipReason, TaskNotes
from arc_ttt.domain.solving.ports import GatedSolver, Solver


@dataclass(frozen=True, kw_only=True)
class EnsemblePolicy:
    """Fields without a default come from the `ensemble` settings, where their defaults are declared once (named there
    for the solvers the application puts first and second: program search, then TTT)."""

    first_share: float = 1.0  # fraction of the task's time limit the first solver may use (it may stop early)
    always_run_second: bool  # also run the second solver when every test input has a sure answer
    first_keeps_its_places: bool = True  # the second solver's answers only fill the places the first left
    min_second_seconds: float  # skip the second solver when less time than this is left for it
    trust_second_at: float | None  # held-out exact share the second solver needs to rank before the
    # fallback guesses (None: it always does)


@dataclass(frozen=True, slots=True)
class SwitchedOff:
    """The place of a part the run gives no time to: its name (as its notes would be named) and why."""

    name: str
    reason: SkipReason
    detail: str


def places_filled(first: Sequence[Candidate], guesses: Sequence[Candidate]) -> bool:
    """Whether the first solver's candidates and the fallback guesses for one test input fill both attempts so that
    nothing a never-sure solver ranked after them could change which two grids are submitted: at least two grids,
    and the third (if any) ranked lower than the second by kind (sure, or the first's), not by score alone (an added
    vote for a grid raises its score, so it could pass one of its own kind)."""
    ranked = merge_candidates([first, guesses], (0, 1))
    if len(ranked) < 2:
        return False
    if len(ranked) == 2:
        return True
    own = {c.grid for c in first}

    def kind(cand: Candidate) -> tuple[bool, bool]:
        return cand.sure, cand.grid in own

    return kind(ranked[1]) != kind(ranked[2])


class _Gate:
    """The question put to a gated second solver after it prepared: go on only if it earned its place (the
    ensemble's trust threshold), since the places are filled otherwise. Remembers its answer, for the notes."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.said = ""

    def __call__(self, held_out_exact: float | None) -> str:
        if held_out_exact is not None and held_out_exact >= self.threshold:
            return ""
        shown = "no held-out check" if held_out_exact is None else f"held-out exact {held_out_exact:.2f}"
        self.said = (f"not decoded: {shown} < {self.threshold:g}, and program answers with the fallback guesses "
                     "fill both attempts of every test input, so its answers could not enter them")
        return self.said


def merge_candidates(groups: Sequence[Sequence[Candidate]], tiers: Sequence[int] = ()) -> tuple[Candidate, ...]:
    """One ranked list from several: sure candidates first, then by summed score; ties keep first-seen order.
    With `tiers` (one number per group), whatever a group proposed ranks before what only groups of a higher
    tier proposed (so those can only add to it, never push its answers out of the two attempts)."""
    merged: dict[Grid, Candidate] = {}
    order: dict[Grid, int] = {}
    tier: dict[Grid, int] = {}
    for index, group in enumerate(groups):
        level = tiers[index] if index < len(tiers) else 0
        for cand in group:
            known = merged.get(cand.grid)
            tier[cand.grid] = min(tier.get(cand.grid, level), level)
            if known is None:
                merged[cand.grid] = cand
                order[cand.grid] = len(order)
            else:
                sources = known.source if cand.source in known.source.split("+") else f"{known.source}+{cand.source}"
                merged[cand.grid] = Candidate(cand.grid, sources, known.score + cand.score, known.sure or cand.sure,
                                              known.explanation or cand.explanation)
    return tuple(sorted(merged.values(), key=lambda c: (not c.sure, tier[c.grid], -c.score, order[c.grid])))


def normalise(candidates: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """Scores as shares of the group's total (equal shares when the solver gave none)."""
    total = sum(max(c.score, 0.0) for c in candidates)
    return tuple(replace(c, score=max(c.score, 0.0) / total if total > 0 else 1.0 / len(candidates))
                 for c in candidates)


def _per_test(solution: TaskSolution[object] | None, n: int) -> list[tuple[Candidate, ...]]:
    if solution is None:
        return [() for _ in range(n)]
    found = list(solution.candidates[:n])
    return [normalise(c) for c in found] + [() for _ in range(n - len(found))]


class EnsembleSolver:
    """A Solver made of two Solvers (the second possibly switched off for the run); see the module docstring."""

    def __init__(self, first: Solver, second: Solver | SwitchedOff, clock: Clock, policy: EnsemblePolicy) -> None:
        self.first, self.second, self.clock = first, second, clock
        self.policy = policy
        self.name = f"{first.name}+{second.name}"

    def solve(self, task: Task, time_limit: float) -> TaskSolution[TaskNotes]:
        start = self.clock.now()
        n = len(task.test)
        first, notes = self._try(self.first, task, time_limit * self.policy.first_share)
        first_cands = _per_test(first, n)
        if isinstance(self.second, SwitchedOff):
            notes = notes.merged(self._part_note(PartOutcome.SKIPPED, self.second.detail, self.second.reason))
            # the first solver's answers as they stand: the batch fills the places left with the same fallback
            # guesses, so the attempts are those of the first solver alone
            return TaskSolution(tuple(merge_candidates([f]) for f in first_cands), notes)
        outputs = TrainOutputs.of(task)
        guesses = [normalise(train_output_guesses(task, i, outputs)) for i in range(n)]
        sure_everywhere = all(any(c.sure for c in cands) for cands in first_cands)
        second_cands: list[tuple[Candidate, ...]] = [() for _ in range(n)]
        second: TaskSolution[object] | None = None
        remaining = time_limit - (self.clock.now() - start)
        enough_time = remaining > max(self.policy.min_second_seconds, 0.0)
        if (self.policy.always_run_second or not sure_everywhere) and enough_time:
            gate = self._gate(first_cands, guesses)
            second, second_notes = self._try(self.second, task, remaining, gate)
            notes = notes.merged(second_notes)
            if gate is not None and gate.said:
                notes = notes.merged(self._part_note(PartOutcome.SKIPPED, gate.said, SkipReason.CANNOT_ENTER))
            second_cands = _per_test(second, n)
        elif sure_everywhere:
            notes = notes.merged(self._part_note(PartOutcome.SKIPPED, "first solver sure on every test input",
                                                 SkipReason.FIRST_SURE))
        else:
            notes = notes.merged(self._part_note(
                PartOutcome.SKIPPED, f"{max(remaining, 0):.1f} s left, under {self.policy.min_second_seconds:g} s",
                SkipReason.LITTLE_TIME))
        second_tier = 1 if self.policy.first_keeps_its_places else 0
        earned, placement = self._earned(second)
        if placement:
            notes = notes.merged(self._part_note(PartOutcome.RANKED, placement))
        if earned:
            merged = tuple(merge_candidates([f, s], (0, second_tier)) for f, s in zip(first_cands, second_cands))
        else:  # the fallback guesses keep the places the first solver left; the second gets what remains
            merged = tuple(merge_candidates([f, g, s], (0, 1, 2))
                           for f, g, s in zip(first_cands, guesses, second_cands))
        return TaskSolution(merged, notes)

    def _gate(self, first_cands: Sequence[Sequence[Candidate]], guesses: Sequence[Sequence[Candidate]]) -> _Gate | None:
        """The gate to hand a gated second solver: only where its untrusted answers would rank after places
        already filled on every test input (see `places_filled`); None where its answers could count anyway."""
        threshold = self.policy.trust_second_at
        if threshold is None or not isinstance(self.second, GatedSolver):
            return None
        if not all(places_filled(f, g) for f, g in zip(first_cands, guesses)):
            return None
        return _Gate(threshold)

    def _part_note(self, outcome: PartOutcome, detail: str, reason: SkipReason | None = None) -> TaskNotes:
        """Notes holding only the ensemble's word on its second part."""
        return TaskNotes(parts=(PartNote(self.second.name, outcome, detail, reason),))

    def _earned(self, second: TaskSolution[object] | None) -> tuple[bool, str]:
        """Whether the second solver's answers may go before the fallback guesses (see the module docstring),
        and where they went, to be noted; empty when the second solver proposed nothing or did not run."""
        threshold = self.policy.trust_second_at
        if second is None or threshold is None:
            return True, ""
        earned = second.held_out_exact is not None and second.held_out_exact >= threshold
        if not any(second.candidates):
            return earned, ""
        return earned, "before the fallback guesses" if earned else (
            "after the fallback guesses: " + ("no held-out check" if second.held_out_exact is None else
                                              f"held-out exact {second.held_out_exact:.2f} < {threshold:g}"))

    @staticmethod
    def _try(solver: Solver, task: Task, limit: float,
             gate: _Gate | None = None) -> tuple[TaskSolution[object] | None, TaskNotes]:
        """The member's solution and notes (asked through `gate` when one is given, and the member is a
        GatedSolver); one member failing must not silence the other, so a failure is a note and no solution."""
        try:
            if gate is not None and isinstance(solver, GatedSolver):
                solution = solver.solve_gated(task, limit, gate)
            else:
                solution = solver.solve(task, limit)
        except Exception as exc:
            return None, TaskNotes(parts=(PartNote(solver.name, PartOutcome.FAILED, error_line(exc)[:300]),))
        if not isinstance(solution, TaskSolution):
            return None, TaskNotes(parts=(PartNote(solver.name, PartOutcome.FAILED,
                                                   f"returned {type(solution).__name__}"),))
        return solution, TaskNotes.of(solution.notes)
