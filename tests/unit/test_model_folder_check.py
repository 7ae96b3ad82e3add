"""The cheap check of a local model folder that runs before a batch: each way a folder cannot load is
one line naming the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save

from arc_ttt.adapters.models.model_loading import ModelLoadError, check_model_folder, check_model_source


def folder(tmp_path: Path, **files: str | bytes) -> Path:
    model = tmp_path / "model"
    model.mkdir()
    for name, content in files.items():
        path = model / name.replace("__", ".")
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return model


CONFIG = json.dumps({"model_type": "llama"})
WEIGHTS = save({"w": np.zeros(1, dtype=np.float32)})


def test_a_folder_with_config_safetensors_and_tokenizer_passes(tmp_path: Path) -> None:
    check_model_folder(folder(tmp_path, config__json=CONFIG, model__safetensors=WEIGHTS, tokenizer__json="{}"))


@pytest.mark.parametrize(("files", "words"), [
    ({"model__safetensors": WEIGHTS, "tokenizer__json": "{}"}, "has no config.json"),
    ({"config__json": "{oops", "model__safetensors": WEIGHTS, "tokenizer__json": "{}"}, "config.json: not valid JSON"),
    ({"config__json": "[1]", "model__safetensors": WEIGHTS, "tokenizer__json": "{}"}, "config.json: no model_type"),
    ({"config__json": CONFIG, "tokenizer__json": "{}"}, "has no .safetensors weights"),
    ({"config__json": CONFIG, "pytorch_model__bin": b"x", "tokenizer__json": "{}"},
     "found pytorch_model.bin: pickled weights are never loaded"),
    ({"config__json": CONFIG, "model__safetensors": WEIGHTS}, "has no tokenizer"),
    ({"config__json": CONFIG, "model__safetensors": WEIGHTS[:-2], "tokenizer__json": "{}"},
     "model.safetensors: not readable safetensors"),
    ({"config__json": CONFIG, "model__safetensors": b"x", "tokenizer__json": "{}"},
     "model.safetensors: not readable safetensors"),
])
def test_each_broken_folder_is_one_named_problem(tmp_path: Path, files: dict[str, str | bytes], words: str) -> None:
    with pytest.raises(ModelLoadError) as caught:
        check_model_folder(folder(tmp_path, **files))
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_model_source_is_checked_whatever_form_it_takes(tmp_path: Path) -> None:
    check_model_source(str(folder(tmp_path, config__json=CONFIG, model__safetensors=WEIGHTS, tokenizer__json="{}")))
    a_file = tmp_path / "challenges.json"
    a_file.write_text("{}")
    cases = {str(a_file): "is a file", str(tmp_path / "absent"): "does not exist",
             "./absent": "does not exist", "no-such-org/no-such-model-7f3a": "not in the local cache"}
    for source, words in cases.items():
        with pytest.raises(ModelLoadError, match=words):
            check_model_source(source)
    check_model_source("no-such-org/no-such-model-7f3a", offline=False)  # online, the hub answers later
