"""What an adapter with ``Capabilities(batch=True)`` offers: batch-file lines and a batch API.

Provider batch APIs (OpenAI's, and engines that read the same files: ``vllm run-batch``, Ray
Data, a LiteLLM proxy) take a JSONL file of requests and return a JSONL file of answers,
hours later and at half the price. The engine (valspec.engine.batch) plans, keys, books and
ingests; an adapter only renders one request as one line, reads one answer line, and drives
its provider's files and batches endpoints through a :class:`BatchClient`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from valspec.adapters.base import Request, Response
from valspec.domain.errors import ValspecError

MAX_REQUESTS = 50_000  # OpenAI Batch API: requests per input file
MAX_BYTES = 200 * 1024 * 1024  # and bytes per input file
OPEN_STATUSES = ("validating", "in_progress", "finalizing", "cancelling")
DONE_STATUSES = ("completed", "failed", "expired", "cancelled")

MediaUrl = Callable[[bytes], bytes]
"""Given a frame's JPEG bytes, the URL a batch line carries (a ``file://`` path, say)."""


class BatchError(ValspecError):
    """A batch API call failed (authentication, network, a file the provider rejects)."""


class BatchRefused(BatchError):
    """The provider refused a batch for a queue limit; it is kept and submitted later."""


@dataclass(frozen=True)
class BatchInfo:
    """What the provider says about one batch."""

    id: str
    status: str  # validating / in_progress / finalizing / completed / failed / expired / ...
    input_file_id: str = ""
    output_file_id: str | None = None
    error_file_id: str | None = None
    total: int = 0
    completed: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()  # batch-level errors (a failed validation, a queue limit)
    refused: bool = False  # failed only because of a queue limit: submit the same file later

    @property
    def done(self) -> bool:
        """Whether the provider will not change this batch any more."""
        return self.status in DONE_STATUSES


class BatchClient(Protocol):
    """A provider's files and batches endpoints (synchronous: a few calls per run)."""

    def upload(self, path: str, name: str) -> str: ...  # a file id

    def create(self, input_file_id: str, metadata: Mapping[str, str]) -> BatchInfo: ...

    def retrieve(self, batch_id: str) -> BatchInfo: ...

    def content(self, file_id: str) -> bytes: ...

    def cancel(self, batch_id: str) -> BatchInfo: ...

    def close(self) -> None: ...


class BatchAdapter(Protocol):
    """The methods an adapter with ``Capabilities(batch=True)`` has on top of ``answer``."""

    def batch_line(self, request: Request, media_url: MediaUrl | None = None) -> bytes: ...

    def batch_asks_p_yes(self, request: Request) -> bool: ...

    def batch_response(self, line: Mapping[str, Any], asked_p_yes: bool) -> Response: ...

    def batch_tokens(self, request: Request) -> int: ...

    def batch_client(self) -> BatchClient: ...
