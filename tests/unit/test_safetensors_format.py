import json
import pickle
import struct

import numpy as np
import pytest
from safetensors.numpy import save

from arc_ttt.adapters.storage.checkpoints.safetensors_format import tensor_names
from arc_ttt.domain.errors import CheckpointFormatError


def payload(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def test_payloads_written_by_the_safetensors_library_are_accepted() -> None:
    data = save({"b": np.ones((2, 3), np.float16), "a": np.zeros(0, np.int64), "c": np.arange(4, dtype=np.uint8)},
                metadata={"format": "pt"})
    assert tensor_names(data) == ["a", "b", "c"]


F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "shorter than the 8-byte header length"),
    (pickle.dumps({"w": [1.0, 2.0]}), "does not fit"),
    (struct.pack("<Q", 2) + b"\xff\xfe", "not UTF-8 JSON"),
    (payload([], b""), "not a JSON object"),  # type: ignore[arg-type]
    (payload({}, b""), "holds no tensors"),
    (payload({"__metadata__": {"k": 1}, "w": F32}, bytes(8)), "__metadata__"),
    (payload({"w": {"dtype": "F32", "shape": [2]}}, bytes(8)), "exactly dtype, shape and data_offsets"),
    (payload({"w": {**F32, "dtype": "OBJ"}}, bytes(8)), "unknown dtype"),
    (payload({"w": {**F32, "shape": [-2]}}, bytes(8)), "malformed shape"),
    (payload({"w": {**F32, "data_offsets": [0, 16]}}, bytes(8)), "outside the 8 data bytes"),
    (payload({"w": {**F32, "shape": [3]}}, bytes(8)), "do not match"),
    (payload({"w": F32, "v": F32}, bytes(8)), "overlaps"),
    (payload({"w": F32}, bytes(12)), "trailing bytes"),
    (struct.pack("<Q", 200_000) + b"[" * 100_000 + b"]" * 100_000, "header: nested deeper than 64 levels"),
    (payload({"w": {**F32, "shape": [10**70]}}, bytes(8)), "header: a number written with 71 characters"),
])
def test_anything_else_is_refused_with_the_problem_named(data: bytes, problem: str) -> None:
    with pytest.raises(CheckpointFormatError, match=problem):
        tensor_names(data, origin="task t")


def test_non_bytes_are_refused() -> None:
    with pytest.raises(CheckpointFormatError, match="must be bytes"):
        tensor_names("not bytes")  # type: ignore[arg-type]
