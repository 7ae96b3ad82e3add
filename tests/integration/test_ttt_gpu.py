"""bitsandbytes quantization, LoRA training and generation on a CUDA GPU (skipped without one)."""

from __future__ import annotations

import random

import pytest
import torch

from arc_ttt.adapters.models.backend import TransformersBackend
from arc_ttt.adapters.models.model_loading import init_model, load_model
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example
from arc_ttt.domain.ttt.examples import TTTExample
from tests.backend_probes import episode_logits
from tests.builders import backend_options

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def examples(n: int) -> list[TTTExample]:
    rng = random.Random(0)

    def pair() -> Example:
        g = Grid.of([[rng.choice([0, 1, 2]) for _ in range(4)] for _ in range(4)])
        return Example(g, Grid(tuple(row[::-1] for row in g.rows)))

    return [TTTExample((pair(), pair()), pair()) for _ in range(n)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory):
    return init_model(tmp_path_factory.mktemp("gpu") / "small", size="small", seed=0)


@pytest.mark.parametrize("quantization", ["8bit", "4bit"])
def test_quantized_base_trains_a_lora_adapter_and_generates(model_dir, quantization: str) -> None:
    loaded = load_model(str(model_dir), quantization=quantization)
    assert getattr(loaded.model, f"is_loaded_in_{quantization[0]}bit")
    backend = TransformersBackend(loaded, backend_options(lora_dropout=0.0, gradient_checkpointing=True))
    assert backend.device.type == "cuda" and backend.dtype is not None  # bf16/fp16 autocast
    data = examples(6)
    start = backend.evaluate(data)
    for _ in range(10):
        backend.accumulate(data[:3], 0.5)
        backend.accumulate(data[3:], 0.5)
        backend.apply_update(5e-3)
    assert backend.evaluate(data).loss < start.loss
    answers = backend.generate([TTTExample(x.demonstrations, Example(x.query.input)) for x in data[:2]])
    assert len(answers) == 2 and all(a is None or isinstance(a, Grid) for a in answers)
    weights = backend.export_adapter()
    backend.new_adapter(1)
    backend.import_adapter(weights)


def test_full_precision_on_gpu_places_the_model_with_accelerate(model_dir) -> None:
    loaded = load_model(str(model_dir))
    backend = TransformersBackend(loaded, backend_options(lora_dropout=0.0))
    assert backend.device.type == "cuda"
    before = episode_logits(backend, examples(1)[0])
    backend.import_adapter(backend.export_adapter())
    assert torch.equal(episode_logits(backend, examples(1)[0]), before)


@pytest.mark.parametrize("quantization", ["none", "8bit"])
def test_target_forward_serves_on_cuda_with_the_models_loss(model_dir, quantization: str) -> None:
    # the probe at load compares it with the model's forward; under autocast the two losses agree too
    loaded = load_model(str(model_dir), quantization=quantization)
    backend = TransformersBackend(loaded, backend_options(lora_dropout=0.0))
    assert backend.target_forward
    data = examples(4)
    backend.accumulate(data, 1.0)
    backend.apply_update(5e-3)  # a non-zero adapter
    with_target_forward = backend.evaluate(data).loss
    backend.target_forward = False
    assert backend.evaluate(data).loss == pytest.approx(with_target_forward, rel=2e-2)
