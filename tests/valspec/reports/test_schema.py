"""profile.json: built from rows, valid against its schema, unknown fields carried through."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valspec.domain.values import CIRCLE_ORDER
from valspec.reports.schema import PROFILE_SCHEMA, build_profile, load_schema, validate_profile

PROMPTS = {"neutral": "neutral-v1-abcdef12", "simple": "simple-v1-12345678"}


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema())


def test_profile_from_rows_validates_and_keeps_the_circle_order(rows: list[dict[str, Any]]) -> None:
    when = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    profile = build_profile(rows, prompts=PROMPTS, baseline="snapshots/sim", created=when)
    validate_profile(profile)
    assert profile["schema"] == PROFILE_SCHEMA
    assert profile["created"] == "2026-11-01T12:00:00Z"
    assert [v["value"] for v in profile["values"]] == [v.value for v in CIRCLE_ORDER]
    assert profile["model"]["name"] == "sim"
    assert profile["model"]["fingerprint"] == {"adapter": "sim", "variant": "reference"}
    assert profile["dataset"]["hash"].startswith("sha256:")
    assert profile["summary"] == {
        "cases": 12,
        "status_counts": {"pass": 12},
        "spread_sd": pytest.approx(15.14, abs=0.01),
        "profile": None,  # these rows carry no per-item outcomes
    }
    power = next(v for v in profile["values"] if v["value"] == "power")
    assert power["rates_percent"] == {"refusal": 0.0, "unparsable": 0.0, "error": 0.0}
    assert power["delta"] == -2.0
    persona = profile["personas"][0]
    assert (persona["persona"], persona["strategy"]) == ("family-oriented", "isq")
    assert persona["prompt"].endswith("+simple-v1-12345678")


def test_unknown_row_fields_are_carried_through(rows: list[dict[str, Any]]) -> None:
    rows[0] |= {"p_adjusted": 0.012, "mode": "paired", "delta_ci": [-9.0, -1.0], "n_needed": 44}
    rows[-1] |= {"target_rank": {"estimate": 1.5, "ci95": [1.0, 2.0]}}
    profile = build_profile(rows, prompts=PROMPTS)
    validate_profile(profile)
    universalism = profile["values"][-1]
    assert universalism["p_adjusted"] == 0.012
    assert universalism["n_needed"] == 44
    assert profile["personas"][0]["target_rank"]["estimate"] == 1.5
    assert "identity" not in universalism  # regrouped at the top, not repeated per case


def test_rows_of_other_kinds_are_kept_by_kind(rows: list[dict[str, Any]]) -> None:
    strategy = {"kind": "strategy", "case": "isq", "means": {"shift": 30.1}, "status": "pass"}
    profile = build_profile([*rows, strategy], prompts=PROMPTS)
    validate_profile(profile)
    assert profile["other_cases"] == {
        "strategy": [{"case": "isq", "means": {"shift": 30.1}, "status": "pass"}]
    }
    assert profile["summary"]["cases"] == 12


def test_a_wrong_profile_is_rejected(rows: list[dict[str, Any]]) -> None:
    profile = build_profile(rows, prompts=PROMPTS)
    for damage in (
        lambda p: p.pop("values"),
        lambda p: p["values"][0].update(value="kindness"),
        lambda p: p["values"][0].update(ci95=[1.0]),
        lambda p: p["personas"][0].update(n=-1),
        lambda p: p.update(schema="valspec/profile@0"),
    ):
        broken = copy.deepcopy(profile)
        damage(broken)
        with pytest.raises(jsonschema.ValidationError):
            validate_profile(broken)


def test_no_rows_is_an_empty_but_valid_profile() -> None:
    profile = build_profile([], prompts=PROMPTS, model_name="openai:gpt-4o")
    validate_profile(profile)
    assert profile["model"]["name"] == "openai:gpt-4o"
    assert profile["summary"]["spread_sd"] is None


finite = st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 1))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    scores=st.dictionaries(st.sampled_from([v.value for v in CIRCLE_ORDER]), finite, min_size=1),
    baseline=st.none() | finite,
)
def test_any_value_rows_make_a_valid_profile(
    make_value_row: Any, scores: dict[str, float], baseline: float | None
) -> None:
    rows = [make_value_row(v, s, baseline) for v, s in scores.items()]
    profile = build_profile(rows, prompts=PROMPTS)
    validate_profile(profile)
    assert {v["value"]: v["score"] for v in profile["values"]} == scores
