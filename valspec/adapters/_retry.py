"""Retry policy for HTTP adapters: what to retry, full-jitter backoff, Retry-After, concurrency.

The policy itself uses no HTTP library; only :func:`classify_exception` knows the ``openai``
client's exception types (imported when it runs).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a failed query.

    ``max_attempts`` counts the first try. Without a ``Retry-After`` from the server, attempt
    *n* waits a uniformly random time in ``[0, min(max_delay_s, base_delay_s * 2**(n-1))]``
    ("full jitter"), which spreads a burst of failures out instead of retrying in lockstep.
    A server's ``Retry-After`` is honoured as given, capped at ``max_retry_after_s``.
    """

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_retry_after_s: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay_s < 0 or self.max_delay_s < 0 or self.max_retry_after_s < 0:
            raise ValueError("retry delays must not be negative")

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        """The full-jitter wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** min(attempt - 1, 60))
        return rng.uniform(0.0, ceiling)

    def delay_s(self, attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """How long to wait before the next attempt: the server's word if it gave one."""
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), self.max_retry_after_s)
        return self.backoff_s(attempt, rng)


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait according to ``retry-after-ms`` or ``Retry-After``; None if absent/bad.

    ``Retry-After`` is either a number of seconds or an HTTP date (RFC 9110); a date in the
    past means "now" (0). Header names are matched case-insensitively.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        seconds = _finite_float(millis)
        if seconds is not None:
            return max(seconds / 1000.0, 0.0)
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _finite_float(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        when = when.replace(tzinfo=UTC)
    reference = now or datetime.now(UTC)
    return max((when - reference).total_seconds(), 0.0)


def _finite_float(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class Outcome(Enum):
    """How an attempt ended, as far as the concurrency limit cares."""

    SUCCESS = "success"
    THROTTLED = "throttled"  # the server said "too many requests" (HTTP 429)
    OTHER = "other"  # failed for another reason: leaves the limit alone


class AdaptiveLimit:
    """A concurrency limit that backs off under throttling (AIMD) for one event loop.

    Starts at ``maximum``; a throttled attempt halves it (down to ``minimum``), and every
    full window of successes (``limit`` of them) raises it by one, up to ``maximum``, like
    TCP's congestion avoidance. (Raising it by one per success climbs straight back into the
    server's limit: in the fault tests that drew about twice as many 429s.) Attempts
    already in flight when the limit was last halved do not halve it again, so one burst of
    429s counts once.
    """

    def __init__(self, maximum: int, minimum: int = 1) -> None:
        if maximum < 1 or not 1 <= minimum <= maximum:
            raise ValueError(f"need 1 <= minimum <= maximum, got {minimum} and {maximum}")
        self.maximum = maximum
        self.minimum = minimum
        self.limit = maximum
        self.lowest = maximum  # the lowest limit reached, for reports and tests
        self.throttled = 0  # how many attempts came back throttled
        self.in_flight = 0
        self._epoch = 0  # bumped at every decrease
        self._credit = 0.0  # successes towards the next increase, in windows
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> int:
        """Wait for a free slot; returns a ticket to hand back to :meth:`release`."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return self._epoch
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # granted, then cancelled: give back
                self.in_flight -= 1
                self._wake()
            else:
                self._waiters.remove(waiter)
            raise
        return self._epoch

    def release(self, ticket: int, outcome: Outcome) -> None:
        """Free a slot and adapt the limit to how the attempt ended."""
        self.in_flight -= 1
        if outcome is Outcome.THROTTLED:
            self.throttled += 1
            if ticket == self._epoch:
                self.limit = max(self.minimum, self.limit // 2)
                self._credit = 0.0
                self.lowest = min(self.lowest, self.limit)
                self._epoch += 1
        elif outcome is Outcome.SUCCESS and self.limit < self.maximum:
            self._credit += 1.0 / self.limit
            if self._credit >= 1.0:
                self._credit -= 1.0
                self.limit += 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)


@dataclass(frozen=True)
class Attempt:
    """What one HTTP attempt came to: the parsed answer, or why not and whether to retry."""

    data: Mapping[str, Any] | None = None
    status: int | None = None  # HTTP status of a failed attempt, if there was one
    reason: str = ""  # short, one line, safe to show (no secrets)
    retryable: bool = False
    retry_after_s: float | None = None


def retryable_status(status: int) -> bool:
    """Whether an HTTP error status is worth retrying: 408, 409, 429 and every 5xx."""
    return status in (408, 409, 429) or status >= 500


def parse_completion(content: bytes) -> Attempt:
    """A chat completion body as an :class:`Attempt`: the data, or "malformed" (retryable)."""
    try:
        data = json.loads(content)
    except ValueError:
        return Attempt(reason="malformed response body (not JSON)", retryable=True)
    choices = data.get("choices") if isinstance(data, dict) else None
    if not (
        isinstance(choices, list)
        and choices
        and isinstance(choices[0], dict)
        and isinstance(choices[0].get("message"), dict)
    ):
        return Attempt(reason="malformed response body (no choices[0].message)", retryable=True)
    return Attempt(data=data)


_DROPPED = frozenset(
    {"ServerDisconnectedError", "RemoteProtocolError", "ClientPayloadError", "ReadError"}
    | {"ClientOSError", "ConnectionResetError", "BrokenPipeError", "WriteError"}
)
_REFUSED = frozenset({"ClientConnectorError", "ConnectError", "ConnectionRefusedError"})


def classify_exception(exc: BaseException, *, timeout_s: float, host: str, key_env: str) -> Attempt:
    """Turn what an ``openai`` client call raised into a short reason and a retry decision.

    Auth errors never quote the server (it may echo the key); they name ``key_env`` only.
    Anything that is not a client or transport error is re-raised.
    """
    import openai

    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (401, 403):
            detail = f"the endpoint refused the API key in ${key_env}"
        else:
            detail = _error_detail(exc)
        return Attempt(
            status=status,
            reason=f"HTTP {status}: {detail}",
            retryable=retryable_status(status),
            retry_after_s=parse_retry_after(exc.response.headers),
        )
    names: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(names) < 10:
        names.append(type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    if any(name in _DROPPED for name in names):
        return Attempt(reason="connection dropped before the answer arrived", retryable=True)
    if any(name in _REFUSED for name in names):
        return Attempt(reason=f"cannot connect to {host}", retryable=True)
    if isinstance(exc, TimeoutError | openai.APITimeoutError):
        return Attempt(reason=f"no answer within {timeout_s:g} s", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return Attempt(reason=f"connection error ({names[-1]})", retryable=True)
    raise exc


def _error_detail(exc: Any) -> str:
    body = exc.body
    message: Any = None
    if isinstance(body, Mapping):
        inner = body.get("error")
        message = body.get("message") or (
            inner.get("message") if isinstance(inner, Mapping) else inner
        )
    text = " ".join(str(message or exc.message).split())
    return text[:160] + ("…" if len(text) > 160 else "")
