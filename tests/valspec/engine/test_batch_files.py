"""Batch files on disk: chunking within the limits, output lines read and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valspec.adapters.base import Response
from valspec.domain.errors import DataError
from valspec.engine.batch_book import KeyMeta
from valspec.engine.batch_files import ChunkWriter, Ingest, Limits, ingest_lines, read_lines

META = KeyMeta("i1", "neutral", 0, "yes_no", True)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 60), max_size=40),
    max_requests=st.integers(1, 7),
    max_bytes=st.integers(61, 300),
)
def test_files_never_pass_a_limit_and_keep_every_line_in_order(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], max_requests: int, max_bytes: int
) -> None:
    folder = tmp_path_factory.mktemp("chunks")
    names = iter(range(10_000))
    writer = ChunkWriter(folder, lambda: f"f{next(names):04d}", Limits(max_requests, max_bytes))
    for n, size in enumerate(sizes):
        writer.add(f"k{n}", META, b"x" * size, tokens=size)
    chunks = writer.close()
    lines: list[bytes] = []
    for chunk in chunks:
        data = chunk.path.read_bytes()
        assert len(data) == chunk.bytes <= max_bytes
        assert len(chunk.keys) == len(data.splitlines()) <= max_requests
        lines.extend(data.splitlines())
    assert lines == [b"x" * size for size in sizes]
    assert [k for c in chunks for k, _ in c.keys] == [f"k{n}" for n in range(len(sizes))]


def test_a_request_alone_over_the_byte_limit_is_an_error_naming_it(tmp_path: Path) -> None:
    writer = ChunkWriter(tmp_path, lambda: "f", Limits(10, 50))
    with pytest.raises(DataError, match="request big is 101 bytes, over the 50-byte"):
        writer.add("big", META, b"x" * 100, tokens=1)


def _line(key: str, **extra: Any) -> bytes:
    return json.dumps({"custom_id": key, "response": {"status_code": 200}, **extra}).encode()


def test_output_lines_are_checked_against_what_was_asked() -> None:
    data = b"\n".join(
        [_line("a"), b"{not json", _line("zz"), b"", _line("a"), b'{"id": 1}', _line("b")]
    )
    found = Ingest()
    ingest_lines(
        read_lines(data, "out.jsonl"),
        "out.jsonl",
        {"a": META, "b": META}.get,
        lambda _key, _line, _p: Response("Yes."),
        found,
    )
    assert [r.key for r in found.records] == ["a", "b"]
    assert [r.parsed.verdict for r in found.records] == ["yes", "yes"]
    assert found.problems == [
        "out.jsonl:2: not JSON (Expecting property name enclosed in double quotes)",
        "out.jsonl:3: custom_id zz... was never asked",
        "out.jsonl:5: custom_id a... is a duplicate",
        "out.jsonl:6: no custom_id (not a batch output line)",
    ]


def test_a_failed_line_is_an_error_record_not_a_no() -> None:
    found = Ingest()
    lines = read_lines(_line("a"), "f")
    ingest_lines(lines, "f", {"a": META}.get, lambda *_: Response.failed("HTTP 500"), found)
    assert found.records[0].verdict == "error"
