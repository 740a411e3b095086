"""Batch files for GPU engines: export the queries the cache lacks, import the answers.

``export_queries`` renders queries through the engine's own request path (``Engine._prepare``,
so a line's ``custom_id`` is the key a later run looks up) into input files in the OpenAI
Batch API format, the format ``vllm run-batch`` and Ray Data's processors read; the files and
their keys are booked in the cache database. ``import_files`` reads engines' output files
back: every line is checked against what was asked, and a stored answer is never replaced.
Provider batches (valspec.engine.batch) render through the same :func:`render`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from valspec.adapters.base import Response
from valspec.adapters.batching import BatchAdapter, MediaUrl
from valspec.domain.errors import ConfigError, DataError
from valspec.engine.batch_book import (
    EXPORT,
    EXPORTED,
    PROVIDER,
    BatchBook,
    BatchRow,
    KeyMeta,
    new_batch_id,
)
from valspec.engine.batch_files import (
    Chunk,
    ChunkWriter,
    Ingest,
    Limits,
    MediaDir,
    ingest_lines,
    read_lines,
)
from valspec.engine.engine import Engine
from valspec.engine.queries import Query, ResultStore, missing_keys

RENDER_CHUNK = 64  # queries rendered at once (each item's media decode once per chunk)
DEFAULT_LIMITS = Limits()


def batch_adapter(engine: Engine, model: str) -> BatchAdapter:
    """The engine's adapter as a batch adapter, or a usage error naming the model."""
    if not engine.adapter.capabilities.batch:
        raise ConfigError(
            f"--valspec-batch: model {model!r} ({engine.adapter.name}) cannot run as batches; "
            "adapters with a batch API: openai"
        )
    return cast(BatchAdapter, engine.adapter)


def batch_book(store: ResultStore, what: str) -> BatchBook:
    """The batch tables of the store's cache file (a memory store has none: usage error)."""
    conn = getattr(store, "connection", None)
    if conn is None:
        raise ConfigError(f"{what} needs the response cache (drop --valspec-no-cache)")
    return BatchBook(conn)


def render(
    engine: Engine,
    adapter: BatchAdapter,
    queries: Sequence[Query],
    add: Callable[[str, KeyMeta, bytes, int], None],
    media_url: MediaUrl | None = None,
) -> None:
    """Each query as a batch line, through the engine's request path (the keys match the
    run's); queries whose media cannot be read are stored as failures, as in a run."""
    by_key = {q.key: q for q in queries}
    ordered = engine.grouped(queries)
    for start in range(0, len(ordered), RENDER_CHUNK):
        failed, requests = engine._prepare(ordered[start : start + RENDER_CHUNK])
        if failed:
            engine.store.put_many(failed)
        for request in requests:
            query = by_key[request.key]
            meta = KeyMeta(
                item_id=query.item.id,
                condition=query.condition.id,
                sample_index=query.sample_index,
                answer_format=request.answer_format.value,
                p_yes=adapter.batch_asks_p_yes(request),
            )
            line = adapter.batch_line(request, media_url)
            add(request.key, meta, line, adapter.batch_tokens(request))


def chunk_row(chunk: Chunk, kind: str, model: str, status: str) -> BatchRow:
    now = time.time()
    return BatchRow(
        id=chunk.path.stem if kind == PROVIDER else new_batch_id(),
        kind=kind,
        model=model,
        status=status,
        size=len(chunk.keys),
        bytes=chunk.bytes,
        tokens=chunk.tokens,
        path=str(chunk.path.resolve()),
        provider_id=None,
        input_file_id=None,
        note="" if kind == PROVIDER else str(chunk.path),
        created=now,
        updated=now,
    )


@dataclass(frozen=True)
class Exported:
    """What an export wrote."""

    files: tuple[Path, ...]
    requests: int
    tokens: int
    media_files: int


def export_queries(
    engine: Engine,
    queries: Sequence[Query],
    out: Path,
    *,
    model: str,
    limits: Limits = DEFAULT_LIMITS,
    media_paths: bool = False,
) -> Exported:
    """Write ``queries`` as batch input files ``out/requests-NNNNN.jsonl`` (frames inline, or
    as ``file://`` URLs of JPEGs under ``out/media/``) and book them for ``import_files``."""
    adapter = batch_adapter(engine, model)
    book = batch_book(engine.store, "valspec batch export")
    if out.exists() and any(out.glob("requests-*.jsonl")):
        raise DataError("already holds an export; choose an empty folder", file=out)
    numbers = iter(range(1, 1_000_000))
    writer = ChunkWriter(out, lambda: f"requests-{next(numbers):05d}", limits)
    media = MediaDir(out / "media") if media_paths else None
    try:
        render(engine, adapter, queries, writer.add, media)
    finally:
        chunks = writer.close()
    for chunk in chunks:
        book.add(chunk_row(chunk, EXPORT, model, EXPORTED), chunk.keys)
    manifest = {
        "model": model,
        "fingerprint": dict(engine.fingerprint),
        "format": "OpenAI Batch API JSONL, POST /v1/chat/completions; custom_id = query key",
        "files": [{"path": c.path.name, "requests": len(c.keys), "bytes": c.bytes} for c in chunks],
        "media": "paths under media/ (file:// URLs)" if media_paths else "inline data URLs",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Exported(
        files=tuple(c.path for c in chunks),
        requests=sum(len(c.keys) for c in chunks),
        tokens=sum(c.tokens for c in chunks),
        media_files=media.written if media is not None else 0,
    )


@dataclass
class Imported:
    """What an import stored, kept and refused."""

    stored: int = 0
    kept: int = 0  # answers the cache already held (never overwritten)
    failed: int = 0  # error lines: not stored, so the next export asks again
    problems: list[str] = field(default_factory=list)


def import_files(
    store: ResultStore,
    paths: Sequence[Path],
    respond_for: Callable[[str], Callable[[Mapping[str, Any], bool], Response]],
) -> Imported:
    """Read engine output files into the cache. A line for a key no export or batch lists,
    a duplicate, or a malformed line is a problem (file and line); stored answers stay."""
    book = batch_book(store, "valspec batch import")
    result, found = Imported(), Ingest()
    models: dict[str, str] = {}
    metas: dict[str, KeyMeta] = {}

    def respond(key: str, line: Mapping[str, Any], p_yes: bool) -> Response:
        return respond_for(models[key])(line, p_yes)

    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror}", file=path) from None
        lines = list(read_lines(data, str(path)))
        asked = book.lookup([line["custom_id"] for _, line in lines if isinstance(line, dict)])
        models.update({key: model for key, (model, _) in asked.items()})
        metas.update({key: meta for key, (_, meta) in asked.items()})
        ingest_lines(
            lines,
            str(path),
            metas.get,
            respond,
            found,
            "was never asked (no export or batch in this cache lists it)",
        )
    result.problems = found.problems
    answered = [r for r in found.records if not r.response.error]
    result.failed = len(found.records) - len(answered)
    holes = set(missing_keys(store, [r.key for r in answered]))
    new = [r for r in answered if r.key in holes]
    result.kept = len(answered) - len(new)
    store.put_many(new)
    result.stored = len(new)
    return result
