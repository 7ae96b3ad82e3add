"""The program solver in worker processes: same answers as in-process, and it stops on time."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arc_ttt.adapters.datasets.json_folder import JsonFolderSource
from arc_ttt.adapters.solvers.program_pool import ProgramPoolSolver
from arc_ttt.application.bootstrap.container import build_container
from arc_ttt.application.config.settings import load_settings
from arc_ttt.domain.programs.program_search import ProgramSearch
from tests.builders import program_search_options, program_solver_config

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples" / "tasks"


@pytest.fixture(scope="module")
def tasks() -> list:
    return sorted(JsonFolderSource(EXAMPLES).load().tasks, key=lambda t: t.id)


def test_two_processes_answer_like_one(tasks: list) -> None:
    options = program_search_options(max_depth=2)
    solver = ProgramPoolSolver(program_solver_config(processes=2, time_limit=None, search=options))
    try:
        for task in tasks:
            split = solver.solve(task.without_solutions(), 60.0)
            whole = ProgramSearch(options).solve(task.without_solutions(), 60.0)
            assert split.candidates == whole.candidates, task.id
    finally:
        solver.close()


def test_a_tiny_time_limit_still_returns_a_solution(tasks: list) -> None:
    solver = ProgramPoolSolver(program_solver_config(processes=2, time_limit=None, grace_seconds=10.0))
    try:
        started = time.monotonic()
        solution = solver.solve(tasks[0].without_solutions(), 0.01)
        assert time.monotonic() - started < 10.0
        assert len(solution.candidates) == len(tasks[0].test)
    finally:
        solver.close()


def test_the_container_builds_the_program_solver_from_settings() -> None:
    settings = load_settings(solve={"solver": "program"}, program={"processes": 1, "max_depth": 2})
    solver = build_container(settings).solver()
    assert solver.name == "program"
    assert solver.processes == 1 and solver.config.search.max_depth == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux only")
def test_the_search_processes_die_with_a_parent_that_is_killed() -> None:
    script = ("from arc_ttt.adapters.solvers.program_pool import ProgramPoolSolver\n"
              "from arc_ttt.application.bootstrap.solver_wiring import program_solver_config\n"
              "from arc_ttt.application.config.settings import ProgramSettings\n"
              "import multiprocessing, time\n"
              "if __name__ == '__main__':\n"
              "    solver = ProgramPoolSolver(program_solver_config(ProgramSettings(processes=2)))\n"
              "    pool = solver._ensure_pool()\n"
              "    pool.apply(time.sleep, (0,))\n"
              "    pool.map_async(time.sleep, [30, 30], chunksize=1)  # both busy, as in a search\n"
              "    time.sleep(0.5)\n"
              "    print(' '.join(str(c.pid) for c in multiprocessing.active_children()), flush=True)\n"
              "    time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    children = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(children) >= 2 and all(_alive(pid) for pid in children)
    parent.send_signal(signal.SIGKILL)  # no chance to close its pool
    parent.wait(10)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in children)


def _alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's zombie is reaped by init, not by this test)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
