"""``MockAdapter``: answer requests with a function, for tests (like httpx's MockTransport)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from valspec.adapters.base import Capabilities, Request, Response

Handler = Callable[[Request], Response]


class MockAdapter:
    """An adapter whose answers come from ``handler``; it records every request it sees."""

    name = "mock"

    def __init__(
        self,
        handler: Handler,
        *,
        capabilities: Capabilities = Capabilities(max_batch=16, needs_frames=False),
        fingerprint: Mapping[str, str] | None = None,
    ) -> None:
        self.handler = handler
        self.capabilities = capabilities
        self._fingerprint = dict(fingerprint or {"adapter": "mock"})
        self.requests: list[Request] = []
        self.batches: list[int] = []

    def answer(self, requests: Sequence[Request]) -> list[Response]:
        """Call the handler once per request, in order."""
        self.batches.append(len(requests))
        self.requests.extend(requests)
        return [self.handler(r) for r in requests]

    def fingerprint(self) -> Mapping[str, str]:
        """The fingerprint given at construction."""
        return self._fingerprint
