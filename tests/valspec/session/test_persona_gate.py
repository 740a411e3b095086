"""The persona gate's contrast outcomes: their mean is the alignment shift, paired by item."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

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


def _reference_contrast(
    current: dict[str, Any], baseline: dict[str, Any]
) -> tuple[dict[str, float], dict[str, float]]:
    """Contrast outcomes as first written: one dict entry at a time, both sides in one loop."""
    now, base = current["item_deltas"], baseline["item_deltas"]
    common = {v: sorted(set(now[v]) & set(base.get(v, {}))) for v in now}
    common = {v: items for v, items in common.items() if items}
    raises = set(current.get("raises", ()))
    targets = [v for v in common if v in raises]
    others = [v for v in common if v not in raises]
    if not targets or not others:
        return {}, {}
    total = sum(len(items) for items in common.values())
    out_now: dict[str, float] = {}
    out_base: dict[str, float] = {}
    for value, items in common.items():
        group = len(targets) if value in raises else -len(others)
        weight = total / (group * len(items))
        for item in items:
            out_now[f"{value}/{item}"] = weight * float(now[value][item])
            out_base[f"{value}/{item}"] = weight * float(base[value][item])
    return out_now, out_base


some_changes = st.dictionaries(
    st.text(min_size=1, max_size=3),
    st.sampled_from([-1.0, 0.0, 1.0, -0.0, 0.333, 1]) | st.floats(-1, 1),
)


@given(
    st.dictionaries(st.sampled_from(VALUES), some_changes),
    st.dictionaries(st.sampled_from(VALUES), some_changes),
)
def test_contrast_outcomes_are_the_straightforward_ones_in_the_same_order(
    now: dict[str, dict[str, float]], base: dict[str, dict[str, float]]
) -> None:
    shared = {v: items | base.get(v, {}) for v, items in now.items()}  # overlapping items
    for current, baseline in ((_payload(now), _payload(base)), (_payload(shared), _payload(now))):
        got = contrast_outcomes(current, baseline)
        expected = _reference_contrast(current, baseline)
        assert [list(side.items()) for side in got] == [list(s.items()) for s in expected]
