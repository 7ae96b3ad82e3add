"""The policies of the techniques beyond plain TTT, with fakes: the confidence stopping rule and its
rounds, the scoring combination, entropy steps and the predict/correct shortcut."""

from __future__ import annotations

import math

import pytest

from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.augmentation import Augmentation
from arc_ttt.domain.ttt.examples import TTTExample
from arc_ttt.domain.ttt.service import TTTModelService
from arc_ttt.domain.ttt.techniques.confidence import extra_views, interleaved
from arc_ttt.domain.ttt.techniques.entropy import sharpen
from arc_ttt.domain.ttt.techniques.predict_correct import PredictCorrectBackend, fit_line
from arc_ttt.domain.ttt.techniques.scoring import combine, score_candidates
from arc_ttt.domain.ttt.training import TrainingOrchestrator
from arc_ttt.domain.ttt.voting import Tally, Vote
from tests.builders import (
    confidence_rule,
    entropy_policy,
    notes_of,
    predict_correct_policy,
    scoring_options,
    service_options,
    training_policy,
)
from tests.fakes import FakeClock, FakeModelBackend

A = Grid.of([[1]])
B = Grid.of([[2]])
C = Grid.of([[3]])


def votes(*pairs: tuple[str, Grid | None]) -> list[Vote]:
    return [Vote(group, grid) for group, grid in pairs]


# --- confidence ---------------------------------------------------------------------------------------
def test_no_stop_before_the_minimum_views_even_when_unanimous() -> None:
    rule = confidence_rule(min_views=4, agreement=0.5, margin=1)
    assert not rule.settled(votes(("a", A), ("b", A), ("c", A)))
    assert rule.settled(votes(("a", A), ("b", A), ("c", A), ("d", A)))


def test_agreement_counts_abstentions_against_the_leader() -> None:
    rule = confidence_rule(min_views=4, agreement=0.75, margin=99)
    assert rule.settled(votes(("a", A), ("b", A), ("c", A), ("d", B)))
    assert not rule.settled(votes(("a", A), ("b", A), ("c", None), ("d", None)))  # 2 of 4


def test_margin_of_symmetries_won_stops_a_split_raw_vote() -> None:
    rule = confidence_rule(min_views=6, agreement=1.0, margin=2)
    # A wins symmetries a, b, c; B is predicted three times but only inside d (one symmetry): 3 - 1 >= 2
    split = votes(("a", A), ("b", A), ("c", A), ("d", B), ("d", B), ("d", B))
    assert rule.settled(split)
    close = votes(("a", A), ("b", A), ("c", B), ("d", B), ("e", C), ("f", C))
    assert not rule.settled(close)


def test_nothing_valid_never_settles() -> None:
    assert not confidence_rule(min_views=1).settled(votes(("a", None), ("b", None)))


def test_interleaving_puts_one_view_of_every_symmetry_first() -> None:
    plan = [Augmentation(d) for d in (Dihedral.IDENTITY, Dihedral.IDENTITY, Dihedral.ROT90, Dihedral.ROT90)]
    assert [v.group for v in interleaved(plan)] == [plan[0].group, plan[2].group, plan[0].group, plan[2].group]


def test_extra_views_are_new_samples_of_the_same_symmetries() -> None:
    plan = [Augmentation(Dihedral.IDENTITY), Augmentation(Dihedral.ROT90)]
    extra = extra_views(plan, 6, num_examples=3, seed="t")
    assert len(extra) == 6
    assert {v.dihedral for v in extra} == {Dihedral.IDENTITY, Dihedral.ROT90}
    keys = {(v.key, v.order) for v in plan + extra}
    assert len(keys) == 8


def a_task(tests: int = 1) -> Task:
    pairs = tuple(Example(Grid.of([[i, 0], [0, i]]), Grid.of([[i, 0], [0, i]])) for i in (1, 2, 3))
    return Task("t", pairs, tuple(Example(Grid.of([[4, 0], [0, 4]])) for _ in range(tests)))


class Plan:
    """A strategy with a fixed list of views and no training data (the service then reuses nothing and
    trains on nothing, which the orchestrator allows)."""

    def __init__(self, views: list[Augmentation]) -> None:
        self.views = views

    def dataset(self, task: Task):  # type: ignore[no-untyped-def]
        from arc_ttt.domain.ttt.examples import TTTDataset

        return TTTDataset(())

    def inference_views(self, task: Task) -> list[Augmentation]:
        return self.views


def eight_views() -> list[Augmentation]:
    return [Augmentation(d) for d in list(Dihedral)[:4] for _ in range(2)]


def test_a_confident_input_stops_after_the_first_round() -> None:
    backend = FakeModelBackend()  # answers the query input: every view agrees
    service = TTTModelService(backend, Plan(eight_views()), training_policy(max_steps=0), FakeClock(),
                              options=service_options(confidence=confidence_rule(round_views=4, min_views=4)))
    solution = service.solve(a_task(), 60)
    assert backend.generated == 4
    assert notes_of(solution).predictions == 4
    assert solution.candidates[0][0].grid == Grid.of([[4, 0], [0, 4]])


def test_a_split_input_gets_extra_rounds_up_to_the_cap() -> None:
    answers = iter([A, B, C] * 20)
    backend = FakeModelBackend(answer=lambda ex: next(answers))
    rule = confidence_rule(round_views=4, min_views=4, agreement=0.9, margin=4, max_views=12)
    service = TTTModelService(backend, Plan(eight_views()), training_policy(max_steps=0), FakeClock(),
                              options=service_options(confidence=rule))
    service.solve(a_task(), 60)
    assert backend.generated == 12


def test_rounds_stop_at_the_deadline() -> None:
    clock = FakeClock(tick=10.0)
    answers = iter([A, B, C] * 20)
    backend = FakeModelBackend(answer=lambda ex: next(answers))
    rule = confidence_rule(round_views=2, min_views=2, agreement=1.0, margin=8, max_views=16)
    service = TTTModelService(backend, Plan(eight_views()), training_policy(max_steps=0), clock,
                              options=service_options(confidence=rule))
    service.solve(a_task(), 25)
    assert backend.generated < 16


# --- scoring -----------------------------------------------------------------------------------------
def test_combination_adds_log_votes_to_summed_log_probability() -> None:
    tallies = [Tally(A, 3, 6), Tally(B, 2, 2), Tally(C, 1, 1)]
    ranked = combine(tallies, {A: -10.0, B: -8.0, C: -7.5}, vote_weight=1.0)
    # A: -10 + ln 6 = -8.21; B: -8 + ln 2 = -7.31; C: -7.5 + ln 1 = -7.5
    assert [r.grid for r in ranked] == [B, C, A]
    assert ranked[0].combined == pytest.approx(-8.0 + math.log(2))


def test_vote_weight_zero_is_pure_likelihood_and_large_weight_is_pure_votes() -> None:
    tallies = [Tally(A, 3, 6), Tally(B, 1, 1)]
    assert [r.grid for r in combine(tallies, {A: -9.0, B: -5.0}, 0.0)] == [B, A]
    assert [r.grid for r in combine(tallies, {A: -9.0, B: -5.0}, 100.0)] == [A, B]


def test_unscored_candidates_rank_last_in_vote_order_and_ties_keep_vote_order() -> None:
    tallies = [Tally(A, 2, 2), Tally(B, 2, 2), Tally(C, 1, 1)]
    ranked = combine(tallies, {A: None, B: -3.0, C: -3.0 + math.log(2)}, 1.0)
    assert [r.grid for r in ranked] == [B, C, A]
    assert [r.grid for r in combine(tallies, {}, 1.0)] == [A, B, C]


def test_candidates_are_scored_in_each_views_frame_and_summed() -> None:
    seen: list[TTTExample] = []

    def score(example: TTTExample) -> float:
        seen.append(example)
        return -1.0 if example.query.output == example.query.input else -5.0

    backend = FakeModelBackend(score=score)
    task = a_task()
    identity_answer = task.test[0].input
    views = [Augmentation(Dihedral.IDENTITY), Augmentation(Dihedral.ROT90)]
    scores = score_candidates(backend, task, task.test[0].input, [identity_answer, A], views)
    assert scores == {identity_answer: -2.0, A: -10.0}
    assert backend.scored == 4
    rotated = views[1].apply_grid(task.test[0].input)
    assert any(e.query.input == rotated and e.query.output == rotated for e in seen)


def test_a_missing_score_in_any_view_leaves_the_candidate_unscored() -> None:
    backend = FakeModelBackend(score=lambda ex: None if ex.query.output == A else -1.0)
    task = a_task()
    scores = score_candidates(backend, task, task.test[0].input, [A, B], [Augmentation()])
    assert scores == {A: None, B: -1.0}


def test_the_service_picks_attempts_by_combined_score() -> None:
    # votes: A wins (6 of 8), B next; the model finds B far likelier than A under every view
    answers = iter([A, A, A, B, A, A, A, B])
    backend = FakeModelBackend(answer=lambda ex: next(answers),
                               score=lambda ex: -1.0 if ex.query.output == B else -20.0)
    service = TTTModelService(backend, Plan(eight_views()), training_policy(max_steps=0), FakeClock(),
                              options=service_options(scoring=scoring_options(candidates=3, views=2)))
    solution = service.solve(a_task(), 60)
    assert [c.grid for c in solution.candidates[0]] == [B, A]
    first, second = solution.candidates[0]
    assert first.score >= second.score  # an ensemble sorting by score keeps the combined order
    assert notes_of(solution).scored == 4


# --- entropy -----------------------------------------------------------------------------------------
def test_entropy_steps_update_the_adapter_on_generated_answers() -> None:
    backend = FakeModelBackend()
    report = sharpen(backend, a_task(tests=2), eight_views(), entropy_policy(steps=3, learning_rate=1e-4, views=2))
    assert (report.steps, report.answers, backend.entropy_steps, backend.updates) == (3, 4, 3, 3)
    assert backend.learning_rates == [1e-4] * 3
    assert report.entropy_first is not None and report.entropy_last is not None
    assert report.entropy_last < report.entropy_first


def test_entropy_skips_when_no_answer_is_a_grid() -> None:
    backend = FakeModelBackend(answer=lambda ex: None)
    report = sharpen(backend, a_task(), eight_views(), entropy_policy())
    assert report.stop_reason == "no answers" and backend.updates == 0


def test_the_service_runs_entropy_steps_after_training() -> None:
    backend = FakeModelBackend()
    service = TTTModelService(backend, Plan(eight_views()), training_policy(max_steps=0), FakeClock(),
                              options=service_options(entropy=entropy_policy(steps=2)))
    entropy = notes_of(service.solve(a_task(), 60)).entropy
    assert entropy is not None and entropy.steps == 2 and backend.updates == 2


# --- predict/correct ---------------------------------------------------------------------------------
def test_line_fit_is_exact_on_a_line() -> None:
    slope, intercept, worst = fit_line([(0, 4.0), (1, 3.0), (2, 2.0)])
    assert (slope, intercept) == pytest.approx((-1.0, 4.0)) and worst == pytest.approx(0.0)


def linear_examples(n: int) -> list[TTTExample]:
    return [TTTExample((), Example(Grid.of([[i % 10]]), Grid.of([[i % 10]]))) for i in range(n)]


def test_predictable_descent_skips_every_other_step_after_warmup() -> None:
    # loss falls on a line with the update counter; repeated updates count as updates too
    inner = FakeModelBackend(loss=lambda b: 10.0 - 0.5 * b.updates)
    shortcut = PredictCorrectBackend(inner, predict_correct_policy(warmup=3, window=3, tolerance=0.01, max_skips=1))
    policy = training_policy(max_steps=9, batch_size=2, micro_batch_size=1, warmup_steps=0, eval_every=0)
    report = TrainingOrchestrator(shortcut, FakeClock(), policy).fit(linear_examples(8))
    assert report.steps == 9 and inner.updates == 9
    # real steps 0,1,2 then predicted 3, real 4, predicted 5, real 6, predicted 7, real 8
    assert shortcut.predicted_steps == 3 and shortcut.real_steps == 6
    assert len(inner.repeats) == 3 and len(inner.micro_batches) == 12  # 6 real steps x 2 micro-batches
    assert report.train_tokens == 6 * 20  # skipped steps process no tokens


def test_repeat_is_scaled_to_the_current_learning_rate() -> None:
    inner = FakeModelBackend(loss=lambda b: 10.0 - 0.5 * b.updates)
    shortcut = PredictCorrectBackend(inner, predict_correct_policy(warmup=2, window=2, tolerance=0.01))
    example = linear_examples(1)
    for lr in (1.0, 1.0):
        shortcut.accumulate(example, 1.0)
        shortcut.apply_update(lr)
    shortcut.accumulate(example, 1.0)
    shortcut.apply_update(0.5)
    assert inner.repeats == [0.5]


def test_a_noisy_loss_is_never_predicted() -> None:
    noisy = [5.0, 3.0, 4.5, 2.0, 4.0, 1.5, 3.9, 1.0, 3.5, 0.9]
    inner = FakeModelBackend(loss=lambda b: noisy[b.updates % len(noisy)])
    shortcut = PredictCorrectBackend(inner, predict_correct_policy(warmup=3, window=3, tolerance=0.05))
    policy = training_policy(max_steps=10, batch_size=1, micro_batch_size=1, warmup_steps=0, eval_every=0,
                             spike_factor=100.0)
    TrainingOrchestrator(shortcut, FakeClock(), policy).fit(linear_examples(4))
    assert shortcut.predicted_steps == 0 and inner.repeats == []


def test_a_correction_off_the_line_needs_a_fresh_warmup() -> None:
    losses = iter([10.0, 9.0, 8.0, 2.0, 1.9, 1.8, 1.7, 1.6, 1.5, 1.4])
    inner = FakeModelBackend(loss=lambda b: next(losses))
    shortcut = PredictCorrectBackend(inner, predict_correct_policy(warmup=3, window=3, tolerance=0.02))
    example = linear_examples(1)
    modes = []
    for _ in range(8):
        before = shortcut.predicted_steps
        shortcut.accumulate(example, 1.0)
        shortcut.apply_update(1.0)
        modes.append("p" if shortcut.predicted_steps > before else "r")
    # real x3, predicted, real (2.0: far off the line 10,9,8 -> 6) resets, three real steps, predicted
    assert "".join(modes) == "rrrprrrp"


def test_a_restore_forgets_the_trend() -> None:
    inner = FakeModelBackend(loss=lambda b: 10.0 - 0.5 * b.updates)
    shortcut = PredictCorrectBackend(inner, predict_correct_policy(warmup=2, window=2, tolerance=0.01))
    example = linear_examples(1)
    for _ in range(2):
        shortcut.accumulate(example, 1.0)
        shortcut.apply_update(1.0)
    shortcut.import_adapter(inner.export_adapter())
    shortcut.accumulate(example, 1.0)
    shortcut.apply_update(1.0)
    assert shortcut.predicted_steps == 0


def test_the_service_notes_predicted_steps() -> None:
    from arc_ttt.domain.ttt.examples import TTTDataset

    class Data(Plan):
        def dataset(self, task: Task) -> TTTDataset:  # type: ignore[override]
            return TTTDataset(tuple(linear_examples(6)))

    backend = FakeModelBackend(loss=lambda b: 10.0 - 0.5 * b.updates)
    policy = training_policy(max_steps=8, batch_size=1, micro_batch_size=1, warmup_steps=0, eval_every=0)
    service = TTTModelService(backend, Data(eight_views()), policy, FakeClock(),
                              options=service_options(predict_correct=predict_correct_policy(warmup=3, window=3)))
    training = notes_of(service.solve(a_task(), 60)).training
    assert training is not None and training.steps == 8 and training.predicted_steps >= 2
