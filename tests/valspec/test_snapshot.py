from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.drift import value_payload
from valspec.errors import DataError
from valspec.scoring import Tally, ValueResult
from valspec.snapshot import dump_payload, make_extension, parse_json, read_baseline
from valspec.values import Value

IDENTITY = {"prompt": "neutral-v1-x", "dataset": "sha256:d", "frames": {"frames": 4}, "model": {}}

verdicts = st.dictionaries(
    st.from_regex(r"[a-z]{1,6}-[0-9]{2}", fullmatch=True),
    st.sampled_from(["yes", "no", "refusal", "unparsable", "error"]),
    min_size=1,
    max_size=30,
)


def _payload(items: dict[str, str]) -> dict[str, object]:
    counts = {k: sum(v == k for v in items.values()) for k in ("yes", "no", "refusal")}
    tally = Tally(yes=counts["yes"], no=counts["no"], refusal=counts["refusal"])
    decided = tally.decided
    score = 100 * tally.yes / decided if decided else float("nan")
    result = ValueResult(Value.POWER, tally, score, (0.0, 100.0), None, items)
    return value_payload(result, IDENTITY)


@given(verdicts)
def test_payloads_round_trip_through_snapshot_text(items: dict[str, str]) -> None:
    payload = _payload(items)
    assert json.loads(dump_payload(payload)) == payload
    extension = make_extension(Path("/tmp/snaps"), lambda p: 5.0)()
    text = dump_payload(payload)
    assert extension.matches(serialized_data=text, snapshot_data=text)


@given(verdicts, st.floats(0.5, 50))
def test_extension_matches_exactly_when_the_gate_passes(
    items: dict[str, str], tolerance: float
) -> None:
    base = _payload(items)
    flipped = {k: ("yes" if v == "no" else v) for k, v in items.items()}
    current = _payload(flipped)
    extension = make_extension(Path("/tmp/snaps"), lambda p: tolerance)()
    matches = extension.matches(
        serialized_data=dump_payload(current), snapshot_data=dump_payload(base)
    )
    b, c = base["yes_rate"], current["yes_rate"]
    if b is None or c is None:
        assert matches
    else:
        assert matches == (abs(c - b) < tolerance)  # type: ignore[operator]


def test_a_broken_snapshot_is_located(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n  "value": "power",\n  oops\n}')
    with pytest.raises(DataError, match=r"s\.json:3: snapshot is not valid JSON"):
        read_baseline(path)
    assert read_baseline(tmp_path / "missing.json") is None


# -- the fast snapshot text and parse are exactly json.dumps / json.loads ---------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.0, -0.0, 1.0, 1e-7, 1e16, 0.1 + 0.2])
    | st.text(max_size=8)
)
json_like = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=40,
)
odd_keys = st.dictionaries(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=True)
    | st.text(max_size=3),
    scalars,
    max_size=4,
)


@given(st.dictionaries(st.text(max_size=6), json_like | odd_keys, max_size=6))
def test_snapshot_text_is_json_dumps_indented(payload: dict[str, object]) -> None:
    assert dump_payload(payload) == json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


@given(json_like)
def test_any_json_value_is_written_as_json_dumps_writes_it(value: object) -> None:
    payload = {"a": value, "b": {"nested": value, "deeper": {"x": value}}}
    assert dump_payload(payload) == json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def test_unwritable_payloads_fail_as_json_dumps_fails() -> None:
    loop: dict[str, object] = {"x": [1]}
    loop["self"] = {"again": loop}
    for payload in [{"a": {"b": object()}}, {"a": [{1, 2}]}, {"a": {(1, 2): 3, "b": []}}, loop]:
        with pytest.raises((TypeError, ValueError)) as expected:
            json.dumps(payload, indent=2, ensure_ascii=False)
        with pytest.raises(type(expected.value), match=re.escape(str(expected.value))):
            dump_payload(payload)  # type: ignore[arg-type]


@given(json_like)
def test_parsed_text_is_json_loads_and_each_caller_gets_its_own(value: object) -> None:
    text = json.dumps({"v": value, "w": [value, {"k": value}]})
    first, second = parse_json(text), parse_json(text)
    assert repr(first) == repr(json.loads(text)) == repr(second)
    first["w"].append("changed")
    first["v"] = None
    assert repr(parse_json(text)) == repr(json.loads(text))


def test_matches_parses_an_unchanged_snapshot_once(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = _payload({"a-01": "yes", "b-02": "no"})
    text = dump_payload(payload)
    parsed: list[str] = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda s, **kw: parsed.append(s) or real(s, **kw))
    extension = make_extension(Path("/tmp/snaps"), lambda p: 5.0)()
    assert extension.matches(serialized_data=text + " ", snapshot_data=text + " ")
    assert extension.matches(serialized_data=text + " ", snapshot_data=text + " ")
    assert len(parsed) == 1
