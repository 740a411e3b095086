"""The ``openai`` adapter: any OpenAI-compatible chat endpoint (OpenAI, vLLM, SGLang, Ollama).

Built on the official ``openai`` client (``AsyncOpenAI``), driven from a persistent event loop
in a background thread so that the connection pool is reused across the engine's batches.
Requests go through the client's documented ``post(..., cast_to=httpx2.Response)`` path with a
pre-encoded JSON body over the SDK's aiohttp transport: the typed ``chat.completions.create``
spends most of its CPU converting and validating a 200 KB image payload (see
docs/openai-adapter.md for the measurements). Retries, backoff and concurrency are this
module's policy (the SDK's own retries are off), and the API key never leaves the client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import random
import secrets
import threading
import time
import weakref
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from valspec.adapters._images import FrameEncoder, chat_messages, splice_frames
from valspec.adapters._retry import (
    AdaptiveLimit,
    Attempt,
    Outcome,
    RetryPolicy,
    classify_exception,
    parse_completion,
)
from valspec.adapters.base import Capabilities, Request, Response
from valspec.adapters.batching import MediaUrl
from valspec.adapters.openai_batch import (
    OpenAIBatchClient,
    batch_line,
    estimate_tokens,
    response_from_line,
)
from valspec.adapters.openai_completion import (
    completion_response,
    p_yes_from_logprobs,
    p_yes_from_top,
)
from valspec.adapters.openai_settings import OpenAISettings, api_key, probe_url
from valspec.adapters.registry import ModelSpec
from valspec.domain.errors import ConfigError
from valspec.domain.messages import AnswerFormat

__all__ = [
    "AdapterStats",
    "OpenAIAdapter",
    "OpenAISettings",
    "create",
    "p_yes_from_logprobs",
    "p_yes_from_top",
]

log = logging.getLogger("valspec.adapters.openai")
_T = TypeVar("_T")


@dataclass(frozen=True)
class AdapterStats:
    """Counters for the run report and tests."""

    requests: int
    failed: int
    retries: int
    throttled: int
    concurrency: int  # the current limit
    lowest_concurrency: int  # the lowest the limit went under throttling
    bytes_sent: int = 0  # request bodies, every attempt counted


class _LoopThread:
    """A private asyncio event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="valspec-openai-loop", daemon=True
        )
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("OpenAIAdapter.answer() cannot be called from its own event loop")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


def _shutdown(runner: _LoopThread, client: Any, pool: concurrent.futures.Executor) -> None:
    """Close the HTTP client on its loop, then stop the loop (also run at garbage collection)."""
    try:
        if client is not None and not runner.loop.is_closed():
            runner.run(client.close())
    except Exception as exc:  # closing must never fail a run
        log.debug("closing the openai client failed: %s", type(exc).__name__)
    finally:
        runner.stop()
        pool.shutdown(wait=False)


class OpenAIAdapter:
    """Asks an OpenAI-compatible ``/chat/completions`` endpoint; see the module docstring."""

    name = "openai"

    def __init__(self, spec: ModelSpec, settings: OpenAISettings, api_key: str) -> None:
        self.spec = spec
        self.model = spec.model
        self.settings = settings
        self.capabilities = Capabilities(
            p_yes=settings.logprobs,
            max_batch=settings.max_batch,
            concurrency=settings.concurrency,
            batch=True,
        )
        self._api_key = api_key
        self._endpoint = _endpoint_host(settings.base_url)
        self._policy = RetryPolicy(
            max_attempts=settings.max_attempts, base_delay_s=settings.retry_backoff_s
        )
        self._encoder = FrameEncoder(settings.longest_side, settings.jpeg_quality)
        self._marker = f"vsframe{secrets.token_hex(6)}"
        # "probe": the next yes/no request asks alone; "assumed": the probe failed for another
        # reason, so requests ask concurrently until one answers; then "on" or "off".
        self._logprobs_state = "probe" if settings.logprobs else "off"
        self._logprobs_note = "" if settings.logprobs else "logprobs turned off for this model"
        self._rng = random.Random()
        self._lock = threading.Lock()
        self._runner: _LoopThread | None = None
        self._client: Any = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._limit: AdaptiveLimit | None = None
        self._admission: asyncio.Semaphore | None = None
        self._probe_lock: asyncio.Lock | None = None
        self._finalizer: weakref.finalize[Any, OpenAIAdapter] | None = None
        self._requests = self._failed = self._retries = self._bytes_sent = 0

    def __repr__(self) -> str:
        return f"OpenAIAdapter(model={self.model!r}, endpoint={self._endpoint!r})"

    # -- the adapter protocol ----------------------------------------------------------------

    def fingerprint(self) -> Mapping[str, str]:
        """What produced the answers: adapter, model id, endpoint host and input settings."""
        settings = self.settings
        found = {"adapter": self.name, "model": self.model, "endpoint": self._endpoint}
        found["jpeg_quality"] = str(settings.jpeg_quality)
        if settings.longest_side is not None:
            found["longest_side"] = str(settings.longest_side)
        for key, value in settings.overrides().items():
            found[key] = str(value)
        if settings.extra_body:
            found["extra_body"] = json.dumps(settings.extra_body, sort_keys=True)
        return found

    def probe(self) -> None:
        """Before the first request: the endpoint accepts connections (ConfigError if not)."""
        probe_url(self.spec.name, self.settings.base_url)

    def describe(self) -> str:
        """One line for the run header: model, endpoint and how P(yes) is obtained."""
        state = self._logprobs_state
        if state == "on":
            mode = "P(yes) from logprobs"
        elif state == "off":
            mode = f"sampled answers: {self._logprobs_note}"
        else:
            mode = "P(yes) from logprobs if the endpoint gives them (not probed yet)"
        return f"openai {self.model} at {self._endpoint}: {mode}"

    def answer(self, requests: Sequence[Request]) -> list[Response]:
        """One response per request, in order; failed queries become ``Response.failed``."""
        if not requests:
            return []
        runner = self._ensure_open()
        return runner.run(self._answer_all(list(requests)))

    def submit(self, request: Request) -> concurrent.futures.Future[Response]:
        """Send one request now; its response (never an exception) arrives on the future.

        The engine streams requests through this, item-major, and stores each answer as it
        arrives, so a crash loses only what is in flight."""
        runner = self._ensure_open()
        return asyncio.run_coroutine_threadsafe(self._answer_one(request), runner.loop)

    def traffic(self) -> str | None:
        """Request bytes per 1,000 queries and the frame encoding behind them (after a run)."""
        if not self._requests:
            return None
        size = self.settings.longest_side
        per_k = self._bytes_sent / self._requests * 1000 / 2**20
        return (
            f"{per_k:.1f} MiB sent per 1,000 queries ({self._requests:,} queries; JPEG quality "
            f"{self.settings.jpeg_quality}, longest side "
            + (f"{size} px" if size else "as the frame spec sizes it")
            + f"; {self._encoder.misses:,} frames encoded, {self._encoder.hits:,} reused)"
        )

    def close(self) -> None:
        """Close the HTTP client and stop the background loop (answer() reopens them)."""
        with self._lock:
            finalizer, self._finalizer = self._finalizer, None
            self._runner = self._client = self._pool = None
        if finalizer is not None:
            finalizer()

    @property
    def stats(self) -> AdapterStats:
        """Requests, failures, retries and what the concurrency limit did so far."""
        limit = self._limit
        return AdapterStats(
            requests=self._requests,
            failed=self._failed,
            retries=self._retries,
            throttled=limit.throttled if limit else 0,
            concurrency=limit.limit if limit else self.settings.concurrency,
            lowest_concurrency=limit.lowest if limit else self.settings.concurrency,
            bytes_sent=self._bytes_sent,
        )

    # -- plumbing ------------------------------------------------------------------------------

    def _ensure_open(self) -> _LoopThread:
        with self._lock:
            if self._runner is None:
                runner = _LoopThread()
                pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="valspec-jpeg")
                try:
                    runner.run(self._open())
                except BaseException:
                    _shutdown(runner, None, pool)
                    raise
                self._runner, self._pool = runner, pool
                self._finalizer = weakref.finalize(self, _shutdown, runner, self._client, pool)
            return self._runner

    async def _open(self) -> None:
        self._client = _make_client(self.settings, self._api_key)
        if self._limit is None:  # keep what the limit learned across close()/reopen
            self._limit = AdaptiveLimit(self.settings.concurrency)
        self._admission = asyncio.Semaphore(self.settings.concurrency + 8)
        self._probe_lock = asyncio.Lock()

    def _redact(self, text: str) -> str:
        key = self._api_key
        if len(key) >= 4 and key != "EMPTY":
            text = text.replace(key, "***")
        return text

    async def _answer_all(self, requests: list[Request]) -> list[Response]:
        return list(await asyncio.gather(*(self._answer_one(r) for r in requests)))

    async def _answer_one(self, request: Request) -> Response:
        assert self._admission is not None and self._probe_lock is not None
        started = time.monotonic()
        self._requests += 1
        async with self._admission:
            try:
                if request.answer_format is AnswerFormat.YES_NO and self._logprobs_state == "probe":
                    async with self._probe_lock:
                        if self._logprobs_state == "probe":
                            response = await self._send(request, started)
                            if self._logprobs_state == "probe":  # failed for another reason
                                self._logprobs_state = "assumed"
                            return self._count(response)
                return self._count(await self._send(request, started))
            except Exception as exc:  # one query must never fail the batch
                reason = self._redact(f"{type(exc).__name__}: {exc}")[:200]
                log.warning("openai query %s failed unexpectedly: %s", request.key, reason)
                return self._count(Response.failed(reason, time.monotonic() - started))

    def _count(self, response: Response) -> Response:
        if response.error is not None:
            self._failed += 1
        return response

    async def _frame_urls(self, request: Request) -> list[bytes]:
        cached = [self._encoder.cached(frame) for frame in request.frames]
        if all(url is not None for url in cached):
            return [url for url in cached if url is not None]
        loop = asyncio.get_running_loop()
        frames = request.frames
        return await loop.run_in_executor(
            self._pool, lambda: [self._encoder.data_url(f) for f in frames]
        )

    def _body(self, request: Request, urls: list[bytes], logprobs: bool) -> bytes:
        sampling = self.settings.sampling_fields(request.sampling)
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": chat_messages(request.messages, len(urls), self._marker),
            **sampling,
        }
        if logprobs:
            payload["logprobs"] = True
            payload["top_logprobs"] = self.settings.top_logprobs
        payload.update(self.settings.extra_body)
        return splice_frames(json.dumps(payload, separators=(",", ":")), self._marker, urls)

    async def _send(self, request: Request, started: float) -> Response:
        """Send one query with retries; the answer or a short reason why there is none."""
        wants_logprobs = (
            request.answer_format is AnswerFormat.YES_NO and self._logprobs_state != "off"
        )
        urls = await self._frame_urls(request)
        body = self._body(request, urls, wants_logprobs)
        attempt_no = 0
        while True:
            attempt_no += 1
            result = await self._attempt(body)
            if result.status in (400, 422) and wants_logprobs and self._logprobs_state != "on":
                # Some endpoints reject the logprobs parameter: ask once more without it.
                plain = await self._attempt(self._body(request, urls, False))
                if plain.data is not None:
                    self._logprobs_off("endpoint rejects logprobs")
                    wants_logprobs, result = False, plain
            if result.data is not None:
                return self._response(result.data, wants_logprobs, time.monotonic() - started)
            if not result.retryable or attempt_no >= self._policy.max_attempts:
                reason = result.reason
                if result.retryable:
                    reason = f"{reason} (gave up after {attempt_no} attempts)"
                return Response.failed(reason, time.monotonic() - started)
            self._retries += 1
            delay = self._policy.delay_s(attempt_no, result.retry_after_s, self._rng)
            log.debug("openai query %s: %s; retrying in %.2f s", request.key, result.reason, delay)
            await asyncio.sleep(delay)

    async def _attempt(self, body: bytes) -> Attempt:
        """One HTTP round trip under the concurrency limit and the per-request timeout."""
        import httpx2

        limit = self._limit
        assert limit is not None
        ticket = await limit.acquire()
        self._bytes_sent += len(body)
        result = Attempt(reason="attempt interrupted")
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                raw = await self._client.post(
                    "/chat/completions",
                    cast_to=httpx2.Response,
                    content=body,
                    options={"headers": {"Content-Type": "application/json"}},
                )
            result = parse_completion(raw.content)
        except Exception as exc:
            result = classify_exception(
                exc,
                timeout_s=self.settings.timeout_s,
                host=urlsplit(self.settings.base_url).hostname or "",
                key_env=self.settings.api_key_env,
            )
            result = replace(result, reason=self._redact(result.reason))
        finally:  # release the slot whatever happened, cancellation included
            if result.data is not None:
                limit.release(ticket, Outcome.SUCCESS)
            else:
                limit.release(ticket, Outcome.THROTTLED if result.status == 429 else Outcome.OTHER)
        return result

    def _logprobs_off(self, note: str) -> None:
        if self._logprobs_state != "off":
            log.info("openai %s: %s; using sampled answers", self.model, note)
        self._logprobs_state, self._logprobs_note = "off", note
        self.capabilities = replace(self.capabilities, p_yes=False)

    def _response(self, data: Mapping[str, Any], asked_logprobs: bool, latency: float) -> Response:
        response, has_logprobs = completion_response(data, asked_logprobs, self.model, latency)
        if asked_logprobs and self._logprobs_state in ("probe", "assumed"):
            if has_logprobs:
                self._logprobs_state = "on"
                self.capabilities = replace(self.capabilities, p_yes=True)
            else:
                self._logprobs_off("endpoint gives no logprobs")
        return response

    # -- batch files and the Batch API (valspec.adapters.batching) ---------------------------

    def batch_asks_p_yes(self, request: Request) -> bool:
        """Whether a batch line asks for logprobs (yes/no questions, unless turned off)."""
        return request.answer_format is AnswerFormat.YES_NO and self.settings.logprobs

    def batch_line(self, request: Request, media_url: MediaUrl | None = None) -> bytes:
        """One Batch API input line (``custom_id`` = the query key), frames inline as data
        URLs, or as the URLs ``media_url`` gives for their JPEG bytes; the body is the one
        :meth:`answer` sends."""
        if media_url is None:
            urls = [self._encoder.data_url(frame) for frame in request.frames]
        else:
            urls = [media_url(self._encoder.jpeg(frame)) for frame in request.frames]
        body = self._body(request, urls, self.batch_asks_p_yes(request))
        return batch_line(request.key, body)

    def batch_response(self, line: Mapping[str, Any], asked_p_yes: bool) -> Response:
        """The response one Batch API output line stands for (errors never read as "no")."""
        return response_from_line(line, asked_p_yes, self.model, self._redact)

    def batch_tokens(self, request: Request) -> int:
        """An estimate of a request's input tokens (text ~4 characters a token, images by
        OpenAI's tile formula), for the run header."""
        return estimate_tokens(request, self.settings.longest_side)

    def batch_client(self) -> OpenAIBatchClient:
        """A client for this endpoint's /files and /batches (the official SDK, synchronous)."""
        return OpenAIBatchClient(self.settings, self._api_key)


def _endpoint_host(base_url: str) -> str:
    """``host`` or ``host:port`` of an endpoint: no scheme, credentials, path or query."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def _make_client(settings: OpenAISettings, api_key: str) -> Any:
    """The official async client with the chosen transport and the SDK's retries off."""
    import openai

    http_client = None
    if settings.transport == "aiohttp":
        try:
            http_client = openai.DefaultAioHttpClient(timeout=settings.timeout_s + 5.0)
        except RuntimeError:  # openai installed without its aiohttp extra
            log.warning(
                "aiohttp is missing: using the slower httpx transport "
                "(pip install 'valspec[openai]' brings openai[aiohttp])"
            )
    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=settings.base_url,
        max_retries=0,
        timeout=settings.timeout_s + 5.0,  # our asyncio timeout fires first
        http_client=http_client,
    )


def create(spec: ModelSpec) -> OpenAIAdapter:
    """Build the adapter for ``openai:<model>`` or an alias with ``adapter = "openai"``."""
    try:
        import openai  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"--model={spec.name} needs the openai client: pip install 'valspec[openai]'"
        ) from None
    settings = OpenAISettings.from_spec(spec)
    key = api_key(spec, settings)
    return OpenAIAdapter(spec, settings, key)
