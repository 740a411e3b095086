"""The response cache: every answered query in SQLite, so no query is paid for twice.

One row per query key keeps what the model said (text, P(yes), latency, token usage, meta
such as a ``system_fingerprint``), the verdict and parsed fields (re-parsed on load when the
parser changed since), the time, and the run that stored it. The database runs in WAL mode
with a busy timeout, so several pytest-xdist workers (or several runs) share one file.

Failed queries (``Response.error``) are stored too, but only the run that stored them reads
them back: the next run sees them as missing and retries them, so a transient failure is
never frozen into the cache. A success is never overwritten by a failure.

*Claims* keep processes on one machine from paying twice, xdist workers and separate runs
alike: before sending, a process claims its keys in one transaction; a key claimed by a live
peer is left to that peer and waited for, and a claim by a process that died (kill -9) is
taken over. Liveness is a pid check, so this holds for one host and a local disk (a claim
from another host only expires after ``claim_timeout_s``).

A process that has the file to itself (no other process has written since it opened it)
appends its answers to a log and skips the "already answered?" look-up when it claims: only
a write by someone else can answer a key after this process looked it up. A ``writes``
counter in the ``info`` table, bumped by every write transaction, tells it when that changes;
from then on it checks each claim against the stored answers (merging any log first, in the
same transaction) and writes to the keyed table. Claims are released as answers are stored,
so the claims table only holds what is in flight.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from valspec.adapters.base import Response
from valspec.domain.errors import ConfigError
from valspec.engine.answers import ERROR, Columns
from valspec.engine.cache_rows import (
    COLUMNS,
    COLUMNS_SQL,
    json_list,
    numbers,
    parser_version,
    record_from_row,
    row_for,
)
from valspec.engine.queries import MemoryStore, Record, ResultStore
from valspec.parsing import ParsedAnswer

SCHEMA_VERSION = "1"
PAGE_BYTES = 16_384  # a new file's page size (SQLite: 4,096): ~15 % faster random-key inserts
CHECKPOINT_PAGES = 2_500  # WAL pages between checkpoints (~40 MB; SQLite: 1,000 pages): each one
# copies the log into the file and syncs it, the main cost of writing a big run
MERGE_ROWS = 200_000  # a single process merges its appended answers at least this often
LOOKUP_CHUNK = 50_000  # keys per json_each lookup in ``columns``
CHUNK = 900  # keys per "IN (...)" query (SQLite allows 32766 variables; smaller is faster)
DEFAULT_CLAIM_TIMEOUT_S = 1800.0  # a claim older than this is taken over even if its owner lives

_ROW = """
    item_id TEXT NOT NULL,
    condition TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    text TEXT NOT NULL,
    p_yes REAL,
    verdict TEXT NOT NULL,
    parsed TEXT NOT NULL,
    parser TEXT NOT NULL,
    answer_format TEXT NOT NULL,
    latency_s REAL NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    meta TEXT NOT NULL,
    error TEXT,
    run_id TEXT NOT NULL,
    created REAL NOT NULL
"""
# ``responses``: one row per key. ``pending``: the same columns, the log a single process
# appends to (no key index) and merges into ``responses`` (SQLiteStore.put_many).
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY,{_ROW}) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (key TEXT NOT NULL,{_ROW});
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    claimed REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_ON_CONFLICT = (
    " ON CONFLICT(key) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS.split(", ")[1:])
    + " WHERE responses.error IS NOT NULL"  # a success is never overwritten
)
_UPSERT = f"INSERT INTO responses ({COLUMNS}) VALUES ({', '.join('?' * 17)})" + _ON_CONFLICT
_APPEND = f"INSERT INTO pending ({COLUMNS}) VALUES ({', '.join('?' * 17)})"
# "WHERE true": SQLite needs a WHERE before an upsert that follows a SELECT
_MERGE = (
    f"INSERT INTO responses ({COLUMNS}) SELECT {COLUMNS} FROM pending WHERE true"
    " ORDER BY key, rowid" + _ON_CONFLICT
)


def _chunks(keys: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class ClaimResult:
    """What a claim found: keys now this worker's, keys already answered, keys a peer holds."""

    mine: list[str]
    answered: list[str]
    held: list[str]


class SQLiteStore:
    """A :class:`~valspec.engine.queries.ResultStore` in one SQLite file, shared by runs."""

    def __init__(
        self,
        path: Path | str,
        *,
        run_id: str | None = None,
        claim_timeout_s: float = DEFAULT_CLAIM_TIMEOUT_S,
        claims: bool = True,
        shared: bool = False,
    ) -> None:
        self.path = Path(path)
        self.claims = claims  # off: nobody to share the work with (a shard's own file)
        # shared: others write to this file too (claims checked against stored answers, rows
        # written to the keyed table at once); set from the start for xdist workers, and as
        # soon as another process's write is seen
        self.shared = shared and claims
        self._appended = 0  # rows this process appended to ``pending`` since the last merge
        self.run_id = run_id or uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.owner = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.claim_timeout_s = claim_timeout_s
        self._conn = connect(self.path)
        self._own_writes = 0  # write transactions of this store (see ``_bump``)
        self._writes_base = self._write_count()

    # -- the ResultStore protocol ------------------------------------------------------------
    def get_many(self, keys: Sequence[str]) -> dict[str, Record]:
        """The usable stored records among ``keys`` (another run's failures are not)."""
        self.flush()
        found: dict[str, Record] = {}
        version = parser_version()
        parsed_cache: dict[tuple[str, ...], ParsedAnswer] = {}
        responses: dict[tuple[Any, ...], Response] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT {COLUMNS} FROM responses WHERE key IN ({marks})"
                " AND (error IS NULL OR run_id = ?)",
                (*chunk, self.run_id),
            )
            for row in rows:
                found[row[0]] = record_from_row(row, version, parsed_cache, responses)
        return found

    def columns(self, keys: Sequence[str]) -> Columns:
        """What scoring needs of each key's usable answer, by position, without building
        records: one indexed lookup per key in key order (neighbouring keys share pages), the
        verdict and questionnaire flag decoded in SQL. Rows stored by another parser version
        are parsed again from their text, failed rows get their error text."""
        self.flush()
        columns = Columns.blank(len(keys))
        version = parser_version()
        order = sorted(range(len(keys)), key=keys.__getitem__)
        packed, p_yes = [], []
        for start in range(0, len(order), LOOKUP_CHUNK):
            chunk = json_list([keys[i] for i in order[start : start + LOOKUP_CHUNK]])
            found = self._conn.execute(COLUMNS_SQL, (version, chunk, self.run_id)).fetchone()
            packed.append(numbers(found[0], np.int64) + 64 * start)  # places in ``order``
            pairs = numbers(found[1], np.float64).reshape(-1, 2)
            pairs[:, 0] += start
            p_yes.append(pairs)
        places = np.array(order, dtype=np.intp)
        codes = np.concatenate(packed) if packed else np.zeros(0, dtype=np.int64)
        where = places[codes >> 6]
        columns.found[where] = True
        columns.verdicts[where] = (codes >> 3) & 7
        columns.isq[where] = ((codes >> 1) & 3) - 1
        reported = np.concatenate(p_yes) if p_yes else np.zeros((0, 2))
        columns.p_yes[places[reported[:, 0].astype(np.intp)]] = reported[:, 1]
        # rare: failures (their error text) and rows of another parser version (parsed again)
        redo = where[((codes & 1) > 0) | (((codes >> 3) & 7) == ERROR)]
        records = self.get_many([keys[i] for i in redo.tolist()])
        fixed = Columns.of_records([records[keys[i]] for i in redo.tolist()])
        columns.verdicts[redo] = fixed.verdicts
        columns.isq[redo] = fixed.isq
        errors = {int(redo[n]): why for n, why in fixed.errors.items()}
        return replace(columns, errors=errors)

    def missing(self, keys: Sequence[str]) -> list[str]:
        """The keys among ``keys`` without a usable stored record, in the given order."""
        found = self.columns(keys).found.tolist()
        return [k for k, ok in zip(keys, found, strict=True) if not ok]

    def put_many(self, records: Sequence[Record]) -> None:
        """Store a batch in one transaction (and release this worker's claims on it).

        A single process appends the batch to the ``pending`` log, merged into the keyed
        table in bulk before the next read (or every MERGE_ROWS rows, or at close): inserting
        a few thousand random keys into a large B-tree rewrites a page per key, and at
        Value-Spectrum scale that write volume was most of a cold run's cost. Workers that
        claim keys write to the keyed table at once, where their peers' claims look."""
        if not records:
            return
        now = time.time()
        version = parser_version()
        blobs: dict[int, str] = {}  # parsed answers are often shared objects: encode each once
        rows = [row_for(r, version, self.run_id, now, blobs) for r in records]
        if not self.shared:  # append to the log (see the module docstring)
            with self._transaction():
                self._conn.executemany(_APPEND, rows)
                self._drop_claims(records)
                self._bump()
            self._appended += len(rows)
            if self._appended >= MERGE_ROWS:
                self.flush()
            return
        rows.sort()  # in key order: neighbouring keys share B-tree pages
        with self._transaction():
            self._conn.executemany(_UPSERT, rows)
            self._drop_claims(records)
            self._bump()

    def _drop_claims(self, records: Sequence[Record]) -> None:
        """Release this worker's claims on stored records (inside the caller's transaction).

        Safe for a record still in the log: a peer that claims merges the log first, in the
        same transaction, so it finds the answer before it could take the key."""
        if not self.claims:
            return
        for chunk in _chunks([r.key for r in records]):
            marks = ",".join("?" * len(chunk))
            self._conn.execute(
                f"DELETE FROM claims WHERE owner = ? AND key IN ({marks})", (self.owner, *chunk)
            )

    def flush(self) -> None:
        """Merge the ``pending`` log (this process's, or a crashed one's) into the keyed table,
        in key order and in one transaction; a no-op when it is empty."""
        self._appended = 0
        if self._conn.execute("SELECT 1 FROM pending LIMIT 1").fetchone() is None:
            return
        with self._transaction():
            self._merge_pending()

    def _merge_pending(self) -> None:
        """The body of ``flush``, inside the caller's transaction."""
        if self._conn.execute("SELECT 1 FROM pending LIMIT 1").fetchone() is None:
            return
        self._conn.execute(_MERGE)
        self._conn.execute("DELETE FROM pending")
        self._bump()

    # -- claims (several workers, one machine) -----------------------------------------------
    def claim(self, keys: Sequence[str]) -> ClaimResult:
        """Claim the unanswered keys no live peer holds; say which are answered or held.

        With claims off every key is this worker's. While no other process has written to
        the file since this store opened it, a key cannot have been answered since the
        caller looked it up, so the look-up is skipped (see the module docstring)."""
        if not self.claims:
            return ClaimResult(mine=list(keys), answered=[], held=[])
        if not self.shared and self._foreign_writes():
            self.shared = True  # someone else writes here now: check and write as they do
        mine: list[str] = []
        answered: list[str] = []
        held: list[str] = []
        now = time.time()
        with self._transaction():
            if self.shared:  # a lone writer's log first (its claims on it are gone already)
                self._merge_pending()
            for chunk in _chunks(keys):
                marks = ",".join("?" * len(chunk))
                done: set[str] = set()
                if self.shared:
                    done = {
                        r[0]
                        for r in self._conn.execute(
                            f"SELECT key FROM responses WHERE key IN ({marks})"
                            " AND (error IS NULL OR run_id = ?)",
                            (*chunk, self.run_id),
                        )
                    }
                todo = [k for k in chunk if k not in done]
                answered.extend(k for k in chunk if k in done)
                before = self._conn.total_changes
                self._conn.executemany(
                    "INSERT OR IGNORE INTO claims (key, owner, host, pid, claimed)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(k, self.owner, self.host, self.pid, now) for k in todo],
                )
                if self._conn.total_changes - before == len(todo):  # all new: all ours
                    mine.extend(todo)
                    continue
                marks = ",".join("?" * len(todo))
                owners = {
                    r[0]: r[1:]
                    for r in self._conn.execute(
                        f"SELECT key, owner, host, pid, claimed FROM claims WHERE key IN ({marks})",
                        todo,
                    )
                }
                stolen: list[str] = []
                for key in todo:
                    owner, host, pid, claimed = owners[key]
                    if owner == self.owner:
                        mine.append(key)
                    elif self._is_dead(host, pid, claimed, now):
                        stolen.append(key)
                        mine.append(key)
                    else:
                        held.append(key)
                self._conn.executemany(
                    "UPDATE claims SET owner = ?, host = ?, pid = ?, claimed = ? WHERE key = ?",
                    [(self.owner, self.host, self.pid, now, k) for k in stolen],
                )
        return ClaimResult(mine=mine, answered=answered, held=held)

    def _write_count(self) -> int:
        """Write transactions on this file so far, by every process (the ``writes`` counter)."""
        row = self._conn.execute("SELECT value FROM info WHERE name = 'writes'").fetchone()
        return int(row[0]) if row is not None else 0

    def _bump(self) -> None:
        """Count one write transaction (call inside it)."""
        self._conn.execute(
            "INSERT INTO info (name, value) VALUES ('writes', '1') ON CONFLICT(name)"
            " DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        self._own_writes += 1

    def _foreign_writes(self) -> bool:
        """Whether another process has written to the file since this store opened it."""
        return self._write_count() > self._writes_base + self._own_writes

    def release(self, keys: Sequence[str] | None = None) -> None:
        """Drop this worker's claims (all of them when ``keys`` is None)."""
        if not self.claims:
            return
        with self._transaction():
            if keys is None:
                self._conn.execute("DELETE FROM claims WHERE owner = ?", (self.owner,))
                return
            for chunk in _chunks(keys):
                marks = ",".join("?" * len(chunk))
                self._conn.execute(
                    f"DELETE FROM claims WHERE owner = ? AND key IN ({marks})",
                    (self.owner, *chunk),
                )

    def _is_dead(self, host: str, pid: int, claimed: float, now: float) -> bool:
        if now - claimed > self.claim_timeout_s:
            return True
        return host == self.host and not _pid_alive(pid)

    # -- housekeeping ------------------------------------------------------------------------
    @property
    def connection(self) -> sqlite3.Connection:
        """The open SQLite connection (autocommit mode; wrap writes in a transaction)."""
        return self._conn

    def count(self) -> int:
        """How many rows the cache holds (failed queries included)."""
        self.flush()
        return int(self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Merge pending answers, release this worker's claims and close the connection."""
        with contextlib.suppress(sqlite3.Error):
            self.flush()
            self.release()
        self._conn.close()

    def _transaction(self) -> Transaction:
        return Transaction(self._conn)


class Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK``): takes the write lock up front."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_rest: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _use_wal(conn: sqlite3.Connection, timeout_s: float = 60.0) -> None:
    """Switch the file to WAL mode, waiting for peers: on a new file, workers opening it at
    once race to switch, and the loser gets "database is locked" at once (SQLite does not
    call the busy handler for a journal-mode change)."""
    deadline = time.monotonic() + timeout_s
    pause = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(0.2, pause * 2)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) a cache file in WAL mode; a bad file is a one-line error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=60.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute(f"PRAGMA page_size = {PAGE_BYTES}")  # takes effect on a new file only
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
        with Transaction(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT value FROM info WHERE name = 'schema'").fetchone()
            if row is None:
                conn.execute("INSERT INTO info VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                raise ConfigError(
                    f"{path}: response cache has schema {row[0]}, this valspec writes "
                    f"{SCHEMA_VERSION}; use another --valspec-cache path or delete the file"
                )
    except (sqlite3.Error, OSError) as exc:
        raise ConfigError(f"{path}: cannot open the response cache: {exc}") from None
    return conn


DEFAULT_CACHE = Path(".valspec") / "cache.sqlite"


def open_store(
    root: Path,
    *,
    path: Path | None = None,
    enabled: bool = True,
    simulated: bool = False,
    run_id: str | None = None,
) -> ResultStore:
    """The store a run uses: the SQLite cache, or memory when the cache is off.

    Default: ``<root>/.valspec/cache.sqlite``. A simulated model is kept in memory unless a
    ``path`` is given: it is free and deterministic, and caching it would only hide edits to
    the simulation from the next run.
    """
    if not enabled or (simulated and path is None):
        return MemoryStore()
    # Every process claims keys (another run may share the file); pytest-xdist workers, which
    # share a run id, know from the start that peers write to it too.
    return SQLiteStore(
        path if path is not None else root / DEFAULT_CACHE,
        run_id=run_id,
        shared=run_id is not None,
    )


def describe_store(store: ResultStore) -> str:
    """Where answers are kept, for messages: the cache file, or memory."""
    path = getattr(store, "path", None)
    return f"the response cache {path}" if path is not None else "memory (the cache is off)"
