"""The fast paths compute the same things as the plain ones on a tiny real model: padding-free
equal-length groups give the loss (and gradients) of each episode run alone, and both one batched,
constrained generate call and draft-and-verify decoding give the greedy answers of one plain
`model.generate` call per view."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from arc_ttt.adapters.models.backend import TransformersBackend  # noqa: E402
from arc_ttt.adapters.models.codec import answer_budget  # noqa: E402
from arc_ttt.adapters.models.decoding import GridConstraint, GridGrammar, tokens_needed  # noqa: E402
from arc_ttt.adapters.models.draft_decoding import CellDrafter, decode_one  # noqa: E402
from arc_ttt.adapters.models.encoding import IGNORE, length_groups  # noqa: E402
from arc_ttt.adapters.models.model_loading import build_model  # noqa: E402
from arc_ttt.domain.arc.grid import Grid  # noqa: E402
from arc_ttt.domain.arc.output_shape import predicted_output_shape  # noqa: E402
from arc_ttt.domain.arc.task import Example, Task  # noqa: E402
from arc_ttt.domain.ttt.examples import TTTExample  # noqa: E402
from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy  # noqa: E402
from arc_ttt.domain.ttt.service import view_of  # noqa: E402
from tests.builders import backend_options, data_options  # noqa: E402


def task(seed: int, same_shape: bool) -> Task:
    import random

    rng = random.Random(seed)

    def grid(h: int, w: int) -> Grid:
        return Grid.of([[rng.randrange(10) for _ in range(w)] for _ in range(h)])

    pairs = []
    for _ in range(4):
        h, w = rng.randint(2, 5), rng.randint(2, 5)
        pairs.append(Example(grid(h, w), grid(h, w) if same_shape else grid(rng.randint(1, 4), rng.randint(1, 4))))
    return Task(f"t{seed}", tuple(pairs), (Example(grid(rng.randint(2, 5), rng.randint(2, 5))),))


@pytest.fixture(scope="module")
def backend() -> TransformersBackend:
    # float32 throughout: these tests compare the fast paths with the model's own float32 forward to
    # float32's precision (bf16 base matmuls, on CPUs that have them, are compared within bf16's in
    # test_target_forward.py)
    return TransformersBackend(build_model("tiny", seed=0), backend_options(lora_dropout=0.0, mixed_precision="no"))


def lora_grads(backend: TransformersBackend) -> list[torch.Tensor]:
    return [p.grad.detach().clone() for p in backend.model.parameters() if p.requires_grad and p.grad is not None]


def test_grouped_loss_and_gradients_equal_each_episode_alone(backend: TransformersBackend) -> None:
    # transposed views spell a h x w grid in w x (h + 1) tokens: the batch mixes lengths
    examples = list(MitTTTStrategy(data_options(max_examples=12, holdout=False)).dataset(task(0, False)).train)
    encoded = backend._encode_batch(examples)
    groups = length_groups(encoded)
    assert 1 < len(groups) < len(encoded), "some lengths repeat, some differ"
    assert backend.target_forward, "training runs the target forward (last block at target positions only)"
    backend.new_adapter(3)  # a non-trivial adapter: lora_B starts at zero, so step once first
    backend.accumulate(examples, 1.0)
    backend.apply_update(1e-2)

    backend.discard_gradients()
    fast = float(backend.accumulate(examples, 1.0).loss)
    fast_grads = lora_grads(backend)
    backend.discard_gradients()

    targets = sum(e.target_tokens for e in encoded)
    plain = 0.0
    for item in encoded:  # each episode alone: full logits, no padding, no grouping
        logits = backend.model(input_ids=torch.tensor([item.ids])).logits[0, :-1]
        summed = torch.nn.functional.cross_entropy(logits, torch.tensor(item.labels[1:]), ignore_index=IGNORE,
                                                   reduction="sum")
        (summed / targets).backward()
        plain += float(summed)
    plain_grads = lora_grads(backend)
    backend.discard_gradients()
    assert fast == pytest.approx(plain / targets, rel=1e-5)
    for a, b in zip(fast_grads, plain_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def plain_greedy(backend: TransformersBackend, prompt: TTTExample) -> list[int]:
    """The answer tokens of one plain `model.generate` call (batch 1, the same grid constraint), cut at
    the end token: the reference every fast path must reproduce."""
    from transformers import LogitsProcessorList

    budget = answer_budget(prompt.demonstrations, backend.fmt)
    ids = torch.tensor([backend.encoder.encode(prompt, with_answer=False, reserve=budget + 1).ids])
    shape = predicted_output_shape(prompt.demonstrations, prompt.query.input)
    limit = tokens_needed(shape, budget)
    assert backend._grid_ids is not None
    constraint = GridConstraint(ids.shape[1], backend._grid_ids, [shape], backend._vocab_size, ids.device, [limit])
    backend.model.eval()
    with torch.no_grad():
        out = backend.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                     max_new_tokens=limit, logits_processor=LogitsProcessorList([constraint]),
                                     eos_token_id=backend.tokenizer.eos_token_id,
                                     pad_token_id=backend.tokenizer.pad_token_id)
    tokens = out[0, ids.shape[1]:].tolist()
    return tokens[: tokens.index(backend.tokenizer.eos_token_id) + 1]


def views(t: Task, samples: int = 1) -> list[TTTExample]:
    return [view_of(t, t.test[0].input, v)
            for v in MitTTTStrategy(data_options(inference_samples=samples)).inference_views(t)]


@pytest.fixture(scope="module")
def trained(backend: TransformersBackend) -> TransformersBackend:
    backend.new_adapter(5)
    backend.accumulate(list(MitTTTStrategy(data_options()).dataset(task(1, True)).train)[:2], 1.0)
    backend.apply_update(5e-2)  # move away from the zero-initialised LoRA
    return backend


@pytest.fixture(scope="module")
def lively() -> TransformersBackend:
    """Random weights 20x the usual scale: answers of mixed colors that change with every token before
    them (the trained tiny model answers one color throughout, which a stale or misplaced key in the
    cache would not change)."""
    return TransformersBackend(build_model("tiny", seed=0, initializer_range=0.2),
                               backend_options(lora_dropout=0.0, mixed_precision="no"))


@pytest.mark.parametrize("which", ["trained", "lively"])
def test_batched_and_drafted_generation_equal_one_plain_call_per_view(which: str,
                                                                      request: pytest.FixtureRequest) -> None:
    backend: TransformersBackend = request.getfixturevalue(which)
    drafted_options = backend.options
    assert backend._drafting(), "on a CPU, constrained generation drafts by default"
    for t in (task(1, True), task(2, False)):
        prompts = views(t)
        plain = [backend.fmt.parse_answer(backend.tokenizer.decode(plain_greedy(backend, p), skip_special_tokens=True))
                 for p in prompts]
        drafted = backend.generate(prompts)
        backend.options = replace(drafted_options, draft_tokens=0)
        try:
            batched = backend.generate(prompts)
        finally:
            backend.options = drafted_options
        assert drafted == plain
        assert batched == plain
        for prompt, answer in zip(prompts, batched):
            assert answer is not None, "constrained decoding yields a grid unless time runs out"
            shape = predicted_output_shape(prompt.demonstrations, prompt.query.input)
            if shape is not None:
                assert answer.shape == shape


class Counting:
    """The model, recording how many tokens each forward pass is fed."""

    def __init__(self, model: Any) -> None:
        self.model, self.fed = model, []  # type: list[int]

    def __call__(self, **kwargs: Any) -> Any:
        self.fed.append(kwargs["input_ids"].shape[1])
        return self.model(**kwargs)


@pytest.mark.parametrize("draft", [1, 3, 16])
def test_draft_and_verify_gives_the_plain_greedy_tokens_whatever_the_guesses(lively: TransformersBackend,
                                                                             draft: int) -> None:
    """Guesses from a wrong query and from the right one: the tokens are the plain greedy ones either
    way, and the runs both keep and throw away guesses (the cache is cut back)."""
    backend = lively
    assert backend._grid_ids is not None
    kept = rejected = 0
    for t in (task(1, True), task(4, True), task(2, False)):
        for prompt in views(t, samples=2)[:6]:
            expected = plain_greedy(backend, prompt)
            encoded, shapes, limits = backend._encode_prompts([prompt])
            assert encoded[0] is not None
            for query in (prompt.query.input.rows, ((7, 3, 1), (2, 9, 5))):
                model = Counting(backend.model)
                with torch.no_grad():
                    grammar = GridGrammar.of(shapes[0], limits[0])
                    tokens = decode_one(model, backend.device, list(encoded[0].ids), grammar,
                                        CellDrafter(query, backend._grid_ids), draft, None)
                assert tokens == expected
                verifies = len(model.fed) - 1
                guessed, accepted = sum(model.fed[1:]) - verifies, len(expected) - 1 - verifies
                kept, rejected = kept + accepted, rejected + guessed - accepted
    assert kept > 0 and rejected > 0


def test_an_answer_cut_short_by_time_is_no_answer(backend: TransformersBackend) -> None:
    t = task(3, True)
    prompts = [view_of(t, t.test[0].input, v) for v in MitTTTStrategy(data_options()).inference_views(t)[:2]]
    assert backend.generate(prompts, max_seconds=1e-9) == [None, None]
    drafted = backend.options
    backend.options = replace(drafted, draft_tokens=0)
    try:
        assert backend.generate(prompts, max_seconds=1e-9) == [None, None]
    finally:
        backend.options = drafted
