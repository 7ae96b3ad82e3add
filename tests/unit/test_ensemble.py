from arc_ttt.domain.ensemble import EnsemblePolicy, EnsembleSolver, merge_candidates
from arc_ttt.domain.geometry import Dihedral
from arc_ttt.domain.prediction import Candidate, TaskSolution
from tests.builders import grid, symmetry_task
from tests.fakes import FakeClock, ScriptedSolver

A, B, C = grid("1"), grid("2"), grid("3")
TASK = symmetry_task("t", Dihedral.ROT90)


def _sol(*cands: Candidate) -> TaskSolution:
    return TaskSolution((cands,))


def test_sure_first_answers_skip_the_expensive_second_solver() -> None:
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0, sure=True))}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(B, "ttt", 5.0))}, name="ttt")
    result = EnsembleSolver(first, second, FakeClock()).solve(TASK, 10.0)
    assert second.calls == []
    assert [c.grid for c in result.candidates[0]] == [A]
    assert "ttt_skipped" in result.notes


def test_unsure_tasks_go_to_the_second_solver_with_the_remaining_time() -> None:
    clock = FakeClock()
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0))}, clock, seconds=2.0, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(B, "ttt", 5.0), Candidate(A, "ttt", 1.0))}, name="ttt")
    result = EnsembleSolver(first, second, clock, EnsemblePolicy(first_share=0.5)).solve(TASK, 10.0)
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
    result = EnsembleSolver(first, second, FakeClock()).solve(TASK, 10.0)
    assert [c.grid for c in result.candidates[0]] == [C]
    assert result.notes["program_error"] == "RuntimeError: search crashed"


def test_scores_become_shares_of_each_solver_total() -> None:
    from arc_ttt.domain.ensemble import normalise

    assert [c.score for c in normalise([Candidate(A, "ttt", 3.0), Candidate(B, "ttt", 1.0)])] == [0.75, 0.25]
    assert [c.score for c in normalise([Candidate(A, "x", 0.0), Candidate(B, "x", 0.0)])] == [0.5, 0.5]


def test_the_second_solver_only_fills_places_the_first_left() -> None:
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 0.6), Candidate(B, "program", 0.4))}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(C, "ttt", 10.0))}, name="ttt")
    kept = EnsembleSolver(first, second, FakeClock()).solve(TASK, 10.0)
    assert [c.grid for c in kept.candidates[0]] == [A, B, C]
    voted = EnsembleSolver(first, second, FakeClock(), EnsemblePolicy(first_keeps_its_places=False)).solve(TASK, 10.0)
    assert [c.grid for c in voted.candidates[0]] == [C, A, B]


def test_the_second_solver_is_skipped_when_too_little_time_is_left() -> None:
    clock = FakeClock()
    first = ScriptedSolver({"t": _sol(Candidate(A, "program", 1.0))}, clock, seconds=3.0, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(B, "ttt", 1.0))}, name="ttt")
    result = EnsembleSolver(first, second, clock, EnsemblePolicy(min_second_seconds=8.0)).solve(TASK, 10.0)
    assert second.calls == [] and "ttt_skipped" in result.notes
    assert [c.grid for c in result.candidates[0]] == [A]
