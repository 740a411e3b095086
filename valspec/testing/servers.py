"""Loopback OpenAI-compatible servers for tests and benchmarks: scripted faults, fixed latency.

:class:`ChatServer` answers ``POST /v1/chat/completions`` on 127.0.0.1 (a free port) from a
background thread. What it does to each request is scripted per *tag* — a string found in
the request's message text — as a list of :class:`Step` consumed one per attempt (the last
step repeats): answer normally, return an HTTP error (optionally with ``Retry-After``), answer
too slowly, drop the connection, or send a malformed JSON body. It records every request it
saw (:class:`Hit`) so a test can measure retries, waits and concurrency.

Every server has a bounded lifetime (it stops itself after ``max_lifetime_s``) and is meant to
be stopped by whoever starts it (use it as a context manager). :class:`ServerProcess` runs the
same server in a child process, so a benchmark's client does not share the server's GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

from valspec.testing.loopback import LoopbackServer

StepKind = Literal["ok", "status", "slow", "drop", "malformed"]
LogprobsMode = Literal["full", "null", "reject"]


@dataclass(frozen=True)
class Step:
    """What the server does with one attempt of a tagged request."""

    kind: StepKind = "ok"
    status: int = 200
    retry_after: str | None = None  # value of the Retry-After header, if any
    delay_s: float = 0.0  # how long to wait before acting
    message: str = ""

    @classmethod
    def ok(cls, delay_s: float = 0.0) -> Step:
        """Answer normally (after ``delay_s``, on top of the server's latency)."""
        return cls("ok", delay_s=delay_s)

    @classmethod
    def error(cls, status: int, retry_after: str | None = None, message: str = "") -> Step:
        """Answer with an HTTP error status and an OpenAI-style error body."""
        return cls("status", status=status, retry_after=retry_after, message=message)

    @classmethod
    def slow(cls, delay_s: float) -> Step:
        """Wait ``delay_s`` before answering, to run past the client's timeout."""
        return cls("slow", delay_s=delay_s)

    @classmethod
    def drop(cls) -> Step:
        """Close the connection without answering."""
        return cls("drop")

    @classmethod
    def malformed(cls) -> Step:
        """Answer 200 with a body that is not valid JSON."""
        return cls("malformed")


@dataclass(frozen=True)
class Reply:
    """What a normal answer says: the text and the first token's top log-probabilities."""

    text: str = "Yes. It looks like fun."
    top_logprobs: tuple[tuple[str, float], ...] = (
        ("Yes", math.log(0.6)),
        (" yes", math.log(0.1)),
        ("No", math.log(0.2)),
        ("no.", math.log(0.05)),
        ("Maybe", math.log(0.05)),
    )


Responder = Callable[[Mapping[str, Any]], Reply]


@dataclass(frozen=True)
class Hit:
    """One request the server saw: when, which tag, what it did, how many were in flight."""

    started: float  # time.monotonic() on arrival
    finished: float
    tag: str | None
    kind: str  # the step kind, or "rate_limited"
    status: int
    in_flight: int  # requests being handled at arrival, this one included
    headers: Mapping[str, str]
    body: Mapping[str, Any] | None  # the parsed request, when record_bodies is on


def _default_responder(_body: Mapping[str, Any]) -> Reply:
    return Reply()


def message_text(body: Mapping[str, Any]) -> str:
    """The text parts of a chat request's messages, joined (image URLs left out)."""
    texts: list[str] = []
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(
                str(part.get("text", ""))
                for part in content
                if isinstance(part, dict) and part.get("type") == "text"
            )
    return "\n".join(texts)


def image_urls(body: Mapping[str, Any]) -> list[str]:
    """Every ``image_url`` URL in a chat request, in order."""
    urls: list[str] = []
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            urls.extend(
                str(part["image_url"]["url"])
                for part in content
                if isinstance(part, dict) and part.get("type") == "image_url"
            )
    return urls


@dataclass
class ChatServer(LoopbackServer):
    """A scripted OpenAI-compatible chat-completions server on 127.0.0.1, run in a thread.

    ``script`` maps a tag (a substring of the request's message text) to the steps its
    attempts get; untagged requests answer normally. ``latency_s`` delays every normal
    answer. ``max_in_flight`` turns on a rate limiter: a request arriving while that many
    are being handled gets 429 with ``Retry-After: rate_limit_retry_after``. ``logprobs``:
    "full" answers logprobs when asked, "null" never does (like ``transformers serve``),
    "reject" answers 400 to any request that asks for them.
    """

    latency_s: float = 0.0
    script: Mapping[str, Sequence[Step]] = field(default_factory=dict)
    responder: Responder = _default_responder
    logprobs: LogprobsMode = "full"
    max_in_flight: int | None = None
    rate_limit_retry_after: str | None = "0"
    record_bodies: bool = False
    skim_bodies: bool = False  # read only model/logprobs fields: keeps a benchmark server cheap
    max_lifetime_s: float = 300.0
    model: str = "loopback-vlm"
    name = "loopback server"  # the thread's name and start errors (not a field)

    def __post_init__(self) -> None:
        self.hits: list[Hit] = []
        self._attempts: dict[str, int] = {}
        self._in_flight = 0
        self._init_loopback()

    def attempts(self, tag: str) -> int:
        """How many requests carrying ``tag`` the server has seen."""
        return self._attempts.get(tag, 0)

    def hits_for(self, tag: str) -> list[Hit]:
        """The requests carrying ``tag``, in arrival order."""
        return sorted((hit for hit in list(self.hits) if hit.tag == tag), key=lambda h: h.started)

    # -- lifecycle ---------------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._handle)

    # -- request handling --------------------------------------------------------------------

    def _tag_of(self, body: Mapping[str, Any]) -> str | None:
        if not self.script:
            return None
        text = message_text(body)
        return next((tag for tag in self.script if tag in text), None)

    def _next_step(self, tag: str | None) -> Step:
        if tag is None:
            return Step.ok()
        count = self._attempts.get(tag, 0)
        self._attempts[tag] = count + 1
        steps = self.script[tag]
        return steps[min(count, len(steps) - 1)]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        self._in_flight += 1
        in_flight = self._in_flight
        kind, status, tag, body = "ok", 200, None, None
        try:
            raw = await request.read()
            try:
                body = _skim(raw) if self.skim_bodies else json.loads(raw)
            except ValueError:
                kind, status = "bad_request", 400
                return _error_response(400, "request body is not JSON", None)
            tag = self._tag_of(body)
            if self.max_in_flight is not None and in_flight > self.max_in_flight:
                kind, status = "rate_limited", 429
                return _error_response(429, "rate limited", self.rate_limit_retry_after)
            step = self._next_step(tag)
            kind = step.kind
            if step.kind == "status":
                status = step.status
                await asyncio.sleep(step.delay_s)
                return _error_response(step.status, step.message or "injected", step.retry_after)
            if step.kind == "drop":
                status = 0
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)
            if step.kind == "malformed":
                return web.Response(
                    body=b'{"id": "chatcmpl-broken", "choices": [{"index": 0, "mess',
                    content_type="application/json",
                )
            await asyncio.sleep(self.latency_s + step.delay_s)
            if body.get("logprobs") and self.logprobs == "reject":
                kind, status = "rejected_logprobs", 400
                return _error_response(400, "logprobs are not supported by this server", None)
            return web.json_response(self._completion(body))
        finally:
            self._in_flight -= 1
            self.hits.append(
                Hit(
                    started=started,
                    finished=time.monotonic(),
                    tag=tag,
                    kind=kind,
                    status=status,
                    in_flight=in_flight,
                    headers=dict(request.headers),
                    body=body if self.record_bodies else None,
                )
            )

    def _completion(self, body: Mapping[str, Any]) -> dict[str, Any]:
        reply = self.responder(body)
        logprobs: dict[str, Any] | None = None
        if body.get("logprobs") and self.logprobs == "full":
            first = reply.top_logprobs[0] if reply.top_logprobs else ("", 0.0)
            wanted = int(body.get("top_logprobs") or 0)
            top = [
                {"token": token, "logprob": lp, "bytes": list(token.encode())}
                for token, lp in reply.top_logprobs[:wanted]
            ]
            logprobs = {
                "content": [
                    {
                        "token": first[0],
                        "logprob": first[1],
                        "bytes": list(first[0].encode()),
                        "top_logprobs": top,
                    }
                ]
            }
        return {
            "id": "chatcmpl-loopback",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or self.model),
            "system_fingerprint": "fp_loopback",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "logprobs": logprobs,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 8, "total_tokens": 108},
        }


_SKIM = re.compile(rb'"(model|logprobs|top_logprobs)"\s*:\s*("[^"\\]*"|true|false|null|\d+)')


def _skim(raw: bytes) -> dict[str, Any]:
    """The top-level fields a normal answer needs, found without parsing megabytes of images.

    Image data URLs cannot contain these quoted keys, so a pattern search is safe.
    """
    fields: dict[str, Any] = {}
    for key, value in _SKIM.findall(raw):
        fields.setdefault(key.decode(), json.loads(value))
    if not fields:
        raise ValueError("not a chat completion request")
    return fields


def _error_response(status: int, message: str, retry_after: str | None) -> web.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    payload = {"error": {"message": message, "type": "loopback_error", "code": status}}
    return web.json_response(payload, status=status, headers=headers)


def fixed_latency_server(latency_s: float, max_lifetime_s: float = 300.0) -> ChatServer:
    """A server that answers every request normally after ``latency_s`` (not yet started)."""
    return ChatServer(latency_s=latency_s, max_lifetime_s=max_lifetime_s, skim_bodies=True)


class ServerProcess:
    """A fixed-latency :class:`ChatServer` in a child process (its own GIL), for benchmarks."""

    def __init__(self, latency_s: float, max_lifetime_s: float = 300.0) -> None:
        self.latency_s = latency_s
        self.max_lifetime_s = max_lifetime_s
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        command = [sys.executable, "-m", "valspec.testing.servers"]
        command += ["--latency", str(self.latency_s), "--lifetime", str(self.max_lifetime_s)]
        # The child imports valspec from wherever this process did, installed or not.
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.__exit__()
            raise RuntimeError(f"loopback server process did not start (said {line!r})")
        self.base_url = line
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a fixed-latency loopback server until its lifetime ends; print its base URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per answer")
    parser.add_argument("--lifetime", type=float, default=300.0, help="seconds before exiting")
    args = parser.parse_args(argv)
    server = fixed_latency_server(args.latency, max_lifetime_s=args.lifetime).start()
    print(server.base_url, flush=True)
    try:
        while server._thread is not None and server._thread.is_alive():
            server._thread.join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
