"""The episode encoder drops the earliest demonstrations that do not fit, in time linear in the episode."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from arc_ttt.adapters.models.codec import COMPACT, TEXT, GridFormat
from arc_ttt.adapters.models.encoding import EpisodeEncoder
from arc_ttt.adapters.models.tokenizer import build_compact_tokenizer
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example
from arc_ttt.domain.ttt.examples import TTTExample


def episode(rng: random.Random, demonstrations: int) -> TTTExample:
    def g() -> Grid:
        return Grid.of([[rng.randrange(10) for _ in range(rng.randint(1, 4))]] * rng.randint(1, 4))

    return TTTExample(tuple(Example(g(), g()) for _ in range(demonstrations)), Example(g(), g()))


def one_at_a_time(encoder: EpisodeEncoder, example: TTTExample, with_answer: bool, reserve: int):
    """What the encoder did before: drop one demonstration, encode again."""
    current = example
    while True:
        encoded = encoder._encode_once(current, with_answer)
        if len(encoded.ids) <= encoder.max_length - reserve:
            return encoded
        if not current.demonstrations:
            return None
        current = replace(current, demonstrations=current.demonstrations[1:])


@pytest.mark.parametrize("fmt", [COMPACT, TEXT], ids=lambda f: f.name)
@pytest.mark.parametrize("loss_on", ["query", "outputs"])
def test_drops_the_same_demonstrations_as_dropping_one_at_a_time(fmt: GridFormat, loss_on: str) -> None:
    rng = random.Random(3)
    encoder = EpisodeEncoder(build_compact_tokenizer(), fmt, 120, loss_on)  # type: ignore[arg-type]
    for _ in range(60):
        example, with_answer = episode(rng, rng.randint(0, 12)), rng.random() < 0.5
        reserve = rng.choice([0, 10, 40])
        assert encoder.encode(example, with_answer=with_answer, reserve=reserve) == one_at_a_time(
            encoder, example, with_answer, reserve)


def test_a_long_episode_is_encoded_a_fixed_number_of_times() -> None:
    """Thousands of demonstrations, a context that holds a few: before, each dropped demonstration meant
    encoding the whole episode again (minutes for one prompt of a 10,000-pair task)."""
    encoder = EpisodeEncoder(build_compact_tokenizer(), COMPACT, 200)
    calls = [0]
    real = encoder._encode_once

    def counted(example: TTTExample, with_answer: bool):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return real(example, with_answer)

    encoder._encode_once = counted  # type: ignore[method-assign]
    encoded = encoder.encode(episode(random.Random(0), 3_000), with_answer=False, reserve=20)
    assert encoded is not None and 0 < encoded.demonstrations < 3_000
    assert calls[0] <= 2
