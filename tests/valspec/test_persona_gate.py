"""The persona gate's contrast outcomes: their mean is the alignment shift, paired by item."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from valspec.gate import GateCase, evaluate_family
from valspec.persona_gate import contrast_outcomes

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
