import pytest

from arc_ttt.adapters.storage.checkpoints.bounded_json import MAX_DEPTH, loads


def nested(levels: int) -> bytes:
    return b'{"k":' * levels + b"1" + b"}" * levels


def test_plain_json_within_the_limits_is_parsed() -> None:
    assert loads(b'{"a": [1, 2.5, -3e2, "x", null, true]}') == {"a": [1, 2.5, -300.0, "x", None, True]}
    assert loads(nested(MAX_DEPTH)) is not None
    assert loads(str(2**63 - 1).encode()) == 2**63 - 1


@pytest.mark.parametrize(("raw", "problem"), [
    (b"\xff\xfe", "not UTF-8 JSON \\(UnicodeDecodeError\\)"),
    (b"{", "not UTF-8 JSON \\(JSONDecodeError"),
    (nested(MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),  # fine for the parser, not for us
    (b"[" * 100_000 + b"]" * 100_000, f"nested deeper than {MAX_DEPTH} levels"),  # RecursionError in the parser
    (b"1" + b"0" * 400, "a number written with 401 characters"),  # would overflow a float or SQL INTEGER
    (b"[1" + b"0" * 5000 + b"]", "a number written with 5001 characters"),  # past Python's int-string limit
    (b"0." + b"1" * 5000, "a number written with 5002 characters"),
])
def test_hostile_json_is_one_value_error_naming_the_problem(raw: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        loads(raw)
