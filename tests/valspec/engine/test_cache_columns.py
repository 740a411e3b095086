"""``SQLiteStore.columns``: the column form read in SQL must equal what the records say."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valspec.adapters.base import Response
from valspec.domain.messages import AnswerFormat
from valspec.engine.answers import ERROR, NO_ISQ, Columns
from valspec.engine.cache import SQLiteStore
from valspec.engine.cache_rows import json_list
from valspec.engine.queries import Record
from valspec.parsing import ParsedAnswer, Verdict, parse_answer

FORMATS = {
    "neutral": AnswerFormat.YES_NO,
    "p/simple": AnswerFormat.JSON_DECISION,
    "p/isq": AnswerFormat.ISQ,
}
RATINGS = (
    '{{"visual_appeal": {}, "curiosity": {}, "emotional_engagement": {}, "value_to_persona": {}}}'
)
TEXTS = {
    "neutral": ["Yes. Fun.", "No. Dull.", "As an AI, I cannot say.", "maybe?"],
    "p/simple": ['{"decision": "yes", "reason": "derived"}', '{"decision": "no"}', "no json"],
    "p/isq": [
        '{"ratings": ' + RATINGS.format(9, 9, 9, 9) + ', "decision": "no"}',  # contradicts
        '{"ratings": ' + RATINGS.format(1, 1, 1, 1) + ', "decision": "no"}',  # agrees
        '{"ratings": ' + RATINGS.format(9, 9, 9, 9) + "}",  # no stated decision
    ],
}


def _record(key: str, condition: str, text: str, p_yes: float | None, error: str | None) -> Record:
    response = Response(text=text, p_yes=p_yes, error=error)
    parsed = (
        ParsedAnswer(verdict=Verdict.UNPARSABLE)
        if error
        else parse_answer(text, FORMATS[condition])
    )
    return Record(key, f"item-{key}", condition, 0, response, parsed)


def _expected(store: SQLiteStore, keys: list[str]) -> Columns:
    found = store.get_many(keys)
    return Columns.of_records([found.get(k) for k in keys])


def _same(got: Columns, want: Columns) -> None:
    assert np.array_equal(got.found, want.found)
    where = want.found
    assert np.array_equal(got.verdicts[where], want.verdicts[where])
    assert np.array_equal(got.isq[where], want.isq[where])
    assert np.array_equal(got.p_yes[where], want.p_yes[where], equal_nan=True)  # bit-exact
    assert dict(got.errors) == dict(want.errors)


rows = st.tuples(
    st.sampled_from(sorted(FORMATS)),
    st.integers(0, 2),
    st.none() | st.floats(0, 1),
    st.none() | st.sampled_from(["HTTP 500", "timeout"]),
    st.booleans(),  # stored by this run (else by another: its failures are not usable)
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=st.lists(rows, min_size=1, max_size=30), absent=st.integers(0, 5), seed=st.integers())
def test_columns_equal_the_records_a_store_returns(
    tmp_path: Path,
    spec: list[tuple[str, int, float | None, str | None, bool]],
    absent: int,
    seed: int,
) -> None:
    path = tmp_path / f"c{abs(seed)}.sqlite"
    ours, other = SQLiteStore(path, run_id="ours"), SQLiteStore(path, run_id="other")
    keys = []
    for n, (condition, pick, p_yes, error, mine) in enumerate(spec):
        texts = TEXTS[condition]
        record = _record(f"{n:064x}", condition, texts[pick % len(texts)], p_yes, error)
        (ours if mine else other).put_many([record])
        keys.append(record.key)
    keys += [f"{n:064x}" for n in range(len(spec), len(spec) + absent)]
    np.random.default_rng(abs(seed)).shuffle(keys)
    keys.append(keys[0])  # a repeated key is answered at both places
    _same(ours.columns(keys), _expected(ours, keys))
    ours.close()
    other.close()


def test_columns_read_p_yes_exactly_and_flag_failures_and_questionnaires(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.sqlite", run_id="r")
    records = [
        _record("a" * 64, "neutral", "Yes.", 0.1 + 0.2, None),
        _record("b" * 64, "neutral", "", None, "HTTP 500"),
        _record("c" * 64, "p/isq", TEXTS["p/isq"][0], None, None),
        _record("d" * 64, "p/isq", TEXTS["p/isq"][1], math.ulp(0.0), None),
    ]
    store.put_many(records)
    got = store.columns([r.key for r in records] + ["e" * 64])
    assert got.found.tolist() == [True, True, True, True, False]
    assert got.p_yes[0] == 0.1 + 0.2 and got.p_yes[3] == math.ulp(0.0)
    assert got.verdicts[1] == ERROR and dict(got.errors) == {1: "HTTP 500"}
    assert got.isq[:4].tolist() == [NO_ISQ, NO_ISQ, 1, 0]


def test_rows_of_another_parser_version_are_parsed_again(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.sqlite")
    store.put_many([_record("a" * 64, "neutral", "Yes. Fun.", None, None)])
    with store.connection:
        store.connection.execute("UPDATE responses SET verdict = 'no', parser = 'old'")
    got = store.columns(["a" * 64])
    assert got.verdicts.tolist() == [0]  # yes, from the text, not the stale stored verdict


@given(st.lists(st.text(max_size=6), max_size=6))
def test_key_lists_are_valid_json_whatever_the_keys(keys: list[str]) -> None:
    assert json.loads(json_list(keys)) == keys


def test_switching_a_new_file_to_wal_waits_for_a_peer_holding_it(tmp_path: Path) -> None:
    """Workers opening a new cache at once race to switch it to WAL; the loser gets "database
    is locked" at once (no busy handler), so the switch is retried until the peer lets go."""
    import sqlite3
    import threading

    from valspec.engine.cache import _use_wal

    path = tmp_path / "new.sqlite"
    peer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    peer.execute("BEGIN EXCLUSIVE")
    peer.execute("CREATE TABLE t (x)")
    mine = sqlite3.connect(path, isolation_level=None, timeout=0.01)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _use_wal(mine, timeout_s=0.05)  # the peer holds on longer than we wait
    threading.Timer(0.2, lambda: peer.execute("COMMIT")).start()
    _use_wal(mine, timeout_s=5.0)
    assert mine.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
