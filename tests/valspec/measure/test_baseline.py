"""Baseline files: the canonical JSON text, and reading it back with located errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.domain.errors import DataError
from valspec.measure.baseline import dump_payload, parse_json, read_baseline


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
