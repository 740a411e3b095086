"""Batches: the queries the cache lacks, answered by a provider's Batch API or a GPU engine.

``ProviderBatches.step`` is one look at the provider for a run (``--valspec-batch``): it
polls this model's open batches, downloads finished output and error files, checks every
line against the keys that batch was sent, stores the answers (failed or expired lines as
errors, which the next run asks again), then submits the queries still missing as JSONL files
within the provider's limits. Rendering goes through the engine's own request path
(``Engine._prepare``), so a line's ``custom_id`` is the key a later run looks up.

Exports for engines that run the same files elsewhere (``vllm run-batch``, Ray Data) are
valspec.engine.batch_export; the bookkeeping lives in the cache database
(valspec.engine.batch_book). ``valspec batch status`` / ``cancel`` use :func:`refresh_rows`
and :func:`cancel_rows`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valspec.adapters.base import Response
from valspec.adapters.batching import BatchClient, BatchInfo, BatchRefused
from valspec.domain.errors import ValspecError
from valspec.engine.batch_book import (
    INGESTED,
    PROVIDER,
    QUEUED,
    WRITTEN,
    BatchBook,
    BatchRow,
    new_batch_id,
)
from valspec.engine.batch_export import (
    DEFAULT_LIMITS,
    batch_adapter,
    batch_book,
    chunk_row,
    render,
)
from valspec.engine.batch_files import (
    ChunkWriter,
    Ingest,
    Limits,
    failed_records,
    ingest_lines,
    read_lines,
)
from valspec.engine.engine import Engine
from valspec.engine.queries import Query

POLL_S = (0.2, 60.0)  # first and longest pause between looks while waiting
BATCH_DISCOUNT = 0.5  # Batch API price relative to the synchronous price


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
            row = chunk_row(chunk, PROVIDER, self.model, WRITTEN)
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


ClientFor = Callable[[str], BatchClient]


def refresh_rows(book: BatchBook, rows: list[BatchRow], client_for: ClientFor) -> list[BatchRow]:
    """Ask the provider about each open batch and record its status (a run collects it)."""
    clients: dict[str, BatchClient] = {}
    try:
        for row in rows:
            if row.open and row.provider_id:
                if row.model not in clients:
                    clients[row.model] = client_for(row.model)
                info = clients[row.model].retrieve(row.provider_id)
                if not info.refused:  # a refusal is the next run's to handle (resubmit)
                    done = f"{info.completed + info.failed:,}/{info.total:,} done"
                    book.update(row.id, status=info.status, note=done if info.total else "")
    finally:
        for client in clients.values():
            client.close()
    ids = [r.id for r in rows]
    return [r for r in book.rows() if r.id in ids]


def cancel_rows(
    book: BatchBook, rows: list[BatchRow], client_for: ClientFor
) -> list[tuple[BatchRow, str]]:
    """Cancel open batches (at the provider, or locally before submission)."""
    clients: dict[str, BatchClient] = {}
    done: list[tuple[BatchRow, str]] = []
    try:
        for row in rows:
            if not row.provider_id:
                book.update(row.id, status=INGESTED, note="cancelled before submission")
                done.append((row, "cancelled before submission"))
                continue
            if row.model not in clients:
                clients[row.model] = client_for(row.model)
            info = clients[row.model].cancel(row.provider_id)
            book.update(row.id, status=info.status, note="cancel requested")
            done.append((row, info.status))
    finally:
        for client in clients.values():
            client.close()
    return done
