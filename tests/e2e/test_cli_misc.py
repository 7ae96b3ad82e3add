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
