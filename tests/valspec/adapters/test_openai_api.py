"""The openai adapter's protocol: settings, request shape, P(yes), the logprobs probe, identity."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import math
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from valspec.adapters._images import (
    FrameEncoder,
    chat_messages,
    frame_placeholder,
    splice_frames,
)
from valspec.adapters._retry import AdaptiveLimit, Outcome, RetryPolicy, parse_retry_after
from valspec.adapters.base import Adapter, Request, Sampling
from valspec.adapters.openai_api import (
    OpenAIAdapter,
    OpenAISettings,
    create,
    p_yes_from_logprobs,
    p_yes_from_top,
)
from valspec.adapters.registry import ModelSpec, create_adapter
from valspec.domain.errors import ConfigError
from valspec.domain.messages import AnswerFormat, MediaPart, Message, TextPart
from valspec.testing.servers import ChatServer, Reply, image_urls, message_text

FRAME = Image.new("RGB", (320, 180), (200, 40, 40))


def ask(
    tag: str, fmt: AnswerFormat = AnswerFormat.YES_NO, frames: int = 1, **sampling: Any
) -> Request:
    messages = (
        Message("system", (TextPart("You are watching short videos."),)),
        Message("user", (MediaPart(), TextPart(f"Do you like this video? [{tag}]"))),
    )
    return Request(
        key=tag,
        item_id=tag,
        messages=messages,
        answer_format=fmt,
        sampling=Sampling(**sampling),
        frames=(FRAME,) * frames,
    )


Serve = Callable[..., ChatServer]
MakeAdapter = Callable[..., OpenAIAdapter]


@pytest.fixture
def adapter_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., OpenAIAdapter]]:
    """Build adapters against a server (no key in the environment) and close them afterwards."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    made: list[OpenAIAdapter] = []

    def make(server: ChatServer, model: str = "tiny-vlm", **options: Any) -> OpenAIAdapter:
        options.setdefault("retry_backoff", 0.01)
        spec = ModelSpec(
            name=f"openai:{model}",
            adapter="openai",
            model=model,
            options={"base_url": server.base_url, **options},
        )
        adapter = create(spec)
        made.append(adapter)
        return adapter

    try:
        yield make
    finally:
        for adapter in made:
            adapter.close()


# -- P(yes) ------------------------------------------------------------------------------------

YES_VARIANTS = ["Yes", " yes", "YES", "yes.", "Yes,", "▁Yes", "Ġyes", "**Yes**"]
NO_VARIANTS = ["No", " no", "NO", "no.", "No!", "▁no"]
OTHER_TOKENS = ["Maybe", "The", "I", " not", "Yesterday", "Nope", "", "\n"]


def top(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"token": token, "logprob": math.log(p)} for token, p in pairs]


def test_p_yes_is_yes_mass_over_yes_and_no_mass_across_variants() -> None:
    entries = top(("Yes", 0.5), (" yes", 0.1), ("NO", 0.2), ("no.", 0.1), ("Maybe", 0.1))
    assert p_yes_from_top(entries) == pytest.approx(0.6 / 0.9)


def test_p_yes_is_none_without_yes_or_no() -> None:
    assert p_yes_from_top(top(("Maybe", 0.5), ("Yesterday", 0.3))) is None
    assert p_yes_from_top([]) is None


@given(
    st.lists(
        st.tuples(st.sampled_from(YES_VARIANTS + NO_VARIANTS + OTHER_TOKENS), st.floats(1e-6, 1.0)),
        max_size=20,
    )
)
def test_p_yes_matches_the_definition(pairs: list[tuple[str, float]]) -> None:
    yes = sum(p for token, p in pairs if token in YES_VARIANTS)
    no = sum(p for token, p in pairs if token in NO_VARIANTS)
    found = p_yes_from_top(top(*pairs))
    if yes + no == 0:
        assert found is None
    else:
        assert found is not None and 0.0 <= found <= 1.0
        assert found == pytest.approx(yes / (yes + no), rel=1e-9)


def test_p_yes_reads_past_a_leading_markup_token() -> None:
    logprobs = {
        "content": [
            {"token": "**", "logprob": -0.1, "top_logprobs": top(("**", 0.9), ("The", 0.1))},
            {"token": "No", "logprob": -0.2, "top_logprobs": top(("No", 0.8), ("Yes", 0.2))},
        ]
    }
    assert p_yes_from_logprobs(logprobs) == pytest.approx(0.2)
    words = {"content": [{"token": "The", "logprob": -0.1, "top_logprobs": top(("The", 1.0))}]}
    assert p_yes_from_logprobs(words) is None
    assert p_yes_from_logprobs(None) is None


# -- retry policy ------------------------------------------------------------------------------

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


@given(st.floats(0, 1e6, allow_nan=False))
def test_retry_after_seconds_round_trip(seconds: float) -> None:
    assert parse_retry_after({"Retry-After": repr(seconds)}) == pytest.approx(seconds)


@given(st.integers(0, 10**6))
def test_retry_after_http_date_round_trip(seconds: int) -> None:
    when = format_datetime(NOW + timedelta(seconds=seconds), usegmt=True)
    assert parse_retry_after({"retry-after": when}, now=NOW) == pytest.approx(seconds)


def test_retry_after_edge_cases() -> None:
    past = format_datetime(NOW - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"Retry-After": past}, now=NOW) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({"Retry-After": "nan"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after-ms": "250", "Retry-After": "9"}) == 0.25


@given(st.integers(1, 40), st.floats(0.01, 5), st.floats(0.1, 100))
def test_backoff_is_full_jitter_under_the_exponential_ceiling(
    attempt: int, base: float, cap: float
) -> None:
    policy = RetryPolicy(base_delay_s=base, max_delay_s=cap)
    rng = random.Random(attempt)
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delays = [policy.backoff_s(attempt, rng) for _ in range(20)]
    assert all(0.0 <= d <= ceiling for d in delays)
    assert policy.delay_s(attempt, 3.5, rng) == min(3.5, policy.max_retry_after_s)


def test_adaptive_limit_halves_once_per_burst_and_recovers_per_window() -> None:
    async def scenario() -> None:
        limit = AdaptiveLimit(16)
        tickets = [await limit.acquire() for _ in range(16)]
        waiter = asyncio.ensure_future(limit.acquire())
        await asyncio.sleep(0)
        assert not waiter.done()  # 16 in flight: the 17th waits
        for ticket in tickets[:4]:  # a burst of 429s from the same window halves once
            limit.release(ticket, Outcome.THROTTLED)
        assert (limit.limit, limit.lowest, limit.throttled) == (8, 8, 4)
        for ticket in tickets[4:11]:  # 7 successes: not yet a full window of 8
            limit.release(ticket, Outcome.SUCCESS)
        assert limit.limit == 8 and limit.in_flight == 6  # 5 left, and a slot for the waiter
        await asyncio.sleep(0)
        assert waiter.done()
        limit.release(tickets[11], Outcome.SUCCESS)  # the 8th success: +1
        assert limit.limit == 9
        limit.release(tickets[12], Outcome.OTHER)  # other failures leave the limit alone
        assert limit.limit == 9
        fresh = await limit.acquire()
        limit.release(fresh, Outcome.THROTTLED)  # a new window: halves again
        assert limit.limit == 4 and limit.lowest == 4

    asyncio.run(scenario())


@given(st.lists(st.sampled_from(list(Outcome)), max_size=200), st.integers(1, 64))
def test_adaptive_limit_stays_within_its_bounds(outcomes: list[Outcome], maximum: int) -> None:
    async def scenario() -> None:
        limit = AdaptiveLimit(maximum)
        for outcome in outcomes:
            ticket = await limit.acquire()
            limit.release(ticket, outcome)
            assert 1 <= limit.lowest <= limit.limit <= maximum and limit.in_flight == 0

    asyncio.run(scenario())


# -- request shape -----------------------------------------------------------------------------


@settings(max_examples=50)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=4), st.integers(0, 4))
def test_spliced_body_is_the_json_of_the_messages_with_data_urls(
    texts: list[str], frames: int
) -> None:
    messages = (Message("user", (*[TextPart(t) for t in texts], MediaPart())),)
    urls = [b"data:image/jpeg;base64,QUJD" + str(i).encode() for i in range(frames)]
    marker = "vsframe0123abcd"
    body = {"messages": chat_messages(messages, frames, marker)}
    decoded = json.loads(splice_frames(json.dumps(body), marker, urls))
    expected = chat_messages(messages, frames, marker)
    for part in expected[0]["content"] if frames else []:
        if part["type"] == "image_url":
            index = int(part["image_url"]["url"].removeprefix(marker + "n").removesuffix("e"))
            part["image_url"]["url"] = urls[index].decode()
    assert decoded == {"messages": expected}


def test_chat_messages_place_every_frame_where_the_media_part_is() -> None:
    messages = (
        Message("system", (TextPart("Be a viewer."),)),
        Message("user", (TextPart("Before"), MediaPart(), TextPart("After"))),
    )
    out = chat_messages(messages, 3, "m")
    assert out[0] == {"role": "system", "content": "Be a viewer."}
    kinds = [part["type"] for part in out[1]["content"]]
    assert kinds == ["text", "image_url", "image_url", "image_url", "text"]
    assert [p["image_url"]["url"] for p in out[1]["content"][1:4]] == [
        frame_placeholder("m", i) for i in range(3)
    ]
    no_media = chat_messages((Message("user", (TextPart("Look:"),)),), 2, "m")
    assert [p["type"] for p in no_media[0]["content"]] == ["image_url", "image_url", "text"]
    assert chat_messages(messages, 0, "m")[1] == {"role": "user", "content": "Before\nAfter"}


def test_request_carries_frames_sampling_and_logprobs(
    serve: Serve, adapter_for: MakeAdapter
) -> None:
    server = serve(record_bodies=True)
    adapter = adapter_for(server, longest_side=64)
    yes_no = ask("a", frames=2, temperature=0.7, max_tokens=33, seed=5, sample_index=2)
    adapter.answer([yes_no, ask("b", AnswerFormat.JSON_DECISION)])
    bodies = {message_text(hit.body): hit.body for hit in server.hits if hit.body}
    body = next(b for text, b in bodies.items() if "[a]" in text)
    assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.7, 33, 7)
    assert body["logprobs"] is True and body["top_logprobs"] == 20
    assert body["model"] == "tiny-vlm"
    urls = image_urls(body)
    assert len(urls) == 2
    for url in urls:
        prefix, data = url.split(",", 1)
        assert prefix == "data:image/jpeg;base64"
        image = Image.open(io.BytesIO(base64.b64decode(data)))
        assert image.format == "JPEG" and image.size == (64, 36)
    json_body = next(b for text, b in bodies.items() if "[b]" in text)
    assert "logprobs" not in json_body


def test_frames_are_never_upscaled_and_encodings_are_cached() -> None:
    encoder = FrameEncoder(longest_side=4096)
    url = encoder.data_url(FRAME)
    image = Image.open(io.BytesIO(base64.b64decode(url.split(b",", 1)[1])))
    assert image.size == FRAME.size
    assert encoder.data_url(FRAME) is url and (encoder.hits, encoder.misses) == (1, 1)
    assert encoder.cached(FRAME.copy()) is None  # another image object is another frame


def test_the_encoder_budget_counts_the_frames_it_keeps_alive() -> None:
    """Each entry keeps its frame alive, so the budget counts pixels as well as the data URL:
    a run's cache holds the frames of the few items in flight, not of every item seen."""
    frames = [Image.new("RGB", (320, 180), (i, 0, 0)) for i in range(10)]
    pixels = 320 * 180 * 3
    encoder = FrameEncoder(max_bytes=3 * pixels + 3 * 10_000)
    for frame in frames:
        encoder.data_url(frame)
    assert encoder.cached(frames[-1]) is not None and encoder.cached(frames[0]) is None
    assert sum(1 for f in frames if encoder.cached(f) is not None) == 3


def test_submit_streams_one_request_and_counts_the_bytes_sent(
    serve: Serve, adapter_for: MakeAdapter
) -> None:
    server = serve(record_bodies=True)
    adapter = adapter_for(server, longest_side=64, jpeg_quality=80)
    futures = [adapter.submit(ask(tag, frames=2)) for tag in ("a", "b", "c")]
    responses = [f.result(timeout=30) for f in futures]
    assert all(r.error is None and r.text for r in responses)
    urls = [image_urls(hit.body) for hit in server.hits if hit.body]
    assert len(urls) == 3 and all(u == urls[0] for u in urls)  # byte-identical frames
    assert adapter.stats.bytes_sent >= sum(len(u) for found in urls for u in found)
    line = adapter.traffic()
    assert line is not None and "per 1,000 queries" in line
    assert "JPEG quality 80, longest side 64 px" in line and "3 queries" in line


def test_alias_options_override_request_sampling(serve: Serve, adapter_for: MakeAdapter) -> None:
    server = serve(record_bodies=True)
    adapter = adapter_for(server, temperature=0.0, max_tokens=7, seed=11)
    adapter.answer([ask("a", temperature=1.0, max_tokens=99, seed=1)])
    body = server.hits[0].body
    assert body is not None
    assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.0, 7, 11)
    assert {"temperature": "0.0", "max_tokens": "7", "seed": "11"}.items() <= (
        adapter.fingerprint().items()
    )


# -- responses and the logprobs probe ------------------------------------------------------------


def test_responses_keep_order_and_carry_p_yes_usage_and_meta(
    serve: Serve, adapter_for: MakeAdapter
) -> None:
    server = serve(responder=lambda body: Reply(text="Yes, " + message_text(body)[-5:]))
    adapter = adapter_for(server)
    tags = [f"t{i:02d}" for i in range(30)]
    responses = adapter.answer([ask(tag) for tag in tags])
    assert [r.text for r in responses] == [f"Yes, [{tag}]" for tag in tags]
    first = responses[0]
    assert first.error is None and first.p_yes == pytest.approx(0.7 / 0.95)
    assert first.usage.prompt_tokens == 100 and first.usage.completion_tokens == 8
    assert first.meta == {"model": "tiny-vlm", "system_fingerprint": "fp_loopback"}
    assert first.latency_s > 0


def test_json_formats_get_no_p_yes(serve: Serve, adapter_for: MakeAdapter) -> None:
    adapter = adapter_for(serve())
    for fmt in (AnswerFormat.JSON_DECISION, AnswerFormat.ISQ):
        (response,) = adapter.answer([ask("j", fmt)])
        assert response.error is None and response.p_yes is None


def test_probe_goes_alone_then_logprobs_mode(serve: Serve, adapter_for: MakeAdapter) -> None:
    server = serve(latency_s=0.05)
    adapter = adapter_for(server)
    assert adapter.capabilities.p_yes and "not probed yet" in adapter.describe()
    responses = adapter.answer([ask(f"p{i}") for i in range(8)])
    assert all(r.p_yes is not None for r in responses)
    hits = sorted(server.hits, key=lambda hit: hit.started)
    assert hits[0].finished <= min(hit.started for hit in hits[1:])
    assert adapter.describe().endswith("P(yes) from logprobs")
    assert adapter.capabilities.p_yes


@pytest.mark.parametrize(
    ("mode", "note"),
    [("null", "endpoint gives no logprobs"), ("reject", "endpoint rejects logprobs")],
)
def test_endpoints_without_logprobs_fall_back_to_sampled_answers(
    serve: Serve, adapter_for: MakeAdapter, mode: str, note: str
) -> None:
    server = serve(logprobs=mode, record_bodies=True)
    adapter = adapter_for(server)
    responses = adapter.answer([ask(f"s{i}") for i in range(6)])
    assert all(r.error is None and r.text and r.p_yes is None for r in responses)
    assert adapter.describe().endswith(f"sampled answers: {note}")
    assert not adapter.capabilities.p_yes
    asked = [hit for hit in server.hits if hit.body and hit.body.get("logprobs")]
    assert len(asked) == 1  # only the probe asked; the rest did not
    adapter.answer([ask("later")])
    last = server.hits[-1].body
    assert last is not None and not last.get("logprobs")


def test_logprobs_can_be_turned_off(serve: Serve, adapter_for: MakeAdapter) -> None:
    server = serve(record_bodies=True)
    adapter = adapter_for(server, logprobs=False)
    (response,) = adapter.answer([ask("x")])
    body = server.hits[0].body
    assert response.p_yes is None and body is not None and "logprobs" not in body
    assert "sampled answers: logprobs turned off" in adapter.describe()


# -- settings, key and identity ------------------------------------------------------------------


def spec(**options: Any) -> ModelSpec:
    return ModelSpec(name="openai:gpt-4o", adapter="openai", model="gpt-4o", options=options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timout": 5}, "unknown option(s) ['timout']"),
        ({"concurrency": 0}, "option concurrency must be at least 1"),
        ({"concurrency": "many"}, "option concurrency must be an integer"),
        ({"timeout": True}, "option timeout must be a number"),
        ({"logprobs": "yes"}, "option logprobs must be true or false"),
        ({"base_url": "ftp://host"}, "base_url must be an http(s) URL"),
        ({"transport": "curl"}, "transport must be 'aiohttp' or 'httpx'"),
        ({"extra_body": 3}, "option extra_body must be a table"),
        ({"api_key_env": "sk-pasted-key-123"}, "must be the *name* of an environment variable"),
    ],
)
def test_bad_options_are_config_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="model 'openai:gpt-4o'") as caught:
        OpenAISettings.from_spec(spec(**options))
    assert message in str(caught.value)
    assert "sk-pasted-key-123" not in str(caught.value)


def test_settings_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://gpu-box:8000/v1/")
    settings_ = OpenAISettings.from_spec(spec(description="a model", timeout=3))
    assert settings_.base_url == "http://gpu-box:8000/v1" and settings_.timeout_s == 3.0
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert OpenAISettings.from_spec(spec()).base_url == "https://api.openai.com/v1"


def test_remote_endpoint_without_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_VENDOR_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"set the environment variable MY_VENDOR_KEY"):
        create(spec(base_url="https://api.vendor.example/v1", api_key_env="MY_VENDOR_KEY"))


def test_loopback_endpoint_needs_no_key(serve: Serve, adapter_for: MakeAdapter) -> None:
    server = serve()
    adapter_for(server).answer([ask("k")])
    assert server.hits[0].headers["Authorization"] == "Bearer EMPTY"


def test_fingerprint_names_model_and_host_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fingerprint-secret-42")
    adapter = create(spec(base_url="https://llm.example.com:8443/v1/dep?token=abc"))
    found = adapter.fingerprint()
    assert found == {
        "adapter": "openai",
        "model": "gpt-4o",
        "endpoint": "llm.example.com:8443",
        "jpeg_quality": "90",
    }
    assert adapter._runner is None  # no connection was needed
    text = repr(adapter) + str(found) + adapter.describe()
    for secret in ("sk-fingerprint-secret-42", "token", "abc", "/dep"):
        assert secret not in text


def test_credentials_in_the_base_url_are_one_error_that_does_not_echo_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    with pytest.raises(ConfigError, match="contains credentials") as caught:
        create(spec(base_url="https://user:pw-secret@llm.example.com:8443/v1"))
    assert "pw-secret" not in str(caught.value)


def test_registry_builds_it_from_the_environment(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    adapter = create_adapter(ModelSpec(name="openai:m", adapter="openai", model="m"))
    try:
        assert isinstance(adapter, Adapter)
        assert adapter.capabilities.max_batch == 256 and adapter.capabilities.concurrency == 64
        assert adapter.answer([]) == []
        (response,) = adapter.answer([ask("r")])
        assert response.error is None
    finally:
        adapter.close()  # type: ignore[attr-defined]


def test_close_then_answer_reopens(serve: Serve, adapter_for: MakeAdapter) -> None:
    adapter = adapter_for(serve())
    assert adapter.answer([ask("1")])[0].error is None
    adapter.close()
    adapter.close()
    assert adapter.answer([ask("2")])[0].error is None
    assert adapter.stats.requests == 2 and adapter.stats.failed == 0


def test_concurrent_answer_calls_share_one_loop(serve: Serve, adapter_for: MakeAdapter) -> None:
    server = serve(latency_s=0.05, responder=lambda body: Reply(text=message_text(body)[-6:]))
    adapter = adapter_for(server, max_batch=8)
    assert adapter.capabilities.max_batch == 8
    batches = [[ask(f"{b}{i:03d}") for i in range(8)] for b in "wxyz"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(adapter.answer, batches))
    for batch, responses in zip(batches, results, strict=True):
        assert [r.text for r in responses] == [f"[{r.key}]" for r in batch]
    assert max(hit.in_flight for hit in server.hits) > 8  # the calls overlapped


def test_run_level_alias_options_are_accepted() -> None:
    from valspec.adapters.openai_settings import OpenAISettings
    from valspec.adapters.registry import ModelSpec

    spec = ModelSpec(
        "mine",
        "openai",
        "m",
        {"frames": 8, "longest_side": 512, "base_url": "http://127.0.0.1:1/v1"},
    )
    assert OpenAISettings.from_spec(spec).longest_side == 512


# -- the paper strategy's two-turn conversation ---------------------------------------------------


def test_paper_reason_turn_is_sent_as_one_conversation(
    serve: Serve, adapter_for: MakeAdapter
) -> None:
    from valspec.domain.personas import Persona
    from valspec.domain.prompts import template_for
    from valspec.domain.values import Value

    persona = Persona(
        id="cook", name="Cook", description="You cook [paper-2t].", raises=(Value.TRADITION,)
    )
    template = template_for("paper")
    first = template.render(platform="tiktok", persona=persona)
    assert template.follow_up is not None
    turns = template.follow_up.render_follow_up(first, "Yes.")
    server = serve(record_bodies=True)
    adapter = adapter_for(server)
    asked = [
        Request(
            key="a", item_id="a", messages=first, answer_format=AnswerFormat.YES_NO, frames=(FRAME,)
        ),
        Request(
            key="b", item_id="a", messages=turns, answer_format=AnswerFormat.REASON, frames=(FRAME,)
        ),
    ]
    responses = adapter.answer(asked)
    assert all(r.error is None for r in responses)
    bodies = [h.body for h in server.hits if h.body is not None]
    by_turns = {len(b["messages"]): b for b in bodies}
    one, two = by_turns[2], by_turns[4]
    assert [m["role"] for m in one["messages"]] == ["system", "user"]
    assert [m["role"] for m in two["messages"]] == ["system", "user", "assistant", "user"]
    assert "You cook" in two["messages"][0]["content"]  # the persona in the system turn
    assert two["messages"][1] == one["messages"][1]  # the same first turn, image included
    assert [p["type"] for p in two["messages"][1]["content"]] == ["image_url", "text"]
    assert len(image_urls(two)) == 1  # the image travels once, in the first user turn
    assert two["messages"][2] == {"role": "assistant", "content": "Yes."}
    assert two["messages"][3]["content"].startswith("Why?")
    assert one.get("logprobs") and not two.get("logprobs")  # a reason is free text
