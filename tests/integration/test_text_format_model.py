"""A model folder that is not from `init-model` (its own tokenizer, no pad token) goes through the
plain-text format: loaded with format auto, trained, evaluated and asked for answers."""

from __future__ import annotations

import string

import pytest
import torch

from arc_ttt.adapters.models.backend import TransformersBackend
from arc_ttt.adapters.models.model_loading import load_model
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example
from arc_ttt.domain.ttt.examples import TTTExample
from tests.builders import backend_options


@pytest.fixture(scope="module")
def foreign_model_dir(tmp_path_factory: pytest.TempPathFactory):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<unk>", "<bos>", "<eos>", *string.printable])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<bos>", eos_token="<eos>",
                                        unk_token="<unk>")
    assert tokenizer.pad_token_id is None
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         bos_token_id=1, eos_token_id=2)
    directory = tmp_path_factory.mktemp("foreign") / "model"
    LlamaForCausalLM(config).save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    return directory


def test_text_format_trains_and_answers(foreign_model_dir) -> None:
    loaded = load_model(str(foreign_model_dir))
    assert loaded.fmt.name == "text" and loaded.tokenizer.pad_token_id == loaded.tokenizer.eos_token_id
    backend = TransformersBackend(loaded, backend_options(lora_dropout=0.0, gradient_checkpointing=True))
    g = Grid.of([[1, 2], [3, 0]])
    flipped = Grid(tuple(row[::-1] for row in g.rows))
    examples = [TTTExample((Example(g, flipped),), Example(flipped, g))] * 2
    start = backend.evaluate(examples)
    assert start.tokens == 2 * (len("12\n30\n") + 1)  # answer characters and end-of-sequence, twice
    for _ in range(5):
        backend.accumulate(examples, 1.0)
        backend.apply_update(0.05)
    assert backend.evaluate(examples).loss < start.loss
    answers = backend.generate([TTTExample(examples[0].demonstrations, Example(g))])
    assert len(answers) == 1 and (answers[0] is None or isinstance(answers[0], Grid))
