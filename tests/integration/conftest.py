from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.integration import postgres


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread; on a shared machine more threads only contend."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A real PostgreSQL server for the session; skipped with the reason where none can be started."""
    reason = postgres.unavailable_reason()
    if reason:
        pytest.skip(reason)
    with postgres.postgres_server() as url:
        yield url


@pytest.fixture
def new_pg_database(pg_server: str) -> Callable[[], str]:
    """Makes an empty database on the server and returns its SQLAlchemy URL."""

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return pg_server.rsplit("/", 1)[0] + f"/{name}"

    return make
