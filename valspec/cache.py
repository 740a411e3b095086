"""The response cache: every answered query in SQLite, so no query is paid for twice.

One row per query key keeps what the model said (text, P(yes), latency, token usage, meta
such as a ``system_fingerprint``), the verdict and parsed fields (re-parsed on load when the
parser changed since), the time, and the run that stored it. The database runs in WAL mode
with a busy timeout, so several pytest-xdist workers (or several runs) share one file.

Failed queries (``Response.error``) are stored too, but only the run that stored them reads
them back: the next run sees them as missing and retries them, so a transient failure is
never frozen into the cache. A success is never overwritten by a failure.

*Claims* keep workers on one machine from paying twice: before sending a batch, a worker
claims its keys in one transaction; a key claimed by a live peer is left to that peer and
waited for, and a claim by a process that died (kill -9) is taken over.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from valspec.adapters.base import AnswerFormat, Response, Usage
from valspec.answers import ERROR, Columns
from valspec.engine import MemoryStore, Record, ResultStore
from valspec.errors import ConfigError, UnknownNameError
from valspec.parsing import ParsedAnswer, Verdict, parse_answer
from valspec.prompts import NEUTRAL, template_for

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

COLUMNS = (
    "key, item_id, condition, sample_index, text, p_yes, verdict, parsed, parser, "
    "answer_format, latency_s, prompt_tokens, completion_tokens, meta, error, run_id, created"
)
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


@cache
def parser_version() -> str:
    """A hash of the parsing package's source: cached verdicts are re-read when it changes."""
    digest = hashlib.sha256()
    folder = Path(__file__).resolve().parent / "parsing"
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# ``columns`` reads each chunk of keys as two strings (building a Python row per answer costs
# more than SQLite's own lookup): per found row, an integer packing its place in the chunk,
# verdict code, questionnaire flag and a "parse again" bit; and, for rows with a P(yes), the
# place and P(yes) printed with 17 significant digits (exact for a double). group_concat
# skips the NULLs of rows without one.
_COLUMNS_SQL = """
SELECT
    group_concat(CAST(j.key AS INTEGER) * 64
        + 8 * CASE WHEN r.error IS NOT NULL THEN 4 WHEN r.verdict = 'yes' THEN 0
                   WHEN r.verdict = 'no' THEN 1 WHEN r.verdict = 'refusal' THEN 2 ELSE 3 END
        + 2 * CASE WHEN r.error IS NOT NULL OR instr(r.parsed, '"derived"') = 0
                        OR json_extract(r.parsed, '$.derived') IS NULL THEN 0
                   WHEN json_extract(r.parsed, '$.stated') IS NOT NULL
                        AND json_extract(r.parsed, '$.stated')
                            != json_extract(r.parsed, '$.derived') THEN 2
                   ELSE 1 END
        + (r.error IS NULL AND r.answer_format != '' AND r.parser != ?), ' '),
    group_concat(
        CASE WHEN r.p_yes IS NOT NULL
             THEN CAST(j.key AS INTEGER) || ' ' || printf('%!.17g', r.p_yes) END, ' ')
FROM json_each(?) AS j JOIN responses AS r ON r.key = j.value
WHERE r.error IS NULL OR r.run_id = ?
"""


_PLAIN = bytes(b for b in range(0x20, 0x7F) if b not in b'\\"')  # need no JSON escape


def _json_list(keys: list[str]) -> str:
    """A JSON array of strings: hex keys need no escaping, so a join does (~10x json.dumps).

    The join is taken as is when it is ASCII and, printable characters other than quote and
    backslash set aside, only the separators' quotes are left; otherwise ``json.dumps``."""
    joined = '","'.join(keys)
    if keys and joined.isascii():
        rest = joined.encode().translate(None, _PLAIN)
        if rest == b'"' * (2 * (len(keys) - 1)):
            return f'["{joined}"]'
    return json.dumps(keys)


def _numbers(text: str | None, dtype: type[np.generic]) -> np.ndarray[Any, np.dtype[Any]]:
    """The space-separated numbers of a ``group_concat`` result (None: no rows)."""
    return np.fromstring(text or "", dtype=dtype, sep=" ")


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


def _parsed_json(parsed: ParsedAnswer) -> str:
    fields: dict[str, Any] = {}
    if parsed.reason is not None:
        fields["reason"] = parsed.reason
    if parsed.trait is not None:
        fields["trait"] = parsed.trait
    if parsed.ratings is not None:
        fields["ratings"] = dict(parsed.ratings)
    if parsed.stated is not None:
        fields["stated"] = parsed.stated.value
    if parsed.derived is not None:
        fields["derived"] = parsed.derived.value
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False) if fields else ""


_VERDICTS = {v.value: v for v in Verdict}


def _parsed_from(verdict: str, blob: str) -> ParsedAnswer:
    if not blob:
        return ParsedAnswer(verdict=_VERDICTS[verdict])
    fields = json.loads(blob)
    stated, derived = fields.get("stated"), fields.get("derived")
    return ParsedAnswer(
        verdict=_VERDICTS[verdict],
        reason=fields.get("reason"),
        trait=fields.get("trait"),
        ratings=fields.get("ratings"),
        stated=_VERDICTS[stated] if stated else None,
        derived=_VERDICTS[derived] if derived else None,
    )


@dataclass(frozen=True)
class ClaimResult:
    """What a claim found: keys now this worker's, keys already answered, keys a peer holds."""

    mine: list[str]
    answered: list[str]
    held: list[str]


class SQLiteStore:
    """A :class:`~valspec.engine.ResultStore` in one SQLite file, shared by workers and runs."""

    def __init__(
        self,
        path: Path | str,
        *,
        run_id: str | None = None,
        claim_timeout_s: float = DEFAULT_CLAIM_TIMEOUT_S,
        claims: bool = True,
    ) -> None:
        self.path = Path(path)
        self.claims = claims  # off: one process, nobody to share the work with
        self._appended = 0  # rows this process appended to ``pending`` since the last merge
        self.run_id = run_id or uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.owner = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.claim_timeout_s = claim_timeout_s
        self._conn = connect(self.path)

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
                found[row[0]] = _record_from_row(row, version, parsed_cache, responses)
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
            chunk = _json_list([keys[i] for i in order[start : start + LOOKUP_CHUNK]])
            found = self._conn.execute(_COLUMNS_SQL, (version, chunk, self.run_id)).fetchone()
            packed.append(_numbers(found[0], np.int64) + 64 * start)  # places in ``order``
            pairs = _numbers(found[1], np.float64).reshape(-1, 2)
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
        errors: dict[int, str] = {}
        redo = where[((codes & 1) > 0) | (((codes >> 3) & 7) == ERROR)].tolist()
        records = self.get_many([keys[i] for i in redo])
        for position in redo:  # rare: failures, and rows stored by another parser version
            record = records[keys[position]]
            single = Columns.of_records([record])
            columns.verdicts[position] = single.verdicts[0]
            columns.isq[position] = single.isq[0]
            if record.response.error:
                errors[position] = record.response.error
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
        rows = [_row_for(r, version, self.run_id, now, blobs) for r in records]
        if not self.claims:
            with self._transaction():
                self._conn.executemany(_APPEND, rows)
            self._appended += len(rows)
            if self._appended >= MERGE_ROWS:
                self.flush()
            return
        rows.sort()  # in key order: neighbouring keys share B-tree pages
        with self._transaction():
            self._conn.executemany(_UPSERT, rows)
            for chunk in _chunks([r.key for r in records]):
                marks = ",".join("?" * len(chunk))
                self._conn.execute(
                    f"DELETE FROM claims WHERE owner = ? AND key IN ({marks})",
                    (self.owner, *chunk),
                )

    def flush(self) -> None:
        """Merge the ``pending`` log (this process's, or a crashed one's) into the keyed table,
        in key order and in one transaction; a no-op when it is empty."""
        self._appended = 0
        if self._conn.execute("SELECT 1 FROM pending LIMIT 1").fetchone() is None:
            return
        with self._transaction():
            self._conn.execute(_MERGE)
            self._conn.execute("DELETE FROM pending")

    # -- claims (several workers, one machine) -----------------------------------------------
    def claim(self, keys: Sequence[str]) -> ClaimResult:
        """Claim the unanswered keys no live peer holds; say which are answered or held.

        With claims off (a store used by one process) every key is this worker's."""
        if not self.claims:
            return ClaimResult(mine=list(keys), answered=[], held=[])
        self.flush()
        mine: list[str] = []
        answered: list[str] = []
        held: list[str] = []
        now = time.time()
        with self._transaction():
            for chunk in _chunks(keys):
                marks = ",".join("?" * len(chunk))
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
                self._conn.executemany(
                    "INSERT OR IGNORE INTO claims (key, owner, host, pid, claimed)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(k, self.owner, self.host, self.pid, now) for k in todo],
                )
                if not todo:
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


@lru_cache(maxsize=4096)
def _answer_format(condition: str) -> str:
    """The answer format a condition id asks for (``neutral``, ``<persona>/<strategy>~...``)."""
    base = condition.split("~", 1)[0]
    strategy = base.rpartition("/")[2] if "/" in base else NEUTRAL
    try:
        return template_for(strategy).answer_format.value
    except UnknownNameError:
        return ""


def _row_for(
    record: Record, version: str, run_id: str, now: float, blobs: dict[int, str]
) -> tuple[Any, ...]:
    response, parsed = record.response, record.parsed
    fmt = _answer_format(record.condition)
    blob = blobs.get(id(parsed))
    if blob is None:
        blob = blobs[id(parsed)] = _parsed_json(parsed)
    return (
        record.key,
        record.item_id,
        record.condition,
        record.sample_index,
        response.text,
        response.p_yes,
        str(parsed.verdict),
        blob,
        version,
        fmt,
        response.latency_s,
        response.usage.prompt_tokens,
        response.usage.completion_tokens,
        json.dumps(dict(response.meta), separators=(",", ":")) if response.meta else "",
        response.error,
        run_id,
        now,
    )


def _record_from_row(
    row: tuple[Any, ...],
    version: str,
    parsed_cache: dict[tuple[str, ...], ParsedAnswer],
    responses: dict[tuple[Any, ...], Response],
) -> Record:
    (key, item_id, condition, sample, text, p_yes, verdict, parsed, parser, fmt) = row[:10]
    latency, prompt_tokens, completion_tokens, meta, error = row[10:15]
    # Identical responses repeat a lot (an instant or cached model): a Response is immutable,
    # so rows without meta share one object (meta is a dict: rows with meta get their own).
    shared = None if meta else (text, p_yes, latency, error, prompt_tokens, completion_tokens)
    response = responses.get(shared) if shared is not None else None
    if response is None:
        usage = _NO_USAGE
        if prompt_tokens is not None or completion_tokens is not None:
            usage = Usage(prompt_tokens, completion_tokens)
        response = Response(text, p_yes, latency, error, usage, json.loads(meta) if meta else {})
        if shared is not None:
            if len(responses) > 200_000:
                responses.clear()
            responses[shared] = response
    if parser != version and error is None and fmt:  # the parser changed: read the text again
        memo: tuple[str, ...] = ("text", fmt, text)
    else:
        memo = (verdict, parsed)
    answer = parsed_cache.get(memo)  # answers repeat a lot; a ParsedAnswer is immutable
    if answer is None:
        if len(memo) == 3:
            answer = parse_answer(text, AnswerFormat(fmt))
        else:
            answer = _parsed_from(verdict, parsed)
        if len(parsed_cache) > 200_000:
            parsed_cache.clear()
        parsed_cache[memo] = answer
    return Record(key, item_id, condition, sample, response, answer)


_NO_USAGE = Usage()


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
    # Only pytest-xdist workers share a run id: they claim keys so as not to pay twice.
    claims = run_id is not None
    return SQLiteStore(
        path if path is not None else root / DEFAULT_CACHE, run_id=run_id, claims=claims
    )


def describe_store(store: ResultStore) -> str:
    """Where answers are kept, for messages: the cache file, or memory."""
    path = getattr(store, "path", None)
    return f"the response cache {path}" if path is not None else "memory (the cache is off)"
