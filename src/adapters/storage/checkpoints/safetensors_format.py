"""Check that bytes are a well-formed safetensors payload before they are stored, without torch.

The format is an 8-byte little-endian header length, a JSON header mapping tensor names to dtype, shape and
[begin, end) offsets into the data that follows, and the data. Nothing here ever unpickles; the checks
mirror the ones the safetensors library makes when it loads a file (offsets contiguous and covering the
data exactly, sizes matching dtype x shape), so a file accepted here loads there.
"""

from __future__ import annotations

import math
import struct

from arc_ttt.adapters.storage.checkpoints import bounded_json
from arc_ttt.domain.errors import CheckpointFormatError

MAX_HEADER_BYTES = 100 * 1024 * 1024  # the limit the safetensors library itself applies

DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64,
    "I64": 64, "U64": 64, "F64": 64,
}


def header_bytes(head: bytes) -> int:
    """How many bytes of a payload its header takes (length field included), read from its first 8 bytes; 0
    when there are fewer: a reader that streams a payload needs this prefix only, for `tensor_names`."""
    if len(head) < 8:
        return 0
    (header_len,) = struct.unpack("<Q", head[:8])
    return 8 + min(header_len, MAX_HEADER_BYTES + 1)


def tensor_names(data: bytes, *, origin: str = "weights", total_length: int | None = None) -> list[str]:
    """The tensor names of a valid payload; raise CheckpointFormatError naming `origin` and the problem.
    With `total_length`, `data` may be just the payload's first `header_bytes` (the tensors' data is then
    only counted, never held: an archive member that claims gigabytes is judged by its header)."""

    def bad(problem: str) -> CheckpointFormatError:
        return CheckpointFormatError(f"{origin}: not a safetensors payload: {problem}")

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CheckpointFormatError(f"{origin}: weights must be bytes, got {type(data).__name__}")
    view = memoryview(data)
    length = len(view) if total_length is None else total_length
    if length < 8 or len(view) < 8:
        raise bad(f"{length} bytes, shorter than the 8-byte header length")
    (header_len,) = struct.unpack("<Q", view[:8])
    if header_len > MAX_HEADER_BYTES or 8 + header_len > min(length, len(view)):
        raise bad(f"header length {header_len} does not fit in {length} bytes")
    try:
        header = bounded_json.loads(bytes(view[8 : 8 + header_len]))
    except ValueError as exc:
        raise bad(f"header: {exc}") from None
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        raise bad("__metadata__ must map strings to strings")
    if not header:
        raise bad("it holds no tensors")
    data_len = length - 8 - header_len
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"tensor {name!r} needs exactly dtype, shape and data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPE_BITS:
            raise bad(f"tensor {name!r} has unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                                  for d in shape):
            raise bad(f"tensor {name!r} has a malformed shape")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= data_len):
            raise bad(f"tensor {name!r} has data offsets outside the {data_len} data bytes")
        bits = math.prod(shape) * DTYPE_BITS[dtype]
        if bits % 8 or offsets[1] - offsets[0] != bits // 8:
            raise bad(f"tensor {name!r}: {offsets[1] - offsets[0]} bytes do not match {dtype} x {shape}")
        spans.append((offsets[0], offsets[1], name))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise bad(f"tensor {name!r} overlaps another or leaves a gap at byte {position}")
        position = end
    if position != data_len:
        raise bad(f"{data_len - position} trailing bytes after the last tensor")
    return sorted(header)
