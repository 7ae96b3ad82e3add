"""The transformers + peft backend on a tiny in-process Llama model with the project's tokenizer."""

from __future__ import annotations

import logging
import random

import pytest
import torch

from arc_ttt.adapters.models.backend import AdapterMismatchError, TransformersBackend
from arc_ttt.adapters.models.model_loading import build_model, init_model, load_model
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example
from arc_ttt.domain.ttt.examples import TTTExample
from tests.backend_probes import episode_logits
from tests.builders import backend_options

TINY = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2}


def flip_example(rng: random.Random) -> Example:
    g = Grid.of([[rng.choice([0, 1, 2, 3]) for _ in range(3)] for _ in range(3)])
    return Example(g, Grid(tuple(row[::-1] for row in g.rows)))


RNG = random.Random(0)
EXAMPLES = [TTTExample((flip_example(RNG), flip_example(RNG)), flip_example(RNG)) for _ in range(4)]
PROBE = EXAMPLES[0]


def backend(**options) -> TransformersBackend:
    return TransformersBackend(build_model("tiny", seed=0, **TINY), backend_options(lora_dropout=0.0, **options))


def train(b: TransformersBackend, steps: int = 3) -> None:
    for _ in range(steps):
        b.accumulate(EXAMPLES, 1.0)
        b.apply_update(0.05)


@pytest.fixture(scope="module")
def trained() -> TransformersBackend:
    b = backend()
    train(b)
    return b


def test_targets_every_linear_layer_of_attention_and_mlp(trained: TransformersBackend) -> None:
    assert trained.targets == ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]


def test_adapter_bytes_round_trip_gives_identical_logits(trained: TransformersBackend) -> None:
    weights = trained.export_adapter()
    before = episode_logits(trained, PROBE)
    trained.new_adapter(seed=1)
    assert not torch.equal(episode_logits(trained, PROBE), before)
    trained.import_adapter(weights)
    assert torch.equal(episode_logits(trained, PROBE), before)


def test_adapter_folder_round_trip_is_safetensors_and_identical(trained: TransformersBackend, tmp_path) -> None:
    before = episode_logits(trained, PROBE)
    weights = trained.export_adapter()
    trained.save_adapter(tmp_path)
    assert (tmp_path / "adapter_model.safetensors").is_file() and not list(tmp_path.glob("*.bin"))
    trained.new_adapter(seed=2)
    trained.load_adapter(tmp_path)
    assert torch.equal(episode_logits(trained, PROBE), before)
    trained.import_adapter(weights)


def test_foreign_or_corrupt_adapter_bytes_are_refused(trained: TransformersBackend) -> None:
    other = backend(lora_rank=4)
    with pytest.raises(AdapterMismatchError):
        trained.import_adapter(other.export_adapter())
    with pytest.raises(AdapterMismatchError):
        trained.import_adapter(b"not safetensors at all")


def test_merge_gives_the_same_logits() -> None:
    b = backend()
    train(b)
    before = episode_logits(b, PROBE)
    b.merge_adapter()
    after = episode_logits(b, PROBE)
    assert torch.allclose(after, before, atol=1e-5, rtol=1e-5)
    assert not any("lora_" in name for name, _ in b.model.named_parameters())


def test_fresh_adapter_per_task_leaves_the_base_untouched() -> None:
    reference = build_model("tiny", seed=0, **TINY).model.eval()
    base_state = {k: v.clone() for k, v in reference.state_dict().items()}
    b = backend()
    ids = torch.tensor([b.encoder.encode(PROBE, with_answer=True).ids])
    with torch.no_grad():
        expected = reference(input_ids=ids).logits
    train(b, steps=4)
    assert not torch.allclose(episode_logits(b, PROBE), expected)
    b.new_adapter(seed=3)
    assert torch.equal(episode_logits(b, PROBE), expected)
    frozen = {k.replace("base_model.model.", "").replace(".base_layer", ""): v
              for k, v in b.model.state_dict().items() if "lora_" not in k}
    assert frozen.keys() == base_state.keys()
    assert all(torch.equal(frozen[k], base_state[k]) for k in base_state)


def test_training_lowers_loss_and_evaluation_counts_target_tokens() -> None:
    b = backend()
    start = b.evaluate(EXAMPLES)
    assert start.tokens == sum(len(ex.query.output.rows) * 4 + 1 for ex in EXAMPLES)  # 3 cells + row end, + eos
    train(b, steps=6)
    assert b.evaluate(EXAMPLES).loss < start.loss


def test_generate_returns_a_grid_or_none_per_prompt(trained: TransformersBackend) -> None:
    prompts = [TTTExample(ex.demonstrations, Example(ex.query.input)) for ex in EXAMPLES[:3]]
    answers = trained.generate(prompts)
    assert len(answers) == 3 and all(a is None or isinstance(a, Grid) for a in answers)


def test_init_model_folder_loads_back_with_the_same_fingerprint(tmp_path, caplog) -> None:
    init_model(tmp_path / "m", size="tiny", seed=5)
    assert (tmp_path / "m" / "model.safetensors").is_file()
    with caplog.at_level(logging.WARNING, logger="arc_ttt.models"):
        loaded = load_model(str(tmp_path / "m"), quantization="8bit" if not torch.cuda.is_available() else "none")
    assert loaded.fmt.name == "compact"
    if not torch.cuda.is_available():
        assert any("needs a CUDA GPU" in r.message for r in caplog.records)
    fresh = build_model("tiny", seed=5)
    from arc_ttt.adapters.models.model_loading import model_fingerprint

    assert model_fingerprint(loaded.model) == model_fingerprint(fresh.model)
    assert model_fingerprint(build_model("tiny", seed=6).model) != model_fingerprint(fresh.model)


def test_missing_model_folder_is_one_clear_error(tmp_path) -> None:
    from arc_ttt.adapters.models.model_loading import ModelLoadError

    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(str(tmp_path / "nope"))


def test_exact_counts_the_held_out_outputs_greedy_decoding_would_reproduce() -> None:
    b = backend()
    for _ in range(120):  # memorise one example, cell for cell
        b.accumulate(EXAMPLES[:1], 1.0)
        b.apply_update(0.01)
    alone = [b.evaluate([ex]) for ex in EXAMPLES]
    together = b.evaluate(EXAMPLES)
    assert alone[0].exact == 1 and together.examples == 4
    assert together.exact == sum(e.exact for e in alone) == sum(e.token_accuracy == 1.0 for e in alone)
    prompt = TTTExample(PROBE.demonstrations, Example(PROBE.query.input))
    assert b.generate([prompt]) == [PROBE.query.output]


def test_a_prompt_that_keeps_none_of_its_demonstrations_is_not_generated(monkeypatch) -> None:
    class Called(Exception):
        pass

    def refuse(*args, **kwargs):
        raise Called

    prompt = TTTExample(PROBE.demonstrations, Example(PROBE.query.input))
    cramped = backend(max_length=40)  # the query and room for its answer fit; not one demonstration more
    monkeypatch.setattr(cramped.model, "forward", refuse)  # whichever decoding path serves
    assert cramped.generate([prompt]) == [None]
    assert cramped.prompts_fit([prompt]) == [False]
    roomy = backend(max_length=100)  # the same prompt with its demonstrations is generated
    assert roomy.prompts_fit([prompt]) == [True]
    monkeypatch.setattr(roomy.model, "forward", refuse)
    with pytest.raises(Called):
        roomy.generate([prompt])


def test_the_prompt_leaves_room_for_an_answer_of_the_implied_shape_larger_than_any_seen(monkeypatch) -> None:
    seen: dict[str, int] = {}

    def record(*args, **kwargs):
        seen.update(prompt=kwargs["input_ids"].shape[1], steps=kwargs["max_new_tokens"])
        raise RuntimeError("recorded")

    small = [Example(Grid.of([[i, 0], [0, i]]), Grid.of([[0, i], [i, 0]])) for i in (1, 2, 3)]
    query = Grid.of([[1] * 6 for _ in range(6)])  # outputs keep their input's shape: a 6x6 answer
    b = backend(max_length=120, draft_tokens=0)  # the batched call, whose arguments say the steps
    monkeypatch.setattr(b.model, "generate", record)
    with pytest.raises(RuntimeError, match="recorded"):
        b.generate([TTTExample(tuple(small), Example(query))])
    assert seen["steps"] == 6 * 7 + 1 and seen["prompt"] + seen["steps"] <= 120
