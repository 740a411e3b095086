"""Fixtures shared by the adapter tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from valspec.testing.servers import ChatServer


@pytest.fixture
def serve() -> Iterator[Callable[..., ChatServer]]:
    """Start loopback servers for a test and stop every one of them afterwards."""
    started: list[ChatServer] = []

    def start(**kwargs: Any) -> ChatServer:
        server = ChatServer(max_lifetime_s=60, **kwargs).start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
