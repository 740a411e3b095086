"""The OpenAI Batch API format and client, driven through the official SDK against the fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from valspec.adapters.base import Request
from valspec.adapters.batching import BatchError, BatchRefused
from valspec.adapters.openai_api import OpenAIAdapter, OpenAISettings
from valspec.adapters.openai_batch import image_tokens, response_from_line
from valspec.adapters.registry import ModelSpec
from valspec.domain.messages import AnswerFormat, MediaPart, Message, TextPart
from valspec.testing.batch_server import BatchServer, stand_in_answer, stand_in_p_yes
from valspec.testing.servers import ChatServer, image_urls

FRAME = Image.new("RGB", (320, 180), (200, 40, 40))
KEY = "ab" * 32


def request(fmt: AnswerFormat = AnswerFormat.YES_NO, key: str = KEY) -> Request:
    messages = (
        Message("system", (TextPart("You watch short videos."),)),
        Message("user", (MediaPart(), TextPart("Do you like it?"))),
    )
    return Request(key=key, item_id="i1", messages=messages, answer_format=fmt, frames=(FRAME,))


def adapter(base_url: str, key: str = "EMPTY", **options: Any) -> OpenAIAdapter:
    spec = ModelSpec(name="m", adapter="openai", model="gpt-x", options={"base_url": base_url})
    return OpenAIAdapter(spec, OpenAISettings(base_url=base_url, **options), key)


@pytest.fixture
def fake() -> Iterator[BatchServer]:
    with BatchServer(max_lifetime_s=60) as server:
        yield server


def test_a_batch_line_carries_the_key_and_the_body_the_synchronous_path_sends() -> None:
    with ChatServer(record_bodies=True, max_lifetime_s=30) as chat:
        sync = adapter(chat.base_url)
        try:
            sync.answer([request()])
        finally:
            sync.close()
        sent = chat.hits[-1].body
        line = json.loads(adapter(chat.base_url).batch_line(request()))
    assert line["custom_id"] == KEY
    assert (line["method"], line["url"]) == ("POST", "/v1/chat/completions")
    assert line["body"] == sent  # one rendering path: same messages, image, sampling, logprobs
    assert line["body"]["logprobs"] is True


def test_media_can_be_urls_the_caller_chooses_and_json_answers_ask_no_logprobs() -> None:
    seen: list[bytes] = []

    def to_path(jpeg: bytes) -> bytes:
        seen.append(jpeg)
        return b"file:///media/frame.jpg"

    line = json.loads(adapter("http://127.0.0.1:9/v1").batch_line(request(), to_path))
    assert image_urls(line["body"]) == ["file:///media/frame.jpg"]
    assert seen[0][:2] == b"\xff\xd8"  # JPEG bytes
    json_line = json.loads(
        adapter("http://127.0.0.1:9/v1").batch_line(request(AnswerFormat.JSON_DECISION))
    )
    assert "logprobs" not in json_line["body"]


def test_an_output_line_becomes_the_answer_with_p_yes_from_its_logprobs() -> None:
    body = stand_in_answer(KEY, {"logprobs": True, "model": "gpt-x"})
    line = {"custom_id": KEY, "response": {"status_code": 200, "body": body}, "error": None}
    response = response_from_line(line, True, "gpt-x")
    assert response.error is None
    assert response.p_yes == pytest.approx(stand_in_p_yes(KEY))
    assert response.text.startswith(("Yes", "No"))
    assert response_from_line(line, False, "gpt-x").p_yes is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ({"error": {"code": "batch_expired", "message": "too late"}}, "batch_expired"),
        ({"response": {"status_code": 500, "body": {"error": {"message": "boom"}}}}, "HTTP 500"),
        ({"response": {"status_code": 200, "body": {"choices": []}}}, "not a chat completion"),
        ({"response": None, "error": None}, "neither"),
    ],
)
def test_failed_lines_are_errors_never_a_no(line: dict[str, Any], reason: str) -> None:
    response = response_from_line({"custom_id": KEY, **line}, True, "gpt-x")
    assert response.error is not None and reason in response.error
    assert response.text == ""


@given(
    st.dictionaries(
        st.sampled_from(["response", "error", "x"]),
        st.recursive(
            st.none() | st.integers() | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=8,
        ),
    )
)
def test_any_output_line_reads_without_raising(line: dict[str, Any]) -> None:
    response = response_from_line({"custom_id": KEY, **line}, True, "gpt-x")
    assert response.error is not None or isinstance(response.text, str)


def test_image_tokens_follow_openais_published_examples() -> None:
    assert image_tokens(1024, 1024) == 765  # 768x768: 4 tiles
    assert image_tokens(2048, 4096) == 1105  # 768x1536: 6 tiles
    assert image_tokens(512, 512) == 255


def test_the_client_uploads_creates_polls_and_downloads(fake: BatchServer, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    lines = [adapter(fake.base_url).batch_line(request(key=f"{i:064x}")) for i in range(3)]
    source.write_bytes(b"\n".join(lines) + b"\n")
    client = adapter(fake.base_url).batch_client()
    try:
        file_id = client.upload(str(source), source.name)
        info = client.create(file_id, {"valspec_batch": "vsb-1"})
        statuses = [info.status]
        while not info.done:
            info = client.retrieve(info.id)
            statuses.append(info.status)
        output = client.content(info.output_file_id or "")
    finally:
        client.close()
    assert statuses == ["validating", "in_progress", "finalizing", "completed"]
    assert (info.total, info.completed, info.failed) == (3, 3, 0)
    keys = [json.loads(line)["custom_id"] for line in output.splitlines()]
    assert keys == [f"{i:064x}" for i in range(3)]
    assert fake.batches[info.id].metadata == {"valspec_batch": "vsb-1"}


def test_queue_limits_are_refusals_either_way(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(adapter("http://x").batch_line(request()) + b"\n")
    with BatchServer(queue_limit=0, max_lifetime_s=30) as server:
        client = adapter(server.base_url, max_attempts=1).batch_client()
        with pytest.raises(BatchRefused, match="queue limit"):
            client.create(client.upload(str(source), "in.jsonl"), {})
        client.close()
    with BatchServer(queue_limit=0, refuse_mode="failed", max_lifetime_s=30) as server:
        client = adapter(server.base_url).batch_client()
        info = client.create(client.upload(str(source), "in.jsonl"), {})
        client.close()
    assert info.status == "failed" and info.refused
    assert "token_limit_exceeded" in info.errors[0]


def test_a_wrong_key_is_a_one_line_error_without_the_key(tmp_path: Path) -> None:
    secret = "sk-test-" + "7" * 24
    with BatchServer(api_key="sk-right", max_lifetime_s=30) as server:
        client = adapter(server.base_url, key=secret).batch_client()
        with pytest.raises(BatchError) as caught:
            client.retrieve("batch-0001")
        client.close()
    assert "HTTP 401" in str(caught.value)
    assert secret not in str(caught.value)


def test_cancel_moves_a_batch_to_cancelled(fake: BatchServer, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(adapter(fake.base_url).batch_line(request()) + b"\n")
    client = adapter(fake.base_url).batch_client()
    info = client.create(client.upload(str(source), "in.jsonl"), {})
    assert client.cancel(info.id).status == "cancelling"
    after = client.retrieve(info.id)
    client.close()
    assert after.status == "cancelled" and after.done and after.output_file_id is None


@given(
    key=st.text(min_size=1, max_size=70),
    body=st.dictionaries(st.text(max_size=10), st.text(max_size=20) | st.integers(), max_size=5),
)
def test_batch_lines_round_trip_any_key_and_body(key: str, body: dict[str, Any]) -> None:
    from valspec.adapters.openai_batch import batch_line

    line = json.loads(batch_line(key, json.dumps(body).encode()))
    assert line == {"custom_id": key, "method": "POST", "url": "/v1/chat/completions", "body": body}
