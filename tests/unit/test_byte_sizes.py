import pytest

from arc_ttt.application.config.settings import load_settings
from arc_ttt.application.config.sizes import format_size, parse_size


@pytest.mark.parametrize(("text", "size"), [
    ("500", 500), (500, 500), ("500MB", 500_000_000), ("2GiB", 2 * 1024**3), ("1.5G", int(1.5 * 1024**3)),
    ("10 kB", 10_000), ("3K", 3072), ("1tb", 10**12),
])
def test_sizes_read_as_people_write_them(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-5", "5 bytes", "2i", -1])
def test_unreadable_sizes_are_errors(text: str | int) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_format_size() -> None:
    assert format_size(88) == "88 B" and format_size(3 * 1024**2) == "3.0 MiB"


def test_checkpoint_settings_read_sizes_and_refuse_keeping_nothing() -> None:
    settings = load_settings(checkpoints={"max_total_size": "20GB", "keep_best": 2})
    assert settings.checkpoints.max_total_size == 20 * 10**9 and settings.checkpoints.keep_best == 2
    assert load_settings().checkpoints.url is None
    with pytest.raises(ValueError):
        load_settings(checkpoints={"keep_best": 0})
