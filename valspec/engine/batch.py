"""Batches: the queries the cache lacks, answered by a provider's Batch API or a GPU engine.

``ProviderBatches.step`` is one look at the provider for a run (``--valspec-batch``): it
polls this model's open batches, downloads finished output and error files, checks every
line against the keys that batch was sent, stores the answers (failed or expired lines as
errors, which the next run asks again), then submits the queries still missing as JSONL files
within the provider's limits. Rendering goes through the engine's own request path
(``Engine._prepare``), so a line's ``custom_id`` is the key a later run looks up.

``export_queries`` writes the same files for engines that run them elsewhere (``vllm
run-batch``, Ray Data), and ``import_files`` reads their output files back into the cache.
The bookkeeping lives in the cache database (valspec.engine.batch_book).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from valspec.adapters.base import Response
from valspec.adapters.batching import BatchAdapter, BatchClient, BatchInfo, BatchRefused, MediaUrl
from valspec.domain.errors import ConfigError, DataError, ValspecError
from valspec.engine.batch_book import (
    EXPORT,
    EXPORTED,
    INGESTED,
    PROVIDER,
    QUEUED,
    WRITTEN,
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
    failed_records,
    ingest_lines,
    read_lines,
)
from valspec.engine.engine import Engine
from valspec.engine.queries import Query, ResultStore, missing_keys

DEFAULT_WAIT_S = 24 * 3600.0  # --valspec-batch-wait without a value: the completion window
POLL_S = (0.2, 60.0)  # first and longest pause between looks while waiting
RENDER_CHUNK = 64  # queries rendered at once (each item's media decode once per chunk)
BATCH_DISCOUNT = 0.5  # Batch API price relative to the synchronous price
DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Price:
    """Synchronous prices the user gave, in US dollars per million tokens."""

    input_per_m: float
    output_per_m: float | None = None


@dataclass
class BatchSummary:
    """What one look at the provider did, and what is still out."""

    submitted: int = 0
    tokens: int = 0
    ingested: int = 0
    failed: int = 0
    refused: int = 0
    pending: int = 0  # keys of this run still in open batches
    rows: list[BatchRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class BatchPending(ValspecError):
    """Some of a run's answers are still in provider batches: the run cannot be judged yet."""

    def __init__(self, summary: BatchSummary) -> None:
        self.summary = summary
        open_rows = [r for r in summary.rows if r.open]
        super().__init__(
            f"{summary.pending:,} answers are in {len(open_rows)} provider batch(es) still "
            "running; run the same command again to collect them (valspec batch status)"
        )


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


def cost_line(tokens: int, requests: int, max_tokens: int, price: Price | None) -> str:
    """The pricing sentence of the header (money only when the user gave a price)."""
    line = "batch pricing is half the synchronous price"
    if price is None:
        return line + " (give --valspec-price IN[,OUT] in USD per million tokens for a figure)"
    cost = tokens / 1e6 * price.input_per_m
    bound = ""
    if price.output_per_m is not None:
        cost += requests * max_tokens / 1e6 * price.output_per_m
        bound = "at most "
    return f"{line}: {bound}${cost * BATCH_DISCOUNT:,.2f} (synchronous {bound}${cost:,.2f})"


def parse_duration(text: str) -> float:
    """A --valspec-batch-wait timeout: seconds, or with a unit (90s, 30m, 2h)."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0}
    number, unit = (text[:-1], units[text[-1]]) if text[-1:] in units else (text, 1.0)
    try:
        seconds = float(number) * unit
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 600, 30m, 2h)") from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"the timeout must be positive, got {text!r}")
    return seconds


def parse_price(text: str) -> tuple[float, float | None]:
    """A --valspec-price value: USD per million input tokens, optionally ``,output``."""
    parts = text.split(",")
    try:
        prices = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a price: {text!r} (e.g. 2.50 or 2.50,10)") from None
    if len(prices) > 2 or any(p < 0 for p in prices):
        raise argparse.ArgumentTypeError(f"give IN or IN,OUT (non-negative), got {text!r}")
    return prices[0], prices[1] if len(prices) == 2 else None


class ProviderBatches:
    """One run's provider batches: poll, ingest, submit; optionally wait until done."""

    def __init__(
        self,
        engine: Engine,
        *,
        model: str,
        folder: Path,
        limits: Limits = DEFAULT_LIMITS,
        wait_s: float | None = None,
        price: Price | None = None,
        notify: Callable[[str], None] = lambda _line: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.adapter = batch_adapter(engine, model)
        self.book = batch_book(engine.store, "--valspec-batch")
        self.model = model
        self.folder = folder
        self.limits = limits
        self.wait_s = wait_s
        self.price = price
        self.notify = notify
        self.sleep = sleep
        self.summary = BatchSummary()
        self._client: BatchClient | None = None

    @property
    def client(self) -> BatchClient:
        """The provider's batch client (opened on first use)."""
        if self._client is None:
            self._client = self.adapter.batch_client()
        return self._client

    def step(self, absent: Sequence[Query]) -> BatchSummary:
        """Collect what finished, submit what is missing, wait if asked; say what is out."""
        started = time.time()
        wanted = {q.key for q in absent}
        try:
            self.poll()
            still = self.engine.missing(absent)
            open_keys = self.book.open_keys(self.model)
            todo = [q for q in still if q.key not in open_keys]
            if todo:
                self.submit(todo)
            if self.wait_s is not None:
                self._wait(wanted, time.monotonic() + self.wait_s)
        finally:
            if self._client is not None:
                self._client.close()
                self._client = None
        summary = self.summary
        summary.pending = len(self.book.open_keys(self.model) & wanted)
        rows = self.book.rows(model=self.model)
        summary.rows = [r for r in rows if r.open or r.updated >= started]
        return summary

    def poll(self) -> None:
        """One look at each open batch of this model (submitting queued ones)."""
        for row in self.book.rows(model=self.model):
            if row.open:
                self._look(row)

    def submit(self, queries: Sequence[Query]) -> None:
        """Render the queries through the engine, write files within the limits, submit."""
        writer = ChunkWriter(self.folder, new_batch_id, self.limits)
        try:
            render(self.engine, self.adapter, queries, writer.add)
        finally:
            chunks = writer.close()
        requests = sum(len(c.keys) for c in chunks)
        tokens = sum(c.tokens for c in chunks)
        self.summary.submitted += requests
        self.summary.tokens += tokens
        if not chunks:
            return
        self.notify(
            f"valspec batch: {requests:,} requests, ~{tokens:,} input tokens (estimated), in "
            f"{len(chunks)} file(s); "
            + cost_line(tokens, requests, self.engine.sampling.max_tokens, self.price)
        )
        for chunk in chunks:
            row = _row(chunk, PROVIDER, self.model, WRITTEN)
            self.book.add(row, chunk.keys)
            self._launch(row)

    def _wait(self, wanted: set[str], deadline: float) -> None:
        pause = POLL_S[0]
        while self.book.open_keys(self.model) & wanted:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sleep(min(pause, left))
            pause = min(POLL_S[1], pause * 2)
            self.poll()

    def _look(self, row: BatchRow) -> None:
        if row.status in (WRITTEN, QUEUED):
            self._launch(row)
            return
        assert row.provider_id is not None
        info = self.client.retrieve(row.provider_id)
        if info.refused:
            self.summary.refused += 1
            why = "; ".join(info.errors) or "queue limit"
            self.book.update(row.id, status=QUEUED, provider_id=None, note=f"refused: {why}")
        elif info.done:
            self._ingest(row, info)
        else:
            note = f"{info.completed + info.failed:,}/{info.total:,} done" if info.total else ""
            self.book.update(row.id, status=info.status, note=note)

    def _launch(self, row: BatchRow) -> None:
        """Upload a written file (once) and create its batch; a refusal keeps it queued."""
        file_id = row.input_file_id
        if not file_id:
            path = Path(row.path)
            if not path.exists():  # its queries are simply asked again
                self.book.update(row.id, status=INGESTED, note=f"input file {path} is gone")
                return
            file_id = self.client.upload(str(path), path.name)
            self.book.update(row.id, input_file_id=file_id)
        try:
            info = self.client.create(file_id, {"valspec_batch": row.id})
        except BatchRefused as exc:
            self.summary.refused += 1
            self.book.update(row.id, status=QUEUED, note=str(exc))
            return
        self.book.update(row.id, provider_id=info.id, status=info.status, note="")

    def _ingest(self, row: BatchRow, info: BatchInfo) -> None:
        """Store a finished batch's answers; lines it did not answer become errors."""
        keys = self.book.keys(row.id)
        found = Ingest()
        for kind, file_id in (("output", info.output_file_id), ("error", info.error_file_id)):
            if file_id:
                source = f"batch {info.id} {kind} file {file_id}"
                lines = read_lines(self.client.content(file_id), source)
                ingest_lines(lines, source, keys.get, self._respond, found, "was not in it")
        why = f"no answer in batch {info.id} ({info.status}"
        why += f": {info.errors[0]})" if info.errors else ")"
        missing = [(k, m) for k, m in keys.items() if k not in found.seen]
        records = found.records + failed_records(missing, why)
        self.engine.store.put_many(records)
        failed = sum(1 for r in records if r.response.error)
        self.summary.ingested += len(records) - failed
        self.summary.failed += failed
        for problem in found.problems:
            self.notify(f"valspec batch: {problem}")
        self.summary.problems.extend(found.problems)
        note = f"{info.status}: {len(records) - failed:,} answered, {failed:,} failed"
        self.book.update(row.id, status=INGESTED, note=note)
        Path(row.path).unlink(missing_ok=True)

    def _respond(self, _key: str, line: Mapping[str, Any], asked_p_yes: bool) -> Response:
        return self.adapter.batch_response(line, asked_p_yes)


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


def _row(chunk: Chunk, kind: str, model: str, status: str) -> BatchRow:
    now = time.time()
    return BatchRow(
        id=chunk.path.stem if kind == PROVIDER else f"{chunk.path.stem}@{now:.6f}",
        kind=kind,
        model=model,
        status=status,
        size=len(chunk.keys),
        bytes=chunk.bytes,
        tokens=chunk.tokens,
        path=str(chunk.path.resolve()),
        provider_id=None,
        input_file_id=None,
        note="",
        created=now,
        updated=now,
    )


# -- files for GPU engines ------------------------------------------------------------------


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
        book.add(_row(chunk, EXPORT, model, EXPORTED), chunk.keys)
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
