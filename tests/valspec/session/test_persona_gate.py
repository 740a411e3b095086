"""The persona gate's contrast outcomes: their mean is the alignment shift, paired by item."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import ttest_rel

from valspec.measure.gate import GateCase, evaluate_family
from valspec.session.persona_gate import contrast_outcomes

VALUES = ("benevolence", "power", "hedonism")


def _payload(deltas: dict[str, dict[str, float]], mode: str = "binary") -> dict[str, Any]:
    return {"raises": ["benevolence"], "item_mode": mode, "item_deltas": deltas}


def _shift(deltas: dict[str, dict[str, float]]) -> float:
    means = {v: sum(items.values()) / len(items) for v, items in deltas.items()}
    others = [m for v, m in means.items() if v != "benevolence"]
    return means["benevolence"] - sum(others) / len(others)


item_changes = st.dictionaries(
    st.sampled_from([f"i{k}" for k in range(6)]),
    st.sampled_from([-1.0, 0.0, 1.0]),
    min_size=1,
)


@given(st.fixed_dictionaries({v: item_changes for v in VALUES}))
def test_mean_of_contrast_outcomes_is_the_alignment_shift(deltas: dict[str, Any]) -> None:
    now, base = contrast_outcomes(_payload(deltas), _payload(deltas))
    assert now == base
    assert abs(sum(now.values()) / len(now) - _shift(deltas)) < 1e-9


def test_a_limited_run_is_compared_on_the_items_both_runs_share() -> None:
    full = {v: {f"{v[:2]}{k}": float(k % 2) for k in range(10)} for v in VALUES}
    limited = {v: dict(list(items.items())[:3]) for v, items in full.items()}
    now, base = contrast_outcomes(_payload(limited), _payload(full))
    assert set(now) == set(base) and len(now) == 9
    assert abs(sum(base.values()) / 9 - _shift(limited)) < 1e-9


def test_different_modes_or_no_target_items_are_not_compared() -> None:
    deltas = {v: {"a": 0.5, "b": -0.2} for v in VALUES}
    assert contrast_outcomes(_payload(deltas, "p_yes"), _payload(deltas)) == ({}, {})
    no_target = {v: d for v, d in deltas.items() if v != "benevolence"}
    assert contrast_outcomes(_payload(no_target), _payload(deltas)) == ({}, {})
    assert contrast_outcomes({"raises": ["power"]}, _payload(deltas)) == ({}, {})


def test_the_gate_fails_a_shift_that_moved_and_passes_a_rerun() -> None:
    base = {
        "benevolence": {f"b{k}": 1.0 if k < 8 else 0.0 for k in range(20)},
        "power": {f"p{k}": -1.0 if k < 8 else 0.0 for k in range(20)},
        "hedonism": {f"h{k}": 0.0 for k in range(20)},
    }
    moved = base | {"benevolence": {f"b{k}": 0.0 for k in range(20)}}
    cases = []
    for name, now in (("rerun", base), ("moved", moved)):
        c_now, c_base = contrast_outcomes(_payload(now), _payload(base))
        cases.append(GateCase(name, c_now, c_base, tolerance=5.0))
    verdicts = evaluate_family(cases)
    assert verdicts["moved"].status == "drift"
    assert abs(verdicts["moved"].delta - (_shift(moved) - _shift(base)) * 100) < 1e-6
    assert abs(verdicts["moved"].baseline - 100 * _shift(base)) < 1e-6
    assert not verdicts["rerun"].failed


def test_contrast_outcomes_of_a_worked_example() -> None:
    """By hand: N = 6 common items; benevolence (the target, 2 items) weighs 6 / (1 * 2) = 3,
    power (1 item) 6 / (-2 * 1) = -3 and hedonism (3 items) 6 / (-2 * 3) = -1. Keys come in
    the current run's value order, items sorted within a value; items of one side only drop."""
    now = {
        "benevolence": {"b2": 0.0, "b1": 1.0, "b9": 1.0},
        "power": {"p1": -1.0},
        "hedonism": {"h1": 0.0, "h3": 1.0, "h2": 0.0},
    }
    base = {
        "benevolence": {"b1": 0.5, "b2": 1.0},
        "power": {"p1": 0.0, "p7": 1.0},
        "hedonism": {"h3": 0.0, "h2": -1.0, "h1": 1.0},
    }
    got_now, got_base = contrast_outcomes(_payload(now), _payload(base))
    assert list(got_now.items()) == [
        ("benevolence/b1", 3.0),
        ("benevolence/b2", 0.0),
        ("power/p1", 3.0),
        ("hedonism/h1", -0.0),
        ("hedonism/h2", -0.0),
        ("hedonism/h3", -1.0),
    ]
    assert list(got_base.items()) == [
        ("benevolence/b1", 1.5),
        ("benevolence/b2", 3.0),
        ("power/p1", -0.0),
        ("hedonism/h1", -1.0),
        ("hedonism/h2", 1.0),
        ("hedonism/h3", -0.0),
    ]
    # the mean is the shift: 0.5 - (-1 + 1/3) / 2 = 5/6 now, 0.75 - (0 + 0) / 2 = 0.75 before
    assert math.isclose(sum(got_now.values()) / 6, 5 / 6)
    assert math.isclose(sum(got_base.values()) / 6, 0.75)


def test_two_target_values_share_the_positive_weight() -> None:
    deltas = {"benevolence": {"a": 1.0}, "power": {"b": 1.0, "c": 0.0}, "hedonism": {"d": 1.0}}
    payload = _payload(deltas) | {"raises": ["benevolence", "power"]}
    now, _ = contrast_outcomes(payload, payload)
    # N = 4: benevolence 4 / (2 * 1) = 2, power 4 / (2 * 2) = 1, hedonism 4 / (-1 * 1) = -4
    assert now == {"benevolence/a": 2.0, "power/b": 1.0, "power/c": 0.0, "hedonism/d": -4.0}


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # a perfect fit
@given(st.fixed_dictionaries({v: item_changes for v in VALUES}))
def test_the_mean_contrast_is_the_least_squares_contrast_of_value_means(
    deltas: dict[str, dict[str, float]],
) -> None:
    """statsmodels: regress the item changes on one dummy per value (no intercept) and test
    the contrast "target mean minus the mean of the other values' means"."""
    now, _ = contrast_outcomes(_payload(deltas), _payload(deltas))
    rows = [(v, x) for v in VALUES for x in deltas[v].values()]
    y = np.array([x for _, x in rows])
    design = np.array([[float(v == w) for w in VALUES] for v, _ in rows])
    fit = sm.OLS(y, design).fit()
    contrast = np.array([1.0, -0.5, -0.5])  # benevolence - (power + hedonism) / 2
    expected = float(np.squeeze(fit.t_test(contrast).effect))
    assert math.isclose(sum(now.values()) / len(now), expected, abs_tol=1e-9)


@given(st.fixed_dictionaries({v: item_changes for v in VALUES}))
def test_the_gate_on_contrast_outcomes_is_scipys_paired_t_test(
    deltas: dict[str, dict[str, float]],
) -> None:
    base = {v: {i: 0.0 for i in items} for v, items in deltas.items()}
    now, before = contrast_outcomes(_payload(deltas), _payload(base))
    verdict = evaluate_family([GateCase("c", now, before, tolerance=5.0)])["c"]
    keys = sorted(now)
    a, b = [now[k] for k in keys], [before[k] for k in keys]
    assert math.isclose(verdict.delta, 100 * (sum(a) - sum(b)) / len(a), abs_tol=1e-9)
    expected = ttest_rel(a, b).pvalue
    if not math.isnan(expected) and len(set(np.subtract(a, b))) > 1:
        assert math.isclose(verdict.p_value, expected, rel_tol=1e-6, abs_tol=1e-12)


def test_a_value_missing_from_the_baseline_is_left_out_and_no_raised_value_means_no_contrast() -> (
    None
):
    deltas = {v: {"a": 1.0, "b": 0.0} for v in VALUES}
    without_hedonism = {v: d for v, d in deltas.items() if v != "hedonism"}
    now, base = contrast_outcomes(_payload(deltas), _payload(without_hedonism))
    assert set(now) == set(base) == {"benevolence/a", "benevolence/b", "power/a", "power/b"}
    unraised = {"item_mode": "binary", "item_deltas": deltas}
    assert contrast_outcomes(unraised, _payload(deltas)) == ({}, {})
