from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.programs.program_search import ProgramNote
from arc_ttt.domain.solving.ensemble import EnsemblePolicy, EnsembleSolver, merge_candidates
from arc_ttt.domain.solving.notes import PartNote, PartOutcome, TaskNotes
from arc_ttt.domain.ttt.notes import TTTNote
from tests.builders import ensemble_policy, grid, symmetry_task
from tests.fakes import FakeClock, ScriptedSolver

A, B, C = grid("1"), grid("2"), grid("3")
TASK = symmetry_task("t", Dihedral.ROT90)


def policy(**changes: object) -> EnsemblePolicy:
    """The settings' defaults, except that the second solver runs however little time is left (tasks here get 10 s)."""
    return ensemble_policy(**{"min_second_seconds": 0.0, **changes})


def _sol(*cands: Candidate, held_out: float | None = 1.0, notes: object = None) -> TaskSolution[object]:
    """A solution that earned its place on the task's held-out pairs unless `held_out` says otherwise."""
    return TaskSolution((cands,), notes, held_out_exact=held_out)


def _said(solution: TaskSolution[TaskNotes], part: str, outcome: PartOutcome) -> list[str]:
    """What the ensemble noted about `part` with `outcome`."""
    assert solution.notes is not None
    return [p.detail for p in solution.notes.parts if (p.part, p.outcome) == (part, outcome)]


def _recurring_output_task() -> Task:
    """Outputs of one fixed shape, one of them twice: both are fallback guesses, R first."""
    r, s = grid("12", "34"), grid("56", "78")
    return Task("t", (Example(grid("1"), r), Example(grid("2"), s), Example(grid("3"), r)), (Example(grid("4")),))


def test_sure_first_answers_skip_the_expensive_second_solver() -> None:
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0, sure=True))}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(B, "ttt", 5.0))}, name="ttt")
    result = EnsembleSolver(first, second, FakeClock(), policy()).solve(TASK, 10.0)
    assert second.calls == []
    assert [c.grid for c in result.candidates[0]] == [A]
    assert _said(result, "ttt", PartOutcome.SKIPPED) == ["first solver sure on every test input"]


def test_unsure_tasks_go_to_the_second_solver_with_the_remaining_time() -> None:
    clock = FakeClock()
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0))}, clock, seconds=2.0, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(B, "ttt", 5.0), Candidate(A, "ttt", 1.0))}, name="ttt")
    result = EnsembleSolver(first, second, clock, policy(first_share=0.5)).solve(TASK, 10.0)
    assert first.calls == [("t", 5.0)] and second.calls == [("t", 8.0)]
    ranked = result.candidates[0]
    # shares: the program is all for A (1.0); TTT gives B 5/6 and A 1/6: agreement puts A first
    assert [c.grid for c in ranked] == [A, B]
    assert ranked[0].source == "program+ttt" and abs(ranked[0].score - (1.0 + 1 / 6)) < 1e-9
    assert abs(ranked[1].score - 5 / 6) < 1e-9


def test_sure_candidates_outrank_any_vote_count() -> None:
    merged = merge_candidates([[Candidate(A, "program", 0.1, sure=True)], [Candidate(B, "ttt", 99.0)]])
    assert [c.grid for c in merged] == [A, B]


def test_a_failing_member_does_not_silence_the_other() -> None:
    first = ScriptedSolver({"t": RuntimeError("search crashed")}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(C, "ttt", 3.0))}, name="ttt")
    result = EnsembleSolver(first, second, FakeClock(), policy()).solve(TASK, 10.0)
    assert [c.grid for c in result.candidates[0]] == [C]
    assert result.notes is not None
    assert result.notes.failures == (PartNote("program", PartOutcome.FAILED, "RuntimeError: search crashed"),)


def test_a_member_returning_garbage_is_a_failed_part() -> None:
    first = ScriptedSolver({"t": "not a solution"}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(C, "ttt", 3.0))}, name="ttt")
    result = EnsembleSolver(first, second, FakeClock(), policy()).solve(TASK, 10.0)
    assert _said(result, "program", PartOutcome.FAILED) == ["returned str"]


def test_both_members_notes_are_gathered_with_the_ensembles_own() -> None:
    program, ttt = ProgramNote(0, None, 1.5), TTTNote("tiny", views=8, predictions=8, seconds=2.0)
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0), notes=program)}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(B, "ttt", 1.0), notes=ttt)}, name="ttt")
    result = EnsembleSolver(first, second, FakeClock(), policy()).solve(TASK, 10.0)
    assert result.notes == TaskNotes(program=program, ttt=ttt,
                                     parts=(PartNote("ttt", PartOutcome.RANKED, "before the fallback guesses"),))
    outer = EnsembleSolver(ScriptedSolver({"t": result}, name="program+ttt"),
                           ScriptedSolver({"t": RuntimeError("gone")}, name="other"), FakeClock(),
                           policy()).solve(TASK, 10.0)
    assert outer.notes is not None and outer.notes.program == program and outer.notes.ttt == ttt
    assert [(p.part, p.outcome) for p in outer.notes.parts] == [("ttt", PartOutcome.RANKED),
                                                                ("other", PartOutcome.FAILED)]


def test_scores_become_shares_of_each_solver_total() -> None:
    from arc_ttt.domain.solving.ensemble import normalise

    assert [c.score for c in normalise([Candidate(A, "ttt", 3.0), Candidate(B, "ttt", 1.0)])] == [0.75, 0.25]
    assert [c.score for c in normalise([Candidate(A, "x", 0.0), Candidate(B, "x", 0.0)])] == [0.5, 0.5]


def test_the_second_solver_only_fills_places_the_first_left() -> None:
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 0.6), Candidate(B, "program", 0.4))}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(C, "ttt", 10.0))}, name="ttt")
    kept = EnsembleSolver(first, second, FakeClock(), policy()).solve(TASK, 10.0)
    assert [c.grid for c in kept.candidates[0]] == [A, B, C]
    voted = EnsembleSolver(first, second, FakeClock(), policy(first_keeps_its_places=False)).solve(TASK, 10.0)
    assert [c.grid for c in voted.candidates[0]] == [C, A, B]


def test_the_second_solver_is_skipped_when_too_little_time_is_left() -> None:
    clock = FakeClock()
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0))}, clock, seconds=3.0, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(B, "ttt", 1.0))}, name="ttt")
    result = EnsembleSolver(first, second, clock, policy(min_second_seconds=8.0)).solve(TASK, 10.0)
    assert second.calls == [] and _said(result, "ttt", PartOutcome.SKIPPED) == ["7.0 s left, under 8 s"]
    assert [c.grid for c in result.candidates[0]] == [A]


def test_an_unchecked_second_solver_comes_after_the_fallback_guesses() -> None:
    task = _recurring_output_task()
    recurring, other = task.train[0].output, task.train[1].output
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0))}, name="program")
    wild = grid("98", "76")
    for held_out in (None, 0.25):
        second = ScriptedSolver({"t": _sol(Candidate(wild, "ttt", 5.0), held_out=held_out)}, name="ttt")
        result = EnsembleSolver(first, second, FakeClock(), policy()).solve(task, 10.0)
        assert [c.grid for c in result.candidates[0]] == [A, recurring, other, wild]
        (ranked,) = _said(result, "ttt", PartOutcome.RANKED)
        assert ranked.startswith("after the fallback guesses")
    earned = ScriptedSolver({"t": _sol(Candidate(wild, "ttt", 5.0), held_out=0.5)}, name="ttt")
    result = EnsembleSolver(first, earned, FakeClock(), policy()).solve(task, 10.0)
    assert [c.grid for c in result.candidates[0]] == [A, wild]
    assert _said(result, "ttt", PartOutcome.RANKED) == ["before the fallback guesses"]


def test_agreeing_with_a_fallback_guess_adds_to_it() -> None:
    task = _recurring_output_task()
    other = task.train[1].output
    first = ScriptedSolver({"t": _sol()}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(other, "ttt", 1.0), held_out=None)}, name="ttt")
    ranked = EnsembleSolver(first, second, FakeClock(), policy()).solve(task, 10.0).candidates[0]
    # the guesses' shares are 2/3 and 1/3; TTT's whole share goes to the second guess, which now leads
    assert [c.grid for c in ranked] == [other, task.train[0].output]
    assert ranked[0].source == "fallback+ttt"


def test_trust_threshold_off_lets_the_second_solver_fill_every_place_left() -> None:
    task = _recurring_output_task()
    wild = grid("98", "76")
    first = ScriptedSolver({"t": _sol()}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(wild, "ttt", 1.0), held_out=None)}, name="ttt")
    ranked = EnsembleSolver(first, second, FakeClock(), policy(trust_second_at=None)).solve(task, 10.0)
    assert [c.grid for c in ranked.candidates[0]] == [wild]


def test_tiers_keep_earlier_groups_ahead_whatever_the_scores() -> None:
    low, high = Candidate(A, "fallback", 0.1), Candidate(B, "ttt", 0.9)
    assert [c.grid for c in merge_candidates([[low], [high]])] == [B, A]
    assert [c.grid for c in merge_candidates([[low], [high]], (0, 1))] == [A, B]
    # a later group agreeing with an earlier one lifts the shared grid within its tier
    merged = merge_candidates([[Candidate(C, "program", 0.5)], [low], [Candidate(A, "ttt", 0.2), high]], (0, 1, 2))
    assert [(c.grid, c.source) for c in merged] == [(C, "program"), (A, "fallback+ttt"), (B, "ttt")]


def test_an_unchecked_second_solver_stays_behind_the_guesses_when_answers_are_voted_together() -> None:
    task = _recurring_output_task()
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0))}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(B, "ttt", 50.0), held_out=0.0)}, name="ttt")
    voted = EnsembleSolver(first, second, FakeClock(), policy(first_keeps_its_places=False))
    assert [c.grid for c in voted.solve(task, 10.0).candidates[0]] == [A, *(ex.output for ex in task.train[:2]), B]
