"""Batch bookkeeping in the response cache database: which keys went into which batch file.

Two tables next to ``responses`` (same file, same WAL): ``batches``, one row per input file
(provider batches and exports for GPU engines), and ``batch_keys``, one row per key in it with
what turning an answer line into a record needs (item, condition, sample, answer format,
whether P(yes) was asked). A row is written *before* its file is uploaded, and the provider's
batch id the moment it is known, so an interrupted run loses nothing it already paid for.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    status TEXT NOT NULL,
    size INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    path TEXT NOT NULL,
    provider_id TEXT,
    input_file_id TEXT,
    note TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_keys (
    batch TEXT NOT NULL,
    key TEXT NOT NULL,
    item_id TEXT NOT NULL,
    condition TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    answer_format TEXT NOT NULL,
    p_yes INTEGER NOT NULL,
    PRIMARY KEY (batch, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batch_keys_by_key ON batch_keys (key)
"""
PROVIDER, EXPORT = "provider", "export"
WRITTEN = "written"  # the input file is on disk, not submitted yet
QUEUED = "queued"  # refused for a queue limit (or interrupted): submitted on the next look
INGESTED = "ingested"  # its answers (and failures) are in the cache
EXPORTED = "exported"  # an export for a GPU engine; answers come back by `valspec batch import`
CLOSED = (INGESTED, EXPORTED)
CHUNK = 900


@dataclass(frozen=True)
class KeyMeta:
    """What a batch line's answer needs to become a record."""

    item_id: str
    condition: str
    sample_index: int
    answer_format: str
    p_yes: bool


@dataclass(frozen=True)
class BatchRow:
    """One batch file as the cache database records it."""

    id: str
    kind: str
    model: str
    status: str
    size: int
    bytes: int
    tokens: int
    path: str
    provider_id: str | None
    input_file_id: str | None
    note: str
    created: float
    updated: float

    @property
    def open(self) -> bool:
        """Whether answers may still come back through the provider."""
        return self.kind == PROVIDER and self.status not in CLOSED


_COLUMNS = ", ".join(f.name for f in fields(BatchRow))


def new_batch_id() -> str:
    """valspec's own id for a batch file (also its file name)."""
    return f"vsb-{uuid.uuid4().hex[:12]}"


class BatchBook:
    """The ``batches`` and ``batch_keys`` tables of one cache connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                conn.execute(statement)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def add(self, row: BatchRow, keys: Sequence[tuple[str, KeyMeta]]) -> None:
        """Record a batch file and its keys in one transaction."""
        values = [getattr(row, f.name) for f in fields(BatchRow)]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(
                f"INSERT INTO batches ({_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values
            )
            self.conn.executemany(
                "INSERT OR REPLACE INTO batch_keys VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (row.id, key, m.item_id, m.condition, m.sample_index, m.answer_format, m.p_yes)
                    for key, m in keys
                ],
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def update(self, batch_id: str, **changes: object) -> None:
        """Change a batch's status, provider ids or note (and its ``updated`` time)."""
        changes["updated"] = time.time()
        sets = ", ".join(f"{name} = ?" for name in changes)
        self.conn.execute(f"UPDATE batches SET {sets} WHERE id = ?", (*changes.values(), batch_id))

    def rows(self, *, model: str | None = None, ids: Iterable[str] = ()) -> list[BatchRow]:
        """Every batch (of one model, or with the given valspec or provider ids), oldest first."""
        wanted = list(ids)
        query, args = f"SELECT {_COLUMNS} FROM batches", []
        if model is not None:
            query, args = query + " WHERE model = ?", [model]
        found = [BatchRow(*r) for r in self.conn.execute(query + " ORDER BY created", args)]
        if wanted:
            found = [r for r in found if r.id in wanted or r.provider_id in wanted]
        return found

    def keys(self, batch_id: str) -> dict[str, KeyMeta]:
        """The keys of one batch file and what their answers need."""
        rows = self.conn.execute(
            "SELECT key, item_id, condition, sample_index, answer_format, p_yes"
            " FROM batch_keys WHERE batch = ?",
            (batch_id,),
        )
        return {r[0]: KeyMeta(r[1], r[2], r[3], r[4], bool(r[5])) for r in rows}

    def open_keys(self, model: str) -> set[str]:
        """Keys in this model's provider batches whose answers have not come back yet."""
        rows = self.conn.execute(
            "SELECT k.key FROM batch_keys AS k JOIN batches AS b ON b.id = k.batch"
            " WHERE b.model = ? AND b.kind = ? AND b.status NOT IN (?, ?)",
            (model, PROVIDER, *CLOSED),
        )
        return {r[0] for r in rows}

    def lookup(self, keys: Sequence[str]) -> dict[str, tuple[str, KeyMeta]]:
        """For each key some batch file lists: the model it was asked of and its meta."""
        found: dict[str, tuple[str, KeyMeta]] = {}
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            rows = self.conn.execute(
                "SELECT k.key, b.model, k.item_id, k.condition, k.sample_index,"
                " k.answer_format, k.p_yes FROM batch_keys AS k JOIN batches AS b"
                f" ON b.id = k.batch WHERE k.key IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for r in rows:
                found[r[0]] = (r[1], KeyMeta(r[2], r[3], r[4], r[5], bool(r[6])))
        return found
