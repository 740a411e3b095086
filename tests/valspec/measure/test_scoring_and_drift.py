from __future__ import annotations

import math
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from valspec.adapters.base import Response
from valspec.domain.personas import Persona
from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.engine.queries import Record
from valspec.measure.drift import (
    _rounded,
    compare_payload,
    compare_persona,
    compare_value,
    value_payload,
)
from valspec.measure.scoring import score_persona, score_value
from valspec.parsing import ParsedAnswer, Verdict

IDENTITY = {"prompt": "neutral-v1-x", "dataset": "sha256:d", "frames": {"frames": 4}, "model": {}}


def _records(
    verdicts: Sequence[str], condition: str = "neutral", prefix: str = "i"
) -> list[Record]:
    out = []
    for n, verdict in enumerate(verdicts):
        error = "boom" if verdict == "error" else None
        parsed = ParsedAnswer(Verdict.UNPARSABLE if error else Verdict(verdict))
        response = Response(text="" if error else verdict, error=error)
        out.append(Record(f"{condition}{n}", f"{prefix}{n}", condition, 0, response, parsed))
    return out


def test_refusals_and_errors_are_counted_but_never_scored_as_no() -> None:
    result = score_value(Value.POWER, _records(["yes"] * 6 + ["no"] * 2 + ["refusal", "error"]))
    assert result.n == 8 and result.score == 75.0
    assert result.tally.refusal == 1 and result.tally.error == 1 and result.tally.total == 10
    assert result.ci[0] < 75.0 < result.ci[1]
    assert result.items["i8"] == "refusal" and result.items["i9"] == "error"
    none = score_value(Value.POWER, _records(["refusal"]))
    assert none.n == 0 and math.isnan(none.score)


def _payload(verdicts: Sequence[str], identity: dict[str, object] = IDENTITY) -> dict:
    return value_payload(score_value(Value.POWER, _records(verdicts)), identity)


def test_value_within_tolerance_passes_and_beyond_drifts_with_a_useful_message() -> None:
    base = _payload(["yes"] * 10 + ["no"] * 10)
    assert compare_value(_payload(["yes"] * 10 + ["no"] * 10), base, 5.0).status == "pass"
    moved = compare_value(_payload(["yes"] * 14 + ["no"] * 6), base, 5.0)
    assert moved.status == "drift" and moved.failed and moved.delta == 20.0
    for needle in (
        "power drifted",
        "baseline 50.0 %",
        "now 70.0 %",
        "+20.0 points",
        "tolerance ±5",
        "95 % CI",
        "flipped no -> yes (4): i10, i11, i12, i13",
        "--snapshot-update",
    ):
        assert needle in moved.message, needle


def test_subset_runs_compare_on_common_items() -> None:
    base = _payload(["yes"] * 10 + ["no"] * 10)
    subset = value_payload(score_value(Value.POWER, _records(["yes"] * 5)), IDENTITY)
    comparison = compare_value(subset, base, 5.0)  # i0..i4 were yes in the baseline too
    assert (
        comparison.status == "pass"
        and "compared on 5 of the baseline's 20 items" in (comparison.notes[0])
    )


def test_stale_baselines_name_what_changed() -> None:
    base = _payload(["yes", "no"])
    changed = dict(IDENTITY, prompt="neutral-v2-y", model={"anything": "else"})
    comparison = compare_value(_payload(["yes", "no"], changed), base, 5.0)
    assert comparison.status == "stale"
    assert "the prompt template changed ('neutral-v1-x' -> 'neutral-v2-y')" in comparison.message
    assert "model" not in comparison.message.split("changed")[0]  # a new model is expected
    assert (
        compare_value(
            _payload(["yes"], dict(IDENTITY, model={"v": 2})), _payload(["yes"]), 5
        ).status
        == "pass"
    )


def test_no_baseline_is_new() -> None:
    assert compare_payload(_payload(["yes"]), None, 5.0).status == "new"


PERSONA = Persona(id="p", name="P", description="d", raises=(Value.POWER, Value.ACHIEVEMENT))


def _by_value(verdict_for: dict[Value, list[str]], condition: str) -> dict[Value, list[Record]]:
    return {v: _records(vs, condition, prefix=v.value) for v, vs in verdict_for.items()}


def test_persona_shift_is_target_change_minus_other_change() -> None:
    neutral = {v: ["yes"] * 5 + ["no"] * 5 for v in CIRCLE_ORDER}
    playing = dict(neutral)
    playing[Value.POWER] = ["yes"] * 9 + ["no"]  # +40
    playing[Value.ACHIEVEMENT] = ["yes"] * 7 + ["no"] * 3  # +20
    playing[Value.UNIVERSALISM] = ["yes"] + ["no"] * 9  # -40
    result = score_persona(
        PERSONA, "simple", _by_value(neutral, "neutral"), _by_value(playing, "p/simple")
    )
    assert result.deltas[Value.POWER] == 40.0
    assert result.target_delta == 30.0
    assert math.isclose(result.shift, 30.0 - (-40.0 / 8))
    assert result.ci[0] < result.shift < result.ci[1]


def test_persona_comparison_is_partial_on_a_different_item_count() -> None:
    current = {
        "persona": "p",
        "strategy": "simple",
        "alignment_shift": 20.0,
        "ci95": [1, 2],
        "identity": IDENTITY,
        "item_count": 10,
    }
    assert compare_persona(current, dict(current, item_count=100), 5).status == "partial"
    moved = compare_persona(current, dict(current, alignment_shift=30.0), 5)
    assert moved.status == "drift" and "baseline +30.0 points" in moved.message


repeated_changes = st.sampled_from([0.0, -0.0, 1, True, 1.0, -1.0, 0.0005, -0.0004, math.nan])


@given(st.dictionaries(st.text(max_size=4), st.floats(allow_nan=True) | repeated_changes))
def test_rounded_changes_are_round_3_without_negative_zero(changes: dict[str, float]) -> None:
    expected = {i: round(d, 3) + 0.0 for i, d in changes.items()}
    assert repr(list(_rounded(changes).items())) == repr(list(expected.items()))


@given(st.lists(repeated_changes, min_size=3, max_size=40))
def test_repeated_changes_are_rounded_once_each_with_the_same_result(changes: list[float]) -> None:
    by_item = {f"i{n}": d for n, d in enumerate(changes)}
    expected = {i: round(d, 3) + 0.0 for i, d in by_item.items()}
    assert repr(list(_rounded(by_item).items())) == repr(list(expected.items()))


def test_each_identity_field_but_the_model_makes_a_baseline_stale() -> None:
    base = _payload(["yes", "no"])
    changes = {
        "prompt": ("neutral-v2-y", "the prompt template"),
        "dataset": ("sha256:e", "the dataset"),
        "frames": ({"frames": 8}, "frame sampling"),
    }
    for field, (new, label) in changes.items():
        comparison = compare_value(_payload(["yes", "no"], dict(IDENTITY, **{field: new})), base, 5)
        assert comparison.status == "stale" and comparison.failed, field
        assert f"{label} changed" in comparison.message
    same = compare_value(_payload(["yes", "no"], dict(IDENTITY)), base, 5)
    assert same.status == "pass"


def test_a_change_of_exactly_the_tolerance_is_drift_and_just_below_passes() -> None:
    base = _payload(["yes"] * 5 + ["no"] * 5)  # 50 %
    now = _payload(["yes"] * 6 + ["no"] * 4)  # 60 %: Δ = 10 points exactly
    assert compare_value(now, base, 10.0).status == "drift"
    assert compare_value(now, base, math.nextafter(10.0, math.inf)).status == "pass"
    down = compare_value(base, now, 10.0)  # -10 points: the same on the other side
    assert down.status == "drift" and down.delta == -10.0


def test_a_persona_shift_change_of_exactly_the_tolerance_is_drift() -> None:
    current = {
        "persona": "p",
        "strategy": "simple",
        "alignment_shift": 20.0,
        "ci95": [1, 2],
        "identity": IDENTITY,
        "item_count": 10,
    }
    baseline = dict(current, alignment_shift=15.0)
    assert compare_persona(current, baseline, 5.0).status == "drift"
    assert compare_persona(current, baseline, math.nextafter(5.0, math.inf)).status == "pass"
    assert compare_persona(baseline, current, 5.0).delta == -5.0
    stale = compare_persona(current, dict(baseline, identity=dict(IDENTITY, frames={})), 1.0)
    assert stale.status == "stale" and "frame sampling changed" in stale.message
