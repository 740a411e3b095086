from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valspec.adapters.base import Response, Usage
from valspec.cli import main as cli_main
from valspec.domain.errors import ConfigError
from valspec.domain.exit_codes import ExitCode
from valspec.domain.messages import AnswerFormat
from valspec.engine.cache import SQLiteStore, describe_store, open_store
from valspec.engine.cache_merge import merge_caches
from valspec.engine.cache_rows import parser_version
from valspec.engine.queries import MemoryStore, Record
from valspec.parsing import ParsedAnswer, Verdict, parse_answer

FORMATS = {
    "neutral": AnswerFormat.YES_NO,
    "p/simple": AnswerFormat.JSON_DECISION,
    "p/isq": AnswerFormat.ISQ,
}


def record(key: str, text: str, condition: str = "neutral", **response: object) -> Record:
    resp = Response(text=text, **response)  # type: ignore[arg-type]
    failed = ParsedAnswer(verdict=Verdict.UNPARSABLE)
    parsed = failed if resp.error else parse_answer(text, FORMATS[condition])
    return Record(key, f"item-{key}", condition, 0, resp, parsed)


def store(path: Path, run_id: str | None = None) -> SQLiteStore:
    return SQLiteStore(path / "cache.sqlite", run_id=run_id)


ISQ = (
    '{"ratings": {"visual_appeal": 7, "curiosity": 3, "emotional_engagement": 5, '
    '"value_to_persona": 9}, "decision": "no"}'
)


def test_records_round_trip_with_everything_a_row_keeps(tmp_path: Path) -> None:
    records = [
        record(
            "a",
            "Yes. Fun.",
            p_yes=0.83,
            latency_s=0.25,
            usage=Usage(120, 7),
            meta={"system_fingerprint": "fp_1"},
        ),
        record("b", '{"decision": "no", "reason": "dull", "trait": "calm"}', "p/simple"),
        record("c", ISQ, "p/isq"),
        record("d", "As an AI, I don't have personal preferences."),
    ]
    first = store(tmp_path)
    first.put_many(records)
    first.close()
    loaded = store(tmp_path).get_many([r.key for r in records] + ["absent"])
    assert loaded == {r.key: r for r in records}
    assert loaded["c"].parsed.ratings == {
        "visual_appeal": 7,
        "curiosity": 3,
        "emotional_engagement": 5,
        "value_to_persona": 9,
    }


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(max_size=80),
    condition=st.sampled_from(sorted(FORMATS)),
    p_yes=st.none() | st.floats(0, 1),
)
def test_any_answer_round_trips(
    tmp_path: Path, text: str, condition: str, p_yes: float | None
) -> None:
    cache = store(tmp_path)
    original = record("k", text, condition, p_yes=p_yes)
    cache.put_many([original])
    assert cache.get_many(["k"]) == {"k": original}
    cache._conn.execute("DELETE FROM responses")
    cache.close()


def test_failures_are_retried_by_the_next_run_and_never_replace_a_success(tmp_path: Path) -> None:
    run1 = store(tmp_path, run_id="one")
    failed = record("x", "", error="HTTP 503")
    run1.put_many([failed, record("ok", "Yes.")])
    assert run1.get_many(["x"]) == {"x": failed}  # the run that failed reads its failure
    assert run1.missing(["x", "ok"]) == []
    run2 = store(tmp_path, run_id="two")
    assert run2.missing(["x", "ok"]) == ["x"]  # the next run retries it
    assert run2.get_many(["x"]) == {}
    run2.put_many([record("x", "No.")])
    run2.put_many([record("ok", "", error="late failure")])
    fresh = store(tmp_path, run_id="three").get_many(["x", "ok"])
    assert fresh["x"].verdict == "no" and fresh["ok"].verdict == "yes"


def test_rows_stored_by_another_parser_are_read_again(tmp_path: Path) -> None:
    cache = store(tmp_path)
    cache.put_many([record("k", "No, I would scroll past.")])
    cache.flush()  # from the process's log into the table
    changed = cache._conn.execute("UPDATE responses SET verdict = 'yes', parser = 'older'")
    assert changed.rowcount == 1
    assert cache.get_many(["k"])["k"].verdict == "no"
    assert parser_version() != "older" and len(parser_version()) == 16


def test_rows_stored_by_this_parser_are_not_read_again(tmp_path: Path) -> None:
    cache = store(tmp_path)
    cache.put_many([record("k", "No, I would scroll past.")])
    cache.flush()
    changed = cache._conn.execute("UPDATE responses SET verdict = 'yes'")  # stored is what counts
    assert changed.rowcount == 1
    assert cache.get_many(["k"])["k"].verdict == "yes"


def test_releasing_without_keys_frees_every_claim_of_this_worker_only(tmp_path: Path) -> None:
    a, b = store(tmp_path, "run"), store(tmp_path, "run")
    a.claim(["k1", "k2", "k4", "k5"])
    b.claim(["k3"])
    a.release(["k4", "k5"])
    assert store(tmp_path, "run").claim(["k4", "k5"]).mine == ["k4", "k5"]
    a.release()
    claimed = store(tmp_path, "run").claim(["k1", "k2", "k3"])
    assert (claimed.mine, claimed.held) == (["k1", "k2"], ["k3"])


def test_claims_keep_two_workers_from_paying_twice(tmp_path: Path) -> None:
    a, b = store(tmp_path, "run"), store(tmp_path, "run")
    first = a.claim(["k1", "k2"])
    assert first.mine == ["k1", "k2"] and not first.held
    second = b.claim(["k1", "k2", "k3"])
    assert (second.mine, second.held, second.answered) == (["k3"], ["k1", "k2"], [])
    a.put_many([record("k1", "Yes.")])  # storing releases the claim
    a.release(["k2"])
    third = b.claim(["k1", "k2"])
    assert (third.mine, third.answered) == (["k2"], ["k1"])


def test_a_dead_workers_claims_are_taken_over(tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(child.stdout)
    a, b = store(tmp_path), store(tmp_path)
    a.claim(["k"])
    a._conn.execute("UPDATE claims SET pid = ?", (dead_pid,))
    assert b.claim(["k"]).mine == ["k"]
    old = store(tmp_path)
    old._conn.execute("UPDATE claims SET owner = 'elsewhere', host = 'other-host', claimed = 0")
    assert SQLiteStore(tmp_path / "cache.sqlite", claim_timeout_s=60).claim(["k"]).mine == ["k"]


def test_bad_cache_files_are_one_line_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match=r"junk.sqlite: cannot open the response cache"):
        SQLiteStore(junk)
    cache = store(tmp_path)
    cache._conn.execute("UPDATE info SET value = '99' WHERE name = 'schema'")
    with pytest.raises(ConfigError, match="schema 99"):
        store(tmp_path)


def test_open_store_keeps_simulations_in_memory_unless_a_path_is_given(tmp_path: Path) -> None:
    default = open_store(tmp_path)
    assert isinstance(default, SQLiteStore)
    assert default.path == tmp_path / ".valspec" / "cache.sqlite"
    assert "cache.sqlite" in describe_store(default)
    assert isinstance(open_store(tmp_path, simulated=True), MemoryStore)
    assert isinstance(open_store(tmp_path, enabled=False), MemoryStore)
    assert "memory" in describe_store(MemoryStore())
    assert isinstance(open_store(tmp_path, path=tmp_path / "s.sqlite", simulated=True), SQLiteStore)


def test_merge_keeps_the_first_answer_and_drops_failures(tmp_path: Path) -> None:
    one, two = SQLiteStore(tmp_path / "one.sqlite"), SQLiteStore(tmp_path / "two.sqlite")
    one.put_many([record("a", "Yes."), record("b", "No.")])
    two.put_many([record("b", "Yes."), record("c", "No."), record("e", "", error="timeout")])
    one.close()
    two.close()
    out = tmp_path / "out.sqlite"
    stats = merge_caches(out, [tmp_path / "one.sqlite", tmp_path / "two.sqlite"])
    assert (stats.added, stats.kept, stats.conflicts) == (3, 1, 1)
    merged = SQLiteStore(out, run_id="later")
    got = merged.get_many(["a", "b", "c", "e"])
    assert {k: r.verdict for k, r in got.items()} == {"a": "yes", "b": "no", "c": "no"}
    assert merged.count() == 3


def test_cli_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shard = SQLiteStore(tmp_path / "s1.sqlite")
    shard.put_many([record("a", "Yes.")])
    shard.close()
    assert (
        cli_main(["cache", "merge", str(tmp_path / "m.sqlite"), str(tmp_path / "s1.sqlite")]) == 0
    )
    assert "1 answers added, 0 already there" in capsys.readouterr().out
    code = cli_main(["cache", "merge", str(tmp_path / "m.sqlite"), str(tmp_path / "nope")])
    assert code == ExitCode.USAGE
    assert "nope: no such cache file" in capsys.readouterr().err
    rows = sqlite3.connect(tmp_path / "m.sqlite").execute("SELECT key FROM responses").fetchall()
    assert rows == [("a",)]


def test_every_process_claims_and_a_lone_one_writes_to_its_log(tmp_path: Path) -> None:
    """Separate runs claim keys too (not only xdist workers); a store nobody else has written
    to appends to the log, and its claims go when the log is merged."""
    alone = open_store(tmp_path, path=tmp_path / "c.sqlite")
    assert isinstance(alone, SQLiteStore) and alone.claims and not alone.shared
    assert alone.claim(["a", "b"]).mine == ["a", "b"]
    assert alone.connection.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 2
    alone.put_many([record("a", "Yes.")])
    assert _pending(alone) == 1
    worker = open_store(tmp_path, path=tmp_path / "c.sqlite", run_id="run-1")
    assert isinstance(worker, SQLiteStore) and worker.shared
    outcome = worker.claim(["a", "b", "c"])  # merges the log first: "a" is answered
    assert outcome.answered == ["a"] and outcome.held == ["b"] and outcome.mine == ["c"]
    assert _pending(alone) == 0
    worker.put_many([record("c", "No.")])
    assert not alone.shared
    assert alone.claim(["c"]).answered == ["c"]  # another process wrote: now it checks
    assert alone.shared
    alone.close()
    worker.close()


def test_a_later_run_waits_for_a_live_claim_and_takes_over_a_dead_one(tmp_path: Path) -> None:
    first = SQLiteStore(tmp_path / "c.sqlite")
    assert first.claim(["a", "b"]).mine == ["a", "b"]
    second = SQLiteStore(tmp_path / "c.sqlite")
    assert second.claim(["a", "b"]).held == ["a", "b"]  # the first run is alive
    first.connection.execute("UPDATE claims SET pid = 2147483646 WHERE key = 'b'")  # died
    outcome = second.claim(["a", "b"])
    assert outcome.held == ["a"] and outcome.mine == ["b"]
    first.close()
    second.close()


def _pending(store: SQLiteStore) -> int:
    return int(store.connection.execute("SELECT COUNT(*) FROM pending").fetchone()[0])


def test_a_single_process_appends_to_the_log_and_every_read_sees_it(tmp_path: Path) -> None:
    alone = open_store(tmp_path, path=tmp_path / "c.sqlite")
    assert isinstance(alone, SQLiteStore)
    alone.put_many([record("a", "Yes."), record("b", "No.")])
    assert _pending(alone) == 2  # durable at once, merged later
    other = SQLiteStore(tmp_path / "c.sqlite", run_id="later")  # e.g. after a kill -9
    assert set(other.get_many(["a", "b", "c"])) == {"a", "b"}
    assert _pending(alone) == 0 and other.count() == 2
    assert other.missing(["a", "c"]) == ["c"]
    alone.close()
    other.close()


def test_the_log_keeps_the_rule_that_a_success_beats_a_failure(tmp_path: Path) -> None:
    alone = SQLiteStore(tmp_path / "c.sqlite", run_id="r", claims=False)
    alone.put_many([record("a", "", error="HTTP 500"), record("b", "Yes.")])
    alone.put_many([record("a", "No."), record("b", "", error="timeout")])
    found = alone.get_many(["a", "b"])
    assert found["a"].verdict == "no" and found["b"].verdict == "yes"
    alone.close()


def test_the_log_is_merged_every_merge_rows_and_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from valspec.engine import cache as cache_module

    monkeypatch.setattr(cache_module, "MERGE_ROWS", 3)
    alone = SQLiteStore(tmp_path / "c.sqlite", claims=False)
    alone.put_many([record("a", "Yes."), record("b", "No.")])
    assert _pending(alone) == 2
    alone.put_many([record("c", "Yes.")])
    assert _pending(alone) == 0  # three appended: merged
    alone.put_many([record("d", "Yes.")])
    alone.close()
    with sqlite3.connect(tmp_path / "c.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 4


def test_merge_takes_the_answers_a_killed_shard_left_in_its_log(tmp_path: Path) -> None:
    shard = SQLiteStore(tmp_path / "shard.sqlite", claims=False)
    shard.put_many([record("a", "Yes."), record("b", "No.")])  # then killed: never closed
    assert _pending(shard) == 2
    stats = merge_caches(tmp_path / "out.sqlite", [tmp_path / "shard.sqlite"])
    assert stats.added == 2
    merged = SQLiteStore(tmp_path / "out.sqlite")
    assert set(merged.get_many(["a", "b"])) == {"a", "b"}
    merged.close()
    shard.close()


def test_a_claim_counts_this_runs_failures_as_answered_and_other_runs_as_open(
    tmp_path: Path,
) -> None:
    """A query that failed in this run is not asked again by a peer of the same run (it is
    reported failed, and the next run retries it); another run's failure is asked again."""
    path = tmp_path / "c.sqlite"
    earlier = SQLiteStore(path, run_id="earlier", shared=True)
    earlier.put_many([record("old", "", error="HTTP 503")])
    worker = SQLiteStore(path, run_id="now", shared=True)
    worker.put_many([record("mine", "", error="HTTP 503"), record("ok", "Yes.")])
    peer = SQLiteStore(path, run_id="now", shared=True)
    outcome = peer.claim(["mine", "old", "ok", "new"])
    assert outcome.answered == ["mine", "ok"]
    assert outcome.mine == ["old", "new"] and outcome.held == []
    later = SQLiteStore(path, run_id="later", shared=True)
    assert later.claim(["mine", "ok"]).answered == ["ok"]
    for s in (earlier, worker, peer, later):
        s.close()


def test_a_claim_older_than_the_timeout_is_taken_over_and_one_just_inside_it_is_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.sqlite"
    holder = SQLiteStore(path, run_id="r")
    holder.claim(["a", "b"])
    now = time.time()
    elsewhere = "UPDATE claims SET host = 'other-host', claimed = ? WHERE key = ?"
    holder.connection.execute(elsewhere, (now - 1000.0, "a"))  # far past the timeout
    holder.connection.execute(elsewhere, (now + 1000.0, "b"))  # well inside it
    other = SQLiteStore(path, run_id="r", claim_timeout_s=60.0)
    outcome = other.claim(["a", "b"])
    assert outcome.mine == ["a"] and outcome.held == ["b"]
    holder.close()
    other.close()


def test_without_claims_every_key_is_this_workers(tmp_path: Path) -> None:
    alone = SQLiteStore(tmp_path / "c.sqlite", claims=False)
    alone.put_many([record("a", "Yes.")])
    outcome = alone.claim(["a", "b"])
    assert (outcome.mine, outcome.answered, outcome.held) == (["a", "b"], [], [])
    alone.close()


def test_claims_of_more_keys_than_one_query_takes_cover_every_chunk(tmp_path: Path) -> None:
    from valspec.engine.cache import CHUNK

    keys = [f"k{n:05d}" for n in range(2 * CHUNK + 5)]
    first = SQLiteStore(tmp_path / "c.sqlite", run_id="r")
    assert first.claim(keys).mine == keys
    second = SQLiteStore(tmp_path / "c.sqlite", run_id="r")
    outcome = second.claim([*keys, "new"])
    assert outcome.held == keys and outcome.mine == ["new"]
    first.close()
    second.close()


def test_a_taken_over_claim_is_the_new_owners_for_everyone_else(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    dead = SQLiteStore(path, run_id="r")
    dead.claim(["k"])
    dead.connection.execute("UPDATE claims SET pid = 2147483646")  # no such process
    heir = SQLiteStore(path, run_id="r")
    assert heir.claim(["k"]).mine == ["k"]
    third = SQLiteStore(path, run_id="r")
    assert third.claim(["k"]).held == ["k"]  # the heir is alive
    for s in (dead, heir, third):
        s.close()


def test_a_claim_is_dead_only_past_the_timeout(tmp_path: Path) -> None:
    holder = SQLiteStore(tmp_path / "c.sqlite", claim_timeout_s=60.0)
    assert not holder._is_dead("other-host", 1, claimed=100.0, now=160.0)  # exactly 60 s
    assert holder._is_dead("other-host", 1, claimed=100.0, now=math.nextafter(160.0, 200.0))
    assert not holder._is_dead(holder.host, holder.pid, claimed=100.0, now=100.0)
    assert holder._is_dead(holder.host, 2147483646, claimed=100.0, now=100.0)
    holder.close()
