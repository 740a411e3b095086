"""The openai adapter under faults: retries, Retry-After, bounded attempts, backoff, no key leaks.

Every test runs a scripted loopback server (valspec.testing.servers.ChatServer) that fails
chosen requests in chosen ways; short timeouts keep the file fast.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from PIL import Image

from valspec.adapters.base import Request
from valspec.adapters.openai_api import OpenAIAdapter, create
from valspec.adapters.registry import ModelSpec
from valspec.domain.messages import AnswerFormat, MediaPart, Message, TextPart
from valspec.testing.servers import ChatServer, Step

FRAME = Image.new("RGB", (96, 64), (20, 120, 200))
FAKE_KEY = "sk-valspec-FAKEKEY-9f8e7d6c5b4a"


def ask(tag: str, fmt: AnswerFormat = AnswerFormat.YES_NO) -> Request:
    message = Message("user", (MediaPart(), TextPart(f"Do you like this video? <{tag}>")))
    return Request(key=tag, item_id=tag, messages=(message,), answer_format=fmt, frames=(FRAME,))


Serve = Callable[..., ChatServer]
MakeAdapter = Callable[..., OpenAIAdapter]


@pytest.fixture
def adapter_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., OpenAIAdapter]]:
    """Adapters with a recognisable fake key, short timeouts and fast backoff; closed after."""
    monkeypatch.setenv("VALSPEC_TEST_KEY", FAKE_KEY)
    made: list[OpenAIAdapter] = []

    def make(base_url: str, **options: Any) -> OpenAIAdapter:
        settings = {"timeout": 0.5, "retry_backoff": 0.02, "max_attempts": 3}
        settings.update(options)
        spec = ModelSpec(
            name="openai:loopback",
            adapter="openai",
            model="loopback",
            options={"base_url": base_url, "api_key_env": "VALSPEC_TEST_KEY", **settings},
        )
        adapter = create(spec)
        made.append(adapter)
        return adapter

    try:
        yield make
    finally:
        for adapter in made:
            adapter.close()


@pytest.mark.parametrize(
    "fault",
    [
        Step.error(500),
        Step.error(502),
        Step.error(429, retry_after="0"),
        Step.drop(),
        Step.malformed(),
        Step.slow(2.0),
    ],
    ids=["500", "502", "429", "dropped", "malformed", "timeout"],
)
def test_a_transient_fault_is_retried_until_it_succeeds(
    serve: Serve, adapter_for: MakeAdapter, fault: Step
) -> None:
    server = serve(script={"flaky": [fault, fault, Step.ok()]})
    adapter = adapter_for(server.base_url)
    (response,) = adapter.answer([ask("flaky")])
    assert response.error is None and response.text.startswith("Yes")
    assert server.attempts("flaky") == 3
    assert adapter.stats.retries == 2


def test_retry_after_seconds_is_honoured(serve: Serve, adapter_for: MakeAdapter) -> None:
    server = serve(script={"limited": [Step.error(429, retry_after="0.6"), Step.ok()]})
    adapter = adapter_for(server.base_url, retry_backoff=0.0)
    (response,) = adapter.answer([ask("limited")])
    assert response.error is None
    first, second = server.hits_for("limited")
    assert second.started - first.finished >= 0.55


def test_retry_after_http_date_is_honoured(serve: Serve, adapter_for: MakeAdapter) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    server = serve(script={"busy": [Step.error(503, retry_after=when), Step.ok()]})
    adapter = adapter_for(server.base_url, retry_backoff=0.0)
    (response,) = adapter.answer([ask("busy")])
    assert response.error is None
    first, second = server.hits_for("busy")
    assert second.started - first.finished >= 0.9  # the date has one-second resolution


def test_attempts_are_bounded_and_the_query_becomes_an_error(
    serve: Serve, adapter_for: MakeAdapter
) -> None:
    server = serve(script={"down": [Step.error(500, message="model crashed")]})
    adapter = adapter_for(server.base_url, max_attempts=4)
    (response,) = adapter.answer([ask("down")])
    assert server.attempts("down") == 4
    assert response.error == "HTTP 500: model crashed (gave up after 4 attempts)"
    assert response.text == "" and response.p_yes is None
    assert adapter.stats.failed == 1


def test_client_errors_are_not_retried(serve: Serve, adapter_for: MakeAdapter) -> None:
    server = serve(script={"bad": [Step.error(400, message="image too large")]})
    adapter = adapter_for(server.base_url)
    (response,) = adapter.answer([ask("bad", AnswerFormat.JSON_DECISION)])
    assert server.attempts("bad") == 1
    assert response.error == "HTTP 400: image too large"


def test_timeouts_are_bounded(serve: Serve, adapter_for: MakeAdapter) -> None:
    server = serve(script={"stuck": [Step.slow(5.0)]})
    adapter = adapter_for(server.base_url, timeout=0.3, max_attempts=2)
    started = time.monotonic()
    (response,) = adapter.answer([ask("stuck")])
    assert time.monotonic() - started < 2.0
    assert response.error == "no answer within 0.3 s (gave up after 2 attempts)"


def test_an_unreachable_endpoint_fails_each_query_cleanly(adapter_for: MakeAdapter) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = adapter_for(f"http://127.0.0.1:{port}/v1", max_attempts=2)
    responses = adapter.answer([ask("a"), ask("b")])
    assert [r.error for r in responses] == [
        "cannot connect to 127.0.0.1 (gave up after 2 attempts)"
    ] * 2


def test_a_failing_query_leaves_its_neighbours_alone(
    serve: Serve, adapter_for: MakeAdapter
) -> None:
    server = serve(
        latency_s=0.02,
        script={"q07": [Step.error(500)], "q13": [Step.drop(), Step.ok()]},
    )
    adapter = adapter_for(server.base_url)
    tags = [f"q{i:02d}" for i in range(20)]
    responses = adapter.answer([ask(tag) for tag in tags])
    failed = [tag for tag, r in zip(tags, responses, strict=True) if r.error]
    assert failed == ["q07"]
    assert all(r.text and r.p_yes is not None for r in responses if r.error is None)
    assert adapter.stats.failed == 1


def test_concurrency_backs_off_under_429(serve: Serve, adapter_for: MakeAdapter) -> None:
    server = serve(latency_s=0.05, max_in_flight=4)  # 429 to anything beyond 4 in flight
    adapter = adapter_for(server.base_url, concurrency=32, max_attempts=12, retry_backoff=0.01)
    responses = adapter.answer([ask(f"c{i}", AnswerFormat.JSON_DECISION) for i in range(64)])
    assert all(r.error is None for r in responses)
    stats = adapter.stats
    assert stats.throttled > 0 and stats.lowest_concurrency <= 8
    rejected = [hit for hit in server.hits if hit.kind == "rate_limited"]
    # 64 queries sent at 32 in flight against a limit of 4 would each be rejected many times
    # over; halving keeps the rejections to a few bursts.
    assert len(rejected) < 64


def test_the_key_never_appears_in_any_output(
    serve: Serve, adapter_for: MakeAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    echo = f"invalid key {FAKE_KEY}"
    script = {
        "auth": [Step.error(401, message=echo)],
        "forbidden": [Step.error(403, message=echo)],
        "bad": [Step.error(400, message=echo)],
        "crash": [Step.error(500, message=echo)],
        "limit": [Step.error(429, retry_after="0", message=echo)],
        "drop": [Step.drop()],
        "junk": [Step.malformed()],
        "slow": [Step.slow(2.0)],
    }
    server = serve(script=script)
    adapter = adapter_for(server.base_url, timeout=0.2, max_attempts=2)
    caplog.set_level(logging.DEBUG)
    responses = adapter.answer([ask(tag) for tag in [*script, "fine"]])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = adapter_for(f"http://127.0.0.1:{port}/v1", max_attempts=1)
    responses += dead.answer([ask("dead")])

    assert server.hits[0].headers["Authorization"] == f"Bearer {FAKE_KEY}"  # it was used
    assert [r.error is None for r in responses] == [False] * len(script) + [True, False]
    outputs = [str(r) for r in responses]
    for each in (adapter, dead):
        outputs += [repr(each), str(each), each.describe(), str(each.fingerprint())]
        outputs += [str(each.stats), str(each.settings), str(each.capabilities)]
    outputs.append(caplog.text)
    outputs += [str(record.args) for record in caplog.records]
    leaked = [text for text in outputs if FAKE_KEY in text]
    assert leaked == []


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Step.drop(), "connection dropped before the answer arrived"),
        (Step.malformed(), "malformed response body (not JSON)"),
        (Step.error(503, message="overloaded"), "HTTP 503: overloaded"),
    ],
    ids=["dropped", "malformed", "503"],
)
def test_a_permanent_fault_says_what_went_wrong(
    serve: Serve, adapter_for: MakeAdapter, fault: Step, reason: str
) -> None:
    server = serve(script={"broken": [fault]})
    adapter = adapter_for(server.base_url, max_attempts=2)
    (response,) = adapter.answer([ask("broken", AnswerFormat.JSON_DECISION)])
    assert response.error == f"{reason} (gave up after 2 attempts)"
    assert server.attempts("broken") == 2
