"""The one contract between valspec and a model: a batch of requests in, responses out.

Modelled on httpx's transport: an adapter implements :meth:`Adapter.answer` and nothing else
is required of it. Everything the harness needs to know about *how* to call it (batching,
concurrency, whether it reports P(yes)) is a capability flag, never a branch on its name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from valspec.domain.messages import AnswerFormat, Message

if TYPE_CHECKING:
    from PIL.Image import Image


@dataclass(frozen=True)
class Sampling:
    """Decoding settings that change the answer (so they are part of a query's identity)."""

    temperature: float = 0.0
    max_tokens: int = 128
    seed: int = 0
    sample_index: int = 0  # which of K samples this is when sampling at temperature > 0


@dataclass(frozen=True)
class Labels:
    """Ground truth about an item and condition.

    Only adapters with ``Capabilities.simulated`` receive it (the ``sim`` adapter needs it to
    simulate a model); the engine never passes it to a real model.
    """

    value_weights: Mapping[str, float]  # value name -> weight, the item's primary value = 1
    persona_raises: tuple[str, ...] = ()
    persona_lowers: tuple[str, ...] = ()
    condition: str = "neutral"  # condition id, e.g. "neutral" or "family-oriented/simple"
    keying: str = "like"  # "like" or "dislike" (reverse-keyed question)


@dataclass(frozen=True)
class Request:
    """One query to a model: the conversation, the item's frames and the sampling settings.

    ``key`` is the stable identity of the query (the cache key); ``item_id`` is opaque to the
    model and only used to join results back.
    """

    key: str
    item_id: str
    messages: tuple[Message, ...]
    answer_format: AnswerFormat
    sampling: Sampling = Sampling()
    frames: tuple[Image, ...] = ()
    labels: Labels | None = None


@dataclass(frozen=True)
class Usage:
    """Token counts when the model reports them."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class Response:
    """What a model said to one request.

    ``p_yes`` is the model's probability of answering yes (from logprobs or the next-token
    distribution) when the adapter can read it, else None. ``error`` is set, and ``text`` is
    empty, when the query failed after all retries: it is counted, never read as a "no".
    """

    text: str
    p_yes: float | None = None
    latency_s: float = 0.0
    error: str | None = None
    usage: Usage = Usage()
    meta: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def failed(cls, error: str, latency_s: float = 0.0) -> Response:
        """A response standing for a query that could not be answered."""
        return cls(text="", error=error, latency_s=latency_s)


@dataclass(frozen=True)
class Capabilities:
    """How the engine should drive an adapter; replaces any branching on the model's name."""

    p_yes: bool = False  # reports P(yes) for yes/no questions
    max_batch: int = 1  # requests per call that the adapter can run as one batch
    concurrency: int = 1  # requests the adapter can keep in flight (HTTP)
    simulated: bool = False  # a simulation that reads ground-truth labels; never a real model
    needs_frames: bool = True  # False: the engine may skip decoding media
    batch: bool = False  # renders batch-file lines and talks to a batch API (adapters.batching)


@runtime_checkable
class Adapter(Protocol):
    """A model valspec can ask.

    ``answer`` receives a batch of at most ``capabilities.max_batch`` requests and returns one
    response per request, in order. It must not raise for a single failed query: that query
    gets ``Response.failed``. Optional extras, looked up with ``getattr``: ``describe() -> str``
    (a line for the run header, e.g. "P(yes) from logprobs"), ``close()``, ``traffic() -> str |
    None`` (bytes sent per 1,000 queries, for the summary) and ``submit(request) ->
    concurrent.futures.Future[Response]`` (one request sent at once, its response on the
    future, never an exception): an adapter with ``concurrency > 1`` and ``submit`` gets
    requests streamed one by one and each answer is stored as it arrives.
    ``fingerprint`` identifies what produced the answers (model id,
    revision or weight hashes, endpoint, sampling defaults) and goes into every record.
    """

    name: str
    capabilities: Capabilities

    def answer(self, requests: Sequence[Request]) -> list[Response]: ...

    def fingerprint(self) -> Mapping[str, str]: ...


def describe_adapter(adapter: Adapter) -> str:
    """One line for the run header: the adapter's own ``describe()`` if it has one."""
    describe = getattr(adapter, "describe", None)
    if callable(describe):
        return str(describe())
    return f"{adapter.name}"


def describe_traffic(adapter: Adapter) -> str | None:
    """A line on what a run sent (bytes per 1,000 queries, frame encoding), if the adapter
    reports it (its optional ``traffic()``); None before anything was sent."""
    traffic = getattr(adapter, "traffic", None)
    return str(traffic()) if callable(traffic) and traffic() else None


def probe_adapter(adapter: Adapter) -> None:
    """Check, before the first request, that the model can be reached, if the adapter can
    (its optional ``probe()``: e.g. a connect to an HTTP endpoint); raises ConfigError."""
    probe = getattr(adapter, "probe", None)
    if callable(probe):
        probe()


def close_adapter(adapter: Adapter) -> None:
    """Release an adapter's resources (HTTP clients, model weights) if it holds any."""
    close = getattr(adapter, "close", None)
    if callable(close):
        close()
