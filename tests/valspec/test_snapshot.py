"""The syrupy extension: baselines by model, matched with the gate's tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.domain.values import Value
from valspec.measure.baseline import dump_payload
from valspec.measure.drift import value_payload
from valspec.measure.scoring import Tally, ValueResult
from valspec.snapshot import make_extension

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


def test_snapshots_are_written_atomically(tmp_path: Path) -> None:
    """A temporary file renamed over the snapshot: a reader never sees half a file."""
    from types import SimpleNamespace

    extension = make_extension(tmp_path, lambda p: 5.0)
    path = tmp_path / "test_value_preference[power].json"
    path.write_text("old")
    collection = [SimpleNamespace(data='{"new": 1}\n')]
    holder = type("C", (), {"location": str(path), "__iter__": lambda self: iter(collection)})()
    extension.write_snapshot_collection(snapshot_collection=holder)
    assert path.read_text() == '{"new": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
