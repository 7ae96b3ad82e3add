import json
from pathlib import Path

from tests.e2e.conftest import Cli


def test_datasets_lists_the_embedded_sets(cli: Cli) -> None:
    result = cli("datasets")
    assert result.returncode == 0
    for name in ("arc1/training", "arc1/evaluation", "arc2/evaluation", "kaggle2025/evaluation"):
        assert name in result.stdout


def test_help_names_the_commands(cli: Cli) -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("solve", "evaluate", "datasets"):
        assert command in result.stdout


def test_evaluate_reads_past_an_unreadable_task_and_scores_it_0(cli: Cli, tmp_path: Path) -> None:
    solutions = tmp_path / "solutions.json"
    solutions.write_text(json.dumps({"a": [[[2]]], "b": [[[3]]], "c": [[[4]]]}))
    submission = tmp_path / "submission.json"
    submission.write_text(json.dumps({"a": [{"attempt_1": [[1]], "attempt_2": [[2]]}],
                                      "b": [{"attempt_1": [[3, 3], [3]], "attempt_2": [[3]]}],
                                      "c": [{"attempt_1": [[4]], "attempt_2": [[4]]}]}))
    result = cli("evaluate", str(submission), "--solutions", str(solutions))
    assert result.returncode == 0, result.stderr
    assert "pass@2: 66.67% (2.00 of 3 tasks)" in result.stdout
    assert "unreadable:" in result.stderr and "task b: [0].attempt_1: ragged rows" in result.stderr
