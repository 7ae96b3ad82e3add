"""`import arc_ttt` gives other code the same use cases the CLI uses."""

import subprocess
import sys
from pathlib import Path

import arc_ttt
from arc_ttt.adapters.datasets.catalog import open_source


def test_the_documented_python_api_solves_and_scores(tmp_path: Path) -> None:
    container = arc_ttt.build_container(arc_ttt.load_settings(solve={"solver": "baseline"}))
    outcome = container.solve_batch()(
        arc_ttt.SolveRequest(open_source(dataset="arc1/training"), tmp_path, time_budget=600, task_time_limit=30,
                             limit=10)
    )
    assert len(outcome.results) == 10 and outcome.submission_path.exists()
    assert outcome.score is not None and 0.0 <= outcome.score.score <= 1.0


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = ("import sys, arc_ttt, arc_ttt.domain.solving.ports, arc_ttt.domain.ttt.ports; "
            "print(any(m in sys.modules for m in ('torch','sqlalchemy')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
