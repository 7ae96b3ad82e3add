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
    assert [c.grid for c in ranked] == [B, A]  # B: 5 votes; A: 1 + 1, agreement of both methods
    assert ranked[1].source == "program+ttt" and ranked[1].score == 2.0


def test_sure_candidates_outrank_any_vote_count() -> None:
    merged = merge_candidates([[Candidate(A, "program", 0.1, sure=True)], [Candidate(B, "ttt", 99.0)]])
    assert [c.grid for c in merged] == [A, B]


def test_a_failing_member_does_not_silence_the_other() -> None:
    first = ScriptedSolver({"t": RuntimeError("search crashed")}, name="program")
    second = ScriptedSolver({"t": _sol(Candidate(C, "ttt", 3.0))}, name="ttt")
    result = EnsembleSolver(first, second, FakeClock()).solve(TASK, 10.0)
    assert [c.grid for c in result.candidates[0]] == [C]
    assert result.notes["program_error"] == "RuntimeError: search crashed"
