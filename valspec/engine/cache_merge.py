"""``valspec cache merge``: combine the response caches of sharded runs into one file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from valspec.domain.errors import ConfigError
from valspec.engine.cache import SQLiteStore, Transaction
from valspec.engine.cache_rows import COLUMNS


@dataclass(frozen=True)
class MergeStats:
    """What ``merge_caches`` did: rows copied in, rows already there, differing duplicates."""

    added: int
    kept: int
    conflicts: int


def merge_caches(out: Path | str, inputs: Iterable[Path | str]) -> MergeStats:
    """Merge cache files into ``out`` (created if absent).

    Conflict rule: a success beats a failure; between two successes for one key the row
    already in ``out`` (or from the earlier input) is kept, and the differing ones counted.
    Failed queries in the inputs are not copied (the next run retries them).
    """
    target = SQLiteStore(out)
    target.flush()  # answers a crashed run left in the log count as the target's
    conn = target.connection
    added = kept = conflicts = 0
    try:
        for source in inputs:
            source_path = Path(source)
            if not source_path.is_file():
                raise ConfigError(f"{source_path}: no such cache file")
            if source_path.resolve() == target.path.resolve():
                raise ConfigError(f"{source_path}: cannot merge a cache into itself")
            SQLiteStore(source_path).close()  # validates the file, merges its pending log
            conn.execute("ATTACH DATABASE ? AS src", (str(source_path),))
            try:
                with Transaction(conn):
                    fresh = "src.responses.error IS NULL"
                    conflicts += conn.execute(
                        "SELECT COUNT(*) FROM src.responses s JOIN main.responses m"
                        " ON s.key = m.key WHERE s.error IS NULL AND m.error IS NULL"
                        " AND (s.text != m.text OR s.p_yes IS NOT m.p_yes)"
                    ).fetchone()[0]
                    before = conn.total_changes
                    # "WHERE ... AND true": SQLite needs a WHERE before an upsert after SELECT
                    conn.execute(
                        f"INSERT INTO main.responses ({COLUMNS}) SELECT {COLUMNS}"
                        f" FROM src.responses WHERE {fresh} AND true"
                        " ON CONFLICT(key) DO UPDATE SET "
                        + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS.split(", ")[1:])
                        + " WHERE main.responses.error IS NOT NULL"
                    )
                    changed = conn.total_changes - before
                    total = conn.execute(
                        f"SELECT COUNT(*) FROM src.responses WHERE {fresh}"
                    ).fetchone()[0]
                    added += changed
                    kept += total - changed
            finally:
                conn.execute("DETACH DATABASE src")
    finally:
        target.close()
    return MergeStats(added=added, kept=kept, conflicts=conflicts)
