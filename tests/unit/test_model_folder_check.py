"""The cheap check of a local model folder that runs before a batch: each way a folder cannot load is
one line naming the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arc_ttt.adapters.models.loading import ModelLoadError, check_model_folder


def folder(tmp_path: Path, **files: str | bytes) -> Path:
    model = tmp_path / "model"
    model.mkdir()
    for name, content in files.items():
        path = model / name.replace("__", ".")
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return model


CONFIG = json.dumps({"model_type": "llama"})


def test_a_folder_with_config_safetensors_and_tokenizer_passes(tmp_path: Path) -> None:
    check_model_folder(folder(tmp_path, config__json=CONFIG, model__safetensors=b"x", tokenizer__json="{}"))


@pytest.mark.parametrize(("files", "words"), [
    ({"model__safetensors": b"x", "tokenizer__json": "{}"}, "has no config.json"),
    ({"config__json": "{oops", "model__safetensors": b"x", "tokenizer__json": "{}"}, "config.json: not valid JSON"),
    ({"config__json": "[1]", "model__safetensors": b"x", "tokenizer__json": "{}"}, "config.json: no model_type"),
    ({"config__json": CONFIG, "tokenizer__json": "{}"}, "has no .safetensors weights"),
    ({"config__json": CONFIG, "pytorch_model__bin": b"x", "tokenizer__json": "{}"},
     "found pytorch_model.bin: pickled weights are never loaded"),
    ({"config__json": CONFIG, "model__safetensors": b"x"}, "has no tokenizer"),
])
def test_each_broken_folder_is_one_named_problem(tmp_path: Path, files: dict[str, str | bytes], words: str) -> None:
    with pytest.raises(ModelLoadError) as caught:
        check_model_folder(folder(tmp_path, **files))
    assert words in str(caught.value) and "\n" not in str(caught.value)
