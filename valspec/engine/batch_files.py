"""Batch files on disk: requests written in chunks within the limits, answer lines read back.

Input files are JSONL in the OpenAI Batch API format (one request a line, ``custom_id`` = the
query key), cut so no file passes ``max_requests`` lines or ``max_bytes`` bytes. Output files
are read line by line into records; a line that is not JSON, names a key the file's batch
never asked, or repeats a key is a *problem*, reported with its file and line, never stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valspec.adapters.base import Response
from valspec.adapters.batching import MAX_BYTES, MAX_REQUESTS
from valspec.domain.errors import DataError
from valspec.domain.messages import AnswerFormat
from valspec.engine.batch_book import KeyMeta
from valspec.engine.queries import Record
from valspec.parsing import ParsedAnswer, Verdict, parse_answer

FAILED = ParsedAnswer(verdict=Verdict.UNPARSABLE)


@dataclass(frozen=True)
class Limits:
    """How big one input file may get (defaults: the OpenAI Batch API's limits)."""

    max_requests: int = MAX_REQUESTS
    max_bytes: int = MAX_BYTES


@dataclass
class Chunk:
    """One input file being written: its path, keys (with meta), bytes and estimated tokens."""

    path: Path
    keys: list[tuple[str, KeyMeta]] = field(default_factory=list)
    bytes: int = 0
    tokens: int = 0


class ChunkWriter:
    """Writes request lines into files named by ``name()``, starting a new one at a limit."""

    def __init__(self, folder: Path, name: Callable[[], str], limits: Limits) -> None:
        self.folder = folder
        self.name = name
        self.limits = limits
        self.done: list[Chunk] = []
        self._chunk: Chunk | None = None
        self._handle: Any = None
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, key: str, meta: KeyMeta, line: bytes, tokens: int) -> None:
        """Append one request line (a line alone over the byte limit is an error)."""
        size = len(line) + 1
        if size > self.limits.max_bytes:
            raise DataError(
                f"request {key} is {size:,} bytes, over the {self.limits.max_bytes:,}-byte "
                "file limit (lower longest_side or frames)",
                field="batch",
            )
        chunk = self._chunk
        if chunk is None or (
            len(chunk.keys) >= self.limits.max_requests
            or chunk.bytes + size > self.limits.max_bytes
        ):
            chunk = self._start()
        self._handle.write(line + b"\n")
        chunk.keys.append((key, meta))
        chunk.bytes += size
        chunk.tokens += tokens

    def close(self) -> list[Chunk]:
        """Finish the last file; every file written, in order."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._chunk is not None:
            self.done.append(self._chunk)
            self._chunk = None
        return self.done

    def _start(self) -> Chunk:
        self.close()
        self._chunk = Chunk(self.folder / f"{self.name()}.jsonl")
        self._handle = self._chunk.path.open("wb")
        return self._chunk


class MediaDir:
    """Frames as files under ``folder`` (named by content hash), for engines that may read
    local media: returns each frame's ``file://`` URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written = 0

    def __call__(self, jpeg: bytes) -> bytes:
        path = self.folder / f"{hashlib.sha256(jpeg).hexdigest()[:32]}.jpg"
        if not path.exists():
            path.write_bytes(jpeg)
            self.written += 1
        return path.as_uri().encode()


@dataclass
class Ingest:
    """What reading answer lines found: records to store, keys seen, problems by file:line."""

    records: list[Record] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def read_lines(data: bytes, source: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each non-blank line of an output file: its number and object, or what is wrong."""
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, f"{source}:{number}: not JSON ({exc.msg})"
            continue
        except ValueError:
            yield number, f"{source}:{number}: not JSON (not UTF-8 text)"
            continue
        if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
            yield number, f"{source}:{number}: no custom_id (not a batch output line)"
            continue
        yield number, line


def ingest_lines(
    lines: Iterable[tuple[int, dict[str, Any] | str]],
    source: str,
    expected: Callable[[str], KeyMeta | None],
    respond: Callable[[str, Mapping[str, Any], bool], Response],
    into: Ingest,
    never_asked: str = "was never asked",
) -> None:
    """Read one output file's lines into ``into``: a record per known key, problems for the
    rest (``respond(key, line, asked_p_yes)`` turns a line into a Response)."""
    for number, line in lines:
        if isinstance(line, str):
            into.problems.append(line)
            continue
        key = line["custom_id"]
        meta = expected(key)
        if meta is None:
            into.problems.append(f"{source}:{number}: custom_id {key[:16]}... {never_asked}")
            continue
        if key in into.seen:
            into.problems.append(f"{source}:{number}: custom_id {key[:16]}... is a duplicate")
            continue
        into.seen.add(key)
        into.records.append(record_for(key, meta, respond(key, line, meta.p_yes)))


def record_for(key: str, meta: KeyMeta, response: Response) -> Record:
    """The record of one answered (or failed) batch line, parsed like a synchronous answer."""
    if response.error:
        parsed = FAILED
    else:
        parsed = parse_answer(response.text, AnswerFormat(meta.answer_format))
    return Record(
        key=key,
        item_id=meta.item_id,
        condition=meta.condition,
        sample_index=meta.sample_index,
        response=response,
        parsed=parsed,
    )


def failed_records(metas: Iterable[tuple[str, KeyMeta]], reason: str) -> list[Record]:
    """Records standing for keys a batch gave no answer to (errors, never a "no")."""
    return [record_for(key, meta, Response.failed(reason)) for key, meta in metas]
