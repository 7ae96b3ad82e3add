"""The real backend and the fake implement the ModelBackend port with the same signatures."""

from __future__ import annotations

import inspect

import pytest

from arc_ttt.adapters.models.backend import TransformersBackend
from arc_ttt.domain.ttt.ports import ModelBackend
from tests.fakes import FakeModelBackend

MEMBERS = sorted(name for name in vars(ModelBackend) if not name.startswith("_"))


@pytest.mark.parametrize("implementation", [TransformersBackend, FakeModelBackend], ids=lambda c: c.__name__)
def test_implements_every_member_of_the_port(implementation: type) -> None:
    assert {"accumulate", "apply_update", "evaluate", "generate", "export_adapter", "merge_adapter"} <= set(MEMBERS)
    for name in MEMBERS:
        expected = inspect.getattr_static(ModelBackend, name)
        actual = inspect.getattr_static(implementation, name)
        if isinstance(expected, property):
            assert isinstance(actual, property), name
            continue
        assert list(inspect.signature(actual).parameters) == list(inspect.signature(expected).parameters), name
