from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.adapters.base import Response
from valspec.domain.personas import Persona
from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.engine.queries import Record
from valspec.measure.drift import (
    PERSONA_SCHEMA,
    VALUE_SCHEMA,
    Comparison,
    _rounded,
    comparable_outcomes,
    compare_payload,
    compare_persona,
    compare_value,
    stale_reasons,
    value_outcomes,
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


PERSONA_NOW = {  # a persona case's stored result: shift +20 points on 10 items
    "schema": PERSONA_SCHEMA,
    "persona": "p",
    "strategy": "simple",
    "alignment_shift": 20.0,
    "ci95": [12.5, 27.5],
    "identity": IDENTITY,
    "item_count": 10,
}


def test_persona_comparison_is_partial_on_a_different_item_count() -> None:
    current = PERSONA_NOW
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
    current = PERSONA_NOW
    baseline = dict(current, alignment_shift=15.0)
    assert compare_persona(current, baseline, 5.0).status == "drift"
    assert compare_persona(current, baseline, math.nextafter(5.0, math.inf)).status == "pass"
    assert compare_persona(baseline, current, 5.0).delta == -5.0
    stale = compare_persona(current, dict(baseline, identity=dict(IDENTITY, frames={})), 1.0)
    assert stale.status == "stale" and "frame sampling changed" in stale.message


# -- every branch of the comparisons, field by field -----------------------------------------

STALE_TAIL = ". Re-baseline deliberately with --snapshot-update and review the snapshot diff."


def test_a_value_without_a_baseline_is_new_with_its_rate() -> None:
    now = _payload(["yes", "yes", "no", "no"])
    assert compare_value(now, None, 4.0) == Comparison("new", "power", current=50.0, tolerance=4.0)


def test_a_value_baseline_of_another_format_is_stale_and_says_which() -> None:
    now = _payload(["yes", "no"])
    old = {k: v for k, v in now.items() if k != "schema"}
    expected = Comparison(
        "stale",
        "power",
        tolerance=4.0,
        message="power: the baseline is stale, so it cannot be compared: the baseline's format "
        f"is none, this valspec writes {VALUE_SCHEMA}" + STALE_TAIL,
    )
    assert compare_value(now, old, 4.0) == expected
    older = compare_value(now, now | {"schema": "valspec/value-preference@1"}, 4.0)
    assert "format is valspec/value-preference@1, this" in older.message


def test_a_value_baseline_without_identity_or_items_is_stale() -> None:
    now = _payload(["yes", "no"])
    bare = {"schema": VALUE_SCHEMA}
    comparison = compare_value(now, bare, 4.0)
    assert comparison.status == "stale" and comparison.name == "power"
    assert comparison.tolerance == 4.0
    assert "the prompt template changed (None -> 'neutral-v1-x')" in comparison.message
    no_items = compare_value(now, {k: v for k, v in now.items() if k != "items"}, 4.0)
    assert no_items == Comparison(
        "stale",
        "power",
        tolerance=4.0,
        message="power: the baseline is stale, so it cannot be compared: no item in common "
        "with the baseline" + STALE_TAIL,
    )


def test_stale_reasons_list_every_changed_field_in_order() -> None:
    now = dict(IDENTITY, prompt="b", frames={"frames": 8})
    assert stale_reasons(now, IDENTITY) == [
        "the prompt template changed ('neutral-v1-x' -> 'b')",
        "frame sampling changed ({'frames': 4} -> {'frames': 8})",
    ]
    assert stale_reasons(IDENTITY, dict(IDENTITY, model={"other": 1})) == []


def test_a_passing_value_reports_both_rates_and_the_difference() -> None:
    base = _payload(["yes"] * 5 + ["no"] * 5)
    now = _payload(["yes"] * 6 + ["no"] * 4)
    assert compare_value(now, base, 15.0) == Comparison("pass", "power", 50.0, 60.0, 10.0, 15.0)


def test_a_value_sharing_items_only_without_decided_verdicts_passes_with_a_note() -> None:
    base = _payload(["yes", "no", "yes"])
    now = _payload(["refusal"])  # i0 is shared, but refused now: nothing to compare
    assert compare_value(now, base, 5.0) == Comparison(
        "pass", "power", None, None, None, 5.0, notes=("compared on 1 of the baseline's 3 items",)
    )


def test_a_drifted_value_reports_its_fields_and_notes() -> None:
    base = _payload(["yes"] * 10 + ["no"] * 10)
    now = _payload(["no"] * 10)  # the first 10 items only, all flipped
    drift = compare_value(now, base, 5.0)
    assert (drift.status, drift.name, drift.baseline, drift.current, drift.delta) == (
        "drift",
        "power",
        100.0,
        0.0,
        -100.0,
    )
    assert drift.tolerance == 5.0
    assert drift.notes == ("compared on 10 of the baseline's 20 items",)
    assert "note: compared on 10 of the baseline's 20 items" in drift.message
    assert "flipped yes -> no (10): i0, i1, i2, i3, i4, i5, i6, i7\n" in drift.message
    assert "flipped no -> yes" not in drift.message


def test_graded_outcomes_are_compared_as_item_scores_and_name_the_items_that_moved() -> None:
    base = _payload(["yes", "no"]) | {"mode": "p_yes", "item_scores": {"i0": 0.9, "i1": 0.2}}
    now = _payload(["yes", "no"]) | {"mode": "p_yes", "item_scores": {"i0": 0.5, "i1": 0.3}}
    drift = compare_value(now, base, 5.0)
    assert drift.status == "drift" and drift.delta == pytest.approx(-15.0)
    assert drift.baseline == pytest.approx(55.0) and drift.current == pytest.approx(40.0)
    assert "% mean P(yes)" in drift.message
    assert "items that moved most: i0 90->50, i1 20->30" in drift.message


def test_value_outcomes_read_scores_or_verdicts() -> None:
    binary = {"items": {"a": "yes", "b": "no", "c": "refusal"}}
    assert value_outcomes(binary) == ("binary", {"a": 1.0, "b": 0.0})
    graded = {"mode": "p_yes", "item_scores": {"a": 0.25}, "items": {"a": "no"}}
    assert value_outcomes(graded) == ("p_yes", {"a": 0.25})
    empty_scores = {"mode": "p_yes", "item_scores": {}, "items": {"a": "yes"}}
    assert value_outcomes(empty_scores) == ("binary", {"a": 1.0})
    assert value_outcomes({}) == ("binary", {})


def test_comparable_outcomes_fall_back_to_verdicts_when_modes_differ() -> None:
    verdicts = {"items": {"a": "yes", "b": "no"}}
    sampled = {"mode": "sampled", "item_scores": {"a": 0.75, "b": 0.25}, "items": {"a": "yes"}}
    p_yes = {"mode": "p_yes", "item_scores": {"a": 0.6, "b": 0.1}, "items": {"a": "no", "b": "no"}}
    assert comparable_outcomes(verdicts, sampled) == (
        "sampled",
        {"a": 1.0, "b": 0.0},
        {"a": 0.75, "b": 0.25},
    )
    assert comparable_outcomes(sampled, verdicts)[0] == "sampled"
    assert comparable_outcomes(p_yes, verdicts) == (
        "binary",
        {"a": 0.0, "b": 0.0},
        {"a": 1.0, "b": 0.0},
    )
    assert comparable_outcomes(p_yes, p_yes) == (
        "p_yes",
        {"a": 0.6, "b": 0.1},
        {"a": 0.6, "b": 0.1},
    )


def test_every_branch_of_the_persona_comparison() -> None:
    now = PERSONA_NOW
    assert compare_persona(now, None, 5.0) == Comparison(
        "new", "p/simple", current=20.0, tolerance=5.0
    )
    old = compare_persona(now, now | {"schema": "valspec/persona-alignment@3"}, 5.0)
    assert old.status == "stale" and old.tolerance == 5.0 and old.name == "p/simple"
    assert (
        "format is valspec/persona-alignment@3, this valspec writes " + PERSONA_SCHEMA
        in old.message
    )
    no_schema = compare_persona(now, {k: v for k, v in now.items() if k != "schema"}, 5.0)
    assert "format is none, this" in no_schema.message
    assert compare_persona(now, {"schema": PERSONA_SCHEMA}, 5.0).status == "stale"
    partial = compare_persona(now, now | {"item_count": 12, "alignment_shift": 3.0}, 5.0)
    note = (
        "p/simple: not compared: this run asked 10 items, the baseline 12 (a limited run); "
        "run the full set to gate personas"
    )
    assert partial == Comparison("partial", "p/simple", 3.0, 20.0, None, 5.0, note, (note,))
    unknown = compare_persona(now | {"alignment_shift": None}, now, 5.0)
    assert unknown == Comparison("pass", "p/simple", 20.0, None, None, 5.0)
    assert compare_persona(now, now | {"alignment_shift": None}, 5.0).status == "pass"
    steady = compare_persona(now, now | {"alignment_shift": 17.0}, 5.0)
    assert steady == Comparison("pass", "p/simple", 17.0, 20.0, 3.0, 5.0)
    moved = compare_persona(now, now | {"alignment_shift": 30.0}, 5.0)
    assert (moved.status, moved.baseline, moved.current, moved.delta) == (
        "drift",
        30.0,
        20.0,
        -10.0,
    )
    assert moved.tolerance == 5.0 and moved.name == "p/simple"
    assert "baseline +30.0 points  ->  now +20.0 points, 95 % CI [12.5, 27.5]" in moved.message
    assert "difference -10.0 points; tolerance ±5 points" in moved.message


def test_compare_payload_dispatches_on_the_schema() -> None:
    assert compare_payload(PERSONA_NOW, None, 5.0).name == "p/simple"
    assert compare_payload(_payload(["yes"]), None, 5.0).name == "power"


def test_only_drift_and_stale_fail() -> None:
    for status, failed in (("pass", False), ("drift", True), ("stale", True), ("new", False),
                           ("partial", False)):  # fmt: skip
        assert Comparison(status, "x").failed is failed  # type: ignore[arg-type]


def test_compare_payload_passes_baseline_and_tolerance_through() -> None:
    base, now = _payload(["yes"] * 5 + ["no"] * 5), _payload(["yes"] * 6 + ["no"] * 4)
    assert compare_payload(now, base, 7.5) == compare_value(now, base, 7.5)
    drift = compare_payload(now, base, 7.5)
    assert (drift.status, drift.baseline, drift.current, drift.tolerance) == ("drift", 50, 60, 7.5)
    moved = PERSONA_NOW | {"alignment_shift": 30.0}
    assert compare_payload(PERSONA_NOW, moved, 7.5) == compare_persona(PERSONA_NOW, moved, 7.5)
    assert compare_payload(PERSONA_NOW, moved, 7.5).tolerance == 7.5


def test_outcomes_of_payloads_written_before_modes_and_scores_existed() -> None:
    old = {"item_scores": {"a": 0.7}, "items": {"a": "no"}}  # no "mode": verdicts
    assert value_outcomes(old) == ("binary", {"a": 0.0})
    binary = {"mode": "binary", "item_scores": {"a": 0.7}, "items": {"a": "yes"}}
    assert value_outcomes(binary) == ("binary", {"a": 1.0})  # verdicts, not the shares
    p_yes = {"mode": "p_yes", "item_scores": {"a": 0.6}}  # modes differ, no verdicts stored
    sampled = {"mode": "sampled", "item_scores": {"a": 0.5}, "items": {"a": "yes"}}
    assert comparable_outcomes(p_yes, {"mode": "logprob", "item_scores": {"a": 0.5}}) == (
        "binary",
        {},
        {},
    )
    assert comparable_outcomes(sampled | {"mode": "logprob"}, p_yes) == ("binary", {"a": 1.0}, {})


def test_a_drift_message_names_its_unit_and_the_items_in_both_directions() -> None:
    base = _payload(["yes"] * 3 + ["no"] * 9)
    now = _payload(["no"] * 3 + ["yes"] * 9)  # 3 down, 9 up, and none unchanged
    message = compare_value(now, base, 5.0).message
    assert "baseline 25.0 % yes (n=12)  ->  now 75.0 % yes (n=12)" in message
    assert "flipped yes -> no (3): i0, i1, i2\n" in message
    assert "flipped no -> yes (9): i10, i11, i3, i4, i5, i6, i7, i8\n" in message
    assert message.endswith("\n  If this change is intended, accept it with --snapshot-update.")
    two_down = _payload(["yes"] * 10 + ["no"] * 2)
    message = compare_value(two_down, _payload(["yes"] * 12), 5.0).message
    assert "flipped yes -> no (2): i10, i11\n" in message  # the 10 unchanged items are no flip


def test_graded_drift_lists_at_most_eight_items_largest_move_first() -> None:
    scores_base = {f"i{k}": 0.5 for k in range(10)}
    scores_now = {f"i{k}": 0.5 + 0.04 * k for k in range(10)}  # i9 moved most, i0 not at all
    verdicts = ["yes"] * 10
    base = _payload(verdicts) | {"mode": "p_yes", "item_scores": scores_base}
    now = _payload(verdicts) | {"mode": "p_yes", "item_scores": scores_now}
    drift = compare_value(now, base, 5.0)
    assert "% mean P(yes)" in drift.message
    assert (
        "items that moved most: i9 50->86, i8 50->82, i7 50->78, i6 50->74, i5 50->70, "
        "i4 50->66, i3 50->62, i2 50->58\n"
    ) in drift.message
    before = _payload(["yes", "no"]) | {"mode": "p_yes", "item_scores": {"i0": 0.9, "i1": 0.1}}
    after = _payload(["yes", "no"]) | {"mode": "p_yes", "item_scores": {"i0": 0.8, "i1": 0.5}}
    message = compare_value(after, before, 5.0).message
    assert "items that moved most: i1 10->50, i0 90->80\n" in message  # by |change|, not size
    unknown_mode = compare_value(now | {"mode": "xyz"}, base | {"mode": "xyz"}, 5.0)
    assert "baseline 50.0 % yes (n=10)" in unknown_mode.message


def test_a_stale_persona_baseline_keeps_its_name_and_tolerance() -> None:
    old = compare_persona(PERSONA_NOW, PERSONA_NOW | {"identity": {}}, 6.0)
    assert (old.status, old.name, old.tolerance) == ("stale", "p/simple", 6.0)
    newer = {k: v for k, v in PERSONA_NOW.items() if k != "schema"}
    message = compare_persona(newer, PERSONA_NOW, 6.0).message
    assert f"the baseline's format is {PERSONA_SCHEMA}, this valspec writes none" in message
    undecided = compare_persona(PERSONA_NOW, PERSONA_NOW | {"alignment_shift": None}, 6.0)
    assert undecided == Comparison("pass", "p/simple", None, 20.0, None, 6.0)
