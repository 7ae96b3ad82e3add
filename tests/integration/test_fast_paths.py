"""The fast paths compute the same things as the plain ones on a tiny real model: padding-free
equal-length groups give the loss (and gradients) of each episode run alone, and one batched,
constrained generate call gives the greedy answers of one call per view."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from arc_ttt.adapters.models.backend import TransformersBackend  # noqa: E402
from arc_ttt.adapters.models.encoding import IGNORE, length_groups  # noqa: E402
from arc_ttt.adapters.models.model_loading import build_model  # noqa: E402
from arc_ttt.domain.arc.grid import Grid  # noqa: E402
from arc_ttt.domain.arc.output_shape import predicted_output_shape  # noqa: E402
from arc_ttt.domain.arc.task import Example, Task  # noqa: E402
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


def test_batched_constrained_generation_equals_one_call_per_view(backend: TransformersBackend) -> None:
    backend.new_adapter(5)
    backend.accumulate(list(MitTTTStrategy(data_options()).dataset(task(1, True)).train)[:2], 1.0)
    backend.apply_update(5e-2)  # move away from the zero-initialised LoRA
    for t in (task(1, True), task(2, False)):
        views = MitTTTStrategy(data_options(inference_samples=1)).inference_views(t)
        prompts = [view_of(t, t.test[0].input, v) for v in views]
        batched = backend.generate(prompts)
        one_by_one = [backend.generate([p])[0] for p in prompts]
        assert batched == one_by_one
        for prompt, answer in zip(prompts, batched):
            assert answer is not None, "constrained decoding yields a grid unless time runs out"
            shape = predicted_output_shape(prompt.demonstrations, prompt.query.input)
            if shape is not None:
                assert answer.shape == shape


def test_an_answer_cut_short_by_time_is_no_answer(backend: TransformersBackend) -> None:
    t = task(3, True)
    prompts = [view_of(t, t.test[0].input, v) for v in MitTTTStrategy(data_options()).inference_views(t)[:2]]
    assert backend.generate(prompts, max_seconds=1e-9) == [None, None]
