from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valspec.measure.gate import (
    MAX_FLIPS,
    GateCase,
    GateOptions,
    evaluate_family,
    flips_lines,
    reaches_tolerance,
    verdict_table,
)

IDS = [f"i{n:02d}" for n in range(40)]


def _case(name: str, now: list[float], base: list[float], **kw: object) -> GateCase:
    ids = IDS[: len(now)]
    return GateCase(name, dict(zip(ids, now, strict=True)), dict(zip(ids, base, strict=True)),
                    5.0, **kw)  # type: ignore[arg-type]  # fmt: skip


def test_a_large_paired_shift_drifts_and_an_identical_run_does_not() -> None:
    base = [0.3 + 0.01 * n for n in range(40)]
    moved = [p + 0.2 for p in base]
    verdicts = evaluate_family([_case("power", moved, base), _case("hedonism", base, base)])
    power, hedonism = verdicts["power"], verdicts["hedonism"]
    assert power.status == "drift" and power.failed and power.test == "paired-t"
    assert power.delta == pytest.approx(20.0) and power.ci[0] <= 20.0 <= power.ci[1]
    assert hedonism.status == "pass" and hedonism.delta == 0.0 and hedonism.power >= 0.8
    assert "power" in verdict_table(list(verdicts.values()))


def test_holm_can_turn_a_lone_significant_value_into_a_pass() -> None:
    base = [0.5] * 20
    now = [0.5 + (0.11 if n % 2 else -0.01) for n in range(20)]  # +5 points, noisy
    alone = evaluate_family([_case("a", now, base)])["a"]
    family = evaluate_family(
        [_case("a", now, base)] + [_case(f"z{k}", base, base) for k in range(9)]
    )["a"]
    assert alone.p_adjusted == pytest.approx(alone.p_value)
    assert family.p_adjusted >= alone.p_adjusted


def test_the_rule_needs_significance_and_an_interval_that_reaches_the_tolerance() -> None:
    base = [0.2 + 0.015 * n for n in range(40)]
    trivial = [p + 0.01 + (0.002 if n % 2 else -0.002) for n, p in enumerate(base)]
    small = evaluate_family([_case("a", trivial, base)])["a"]
    assert small.p_adjusted < 1e-6 and small.ci[1] < 5.0 and small.status == "pass"
    # Δ of 4.5 points (below the tolerance) but noisy: significant, and 5 points is plausible
    noisy = [p + 0.045 + (0.03 if n % 2 else -0.03) for n, p in enumerate(base)]
    near = evaluate_family([_case("b", noisy, base)])["b"]
    assert near.delta < 5.0 <= near.ci[1] and near.p_adjusted < 0.05
    assert near.status == "drift" and near.failed


def test_reaches_tolerance_looks_on_the_side_of_the_estimate() -> None:
    assert reaches_tolerance(3.0, (1.0, 5.0), 5.0)
    assert not reaches_tolerance(3.0, (-6.0, 4.9), 5.0)
    assert reaches_tolerance(-3.0, (-5.5, -0.5), 5.0)
    assert not reaches_tolerance(-3.0, (-4.0, 6.0), 5.0)
    assert not reaches_tolerance(math.nan, (math.nan, math.nan), 5.0)


def test_binary_outcomes_use_exact_mcnemar_and_list_flips() -> None:
    base = [1.0] * 20 + [0.0] * 20
    now = [0.0] * 10 + [1.0] * 10 + [0.0] * 20
    verdict = evaluate_family([_case("tradition", now, base, binary=True)])["tradition"]
    assert verdict.test == "mcnemar-exact" and verdict.status == "drift"
    assert verdict.p_value == pytest.approx(2 * 0.5**10)
    (line,) = flips_lines(verdict, binary=True)
    assert line.startswith("flipped yes -> no (10): i00, i01")


def test_disjoint_items_fall_back_to_welch_and_say_so() -> None:
    case = GateCase("x", {"a": 0.9, "b": 0.8, "c": 0.85}, {"d": 0.2, "e": 0.3, "f": 0.25}, 5.0)
    verdict = evaluate_family([case])["x"]
    assert verdict.test == "welch" and not verdict.paired and verdict.status == "drift"
    assert "independent samples" in verdict.summary()


def test_too_few_items_is_inconclusive_with_the_n_needed() -> None:
    base = [0.5, 0.6, 0.7, 0.4, 0.5]
    verdict = evaluate_family([_case("x", base, base)])["x"]
    assert verdict.status == "inconclusive" and verdict.n_needed > 5 and verdict.power < 0.8


def test_equivalence_mode_passes_a_steady_value_and_fails_a_shifted_one() -> None:
    base = [0.3 + 0.01 * n for n in range(40)]
    options = GateOptions(equivalence=True)
    steady = evaluate_family([_case("a", base, base)], options)["a"]
    moved = evaluate_family([_case("a", [p + 0.08 for p in base], base)], options)["a"]
    assert steady.status == "equivalent" and not steady.failed
    assert moved.status == "not-equivalent" and moved.failed


def test_bootstrap_option_and_bad_alpha() -> None:
    base = [0.3 + 0.01 * n for n in range(40)]
    verdict = evaluate_family(
        [_case("a", [p + 0.2 for p in base], base)], GateOptions(bootstrap=True)
    )["a"]
    assert verdict.test == "paired-bootstrap-t" and verdict.status == "drift"
    with pytest.raises(ValueError, match="alpha"):
        GateOptions(alpha=1.5)


outcomes = st.lists(st.floats(0, 1), min_size=3, max_size=30)


@settings(max_examples=40, deadline=None)
@given(outcomes, st.data())
def test_swapping_runs_negates_delta_and_keeps_p(now: list[float], data: st.DataObject) -> None:
    base = data.draw(st.lists(st.floats(0, 1), min_size=len(now), max_size=len(now)))
    ab = evaluate_family([_case("v", now, base)])["v"]
    ba = evaluate_family([_case("v", base, now)])["v"]
    assert ab.delta == pytest.approx(-ba.delta, abs=1e-9)
    assert (math.isnan(ab.p_value) and math.isnan(ba.p_value)) or ab.p_value == pytest.approx(
        ba.p_value, abs=1e-9
    )


@settings(max_examples=40, deadline=None)
@given(outcomes, st.randoms())
def test_item_order_does_not_matter(now: list[float], rnd: object) -> None:
    base = [1 - x for x in now]
    ids = IDS[: len(now)]
    pairs = list(zip(ids, now, base, strict=True))
    rnd.shuffle(pairs)  # type: ignore[attr-defined]
    shuffled = GateCase("v", {i: a for i, a, _ in pairs}, {i: b for i, _, b in pairs}, 5.0)
    a = evaluate_family([_case("v", now, base)])["v"]
    b = evaluate_family([shuffled])["v"]
    assert (a.status, a.test, a.n) == (b.status, b.test, b.n)
    assert a.delta == pytest.approx(b.delta, abs=1e-9)


def _reference_flips(case: GateCase) -> tuple[tuple[str, float, float], ...]:
    """The flips as first written: a Python sort of every common item by (-|change|, id)."""
    common = sorted(set(case.current) & set(case.baseline))
    order = sorted(common, key=lambda i: (-abs(case.current[i] - case.baseline[i]), i))
    return tuple(
        (i, case.baseline[i], case.current[i])
        for i in order[:MAX_FLIPS]
        if abs(case.current[i] - case.baseline[i]) >= (0.5 if case.binary else 0.0005)
    )


few_levels = st.sampled_from([0.0, 1.0, 0.25, 0.5, 0.0004, 1 / 3, 2 / 3])


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=3), st.tuples(few_levels | st.floats(0, 1), few_levels)
    ),
    st.booleans(),
)
def test_flips_are_the_largest_changes_in_the_order_a_python_sort_gives(
    pairs: dict[str, tuple[float, float]], binary: bool
) -> None:
    now = {i: a for i, (a, _) in pairs.items()}
    base = {i: b for i, (_, b) in pairs.items()}
    case = GateCase("v", now, base, 5.0, binary=binary)
    if len(pairs) >= 2:
        assert evaluate_family([case])["v"].flips == _reference_flips(case)


def test_flips_with_nan_outcomes_keep_the_python_sort() -> None:
    now = {f"i{n:03d}": (math.nan if n % 7 == 0 else (n % 5) / 4) for n in range(120)}
    base = {i: 0.5 for i in now}
    case = GateCase("v", now, base, 5.0)
    assert evaluate_family([case])["v"].flips == _reference_flips(case)


@pytest.mark.parametrize("binary", [False, True])
def test_many_tied_changes_keep_ids_in_order_past_the_flip_limit(binary: bool) -> None:
    ids = [f"item-{(n * 37) % 300:03d}" for n in range(300)]  # inserted out of order
    levels = [0.0, 1.0] if binary else [0.0, 0.25, 0.5, 1.0]
    now = {i: levels[n % len(levels)] for n, i in enumerate(ids)}
    base = {i: levels[(n // 3) % len(levels)] for n, i in enumerate(ids)}
    case = GateCase("v", now, base, 5.0, binary=binary)
    flips = evaluate_family([case])["v"].flips
    assert len(flips) == MAX_FLIPS and flips == _reference_flips(case)


# -- every threshold's boundary --------------------------------------------------------------


def test_reaches_tolerance_counts_an_interval_end_exactly_at_the_tolerance() -> None:
    assert reaches_tolerance(2.0, (0.0, 5.0), 5.0)
    assert not reaches_tolerance(2.0, (0.0, math.nextafter(5.0, 0.0)), 5.0)
    assert reaches_tolerance(-2.0, (-5.0, 0.0), 5.0)
    assert not reaches_tolerance(-2.0, (math.nextafter(-5.0, 0.0), 0.0), 5.0)
    assert reaches_tolerance(0.0, (-1.0, 5.0), 5.0)  # Δ = 0 looks at the upper end
    assert not reaches_tolerance(0.0, (-9.0, 1.0), 5.0)
    assert not reaches_tolerance(1.0, (0.0, math.nan), 0.0)


NOISY_BASE = [0.2 + 0.015 * n for n in range(40)]
NOISY_NOW = [p + 0.2 + (0.03 if n % 2 else -0.03) for n, p in enumerate(NOISY_BASE)]


def test_a_p_value_equal_to_alpha_is_not_significant() -> None:
    first = evaluate_family([_case("a", NOISY_NOW, NOISY_BASE)])["a"]
    assert first.status == "drift" and 0.0 < first.p_adjusted < 0.05
    at = evaluate_family([_case("a", NOISY_NOW, NOISY_BASE)], alpha=first.p_adjusted)["a"]
    assert at.status != "drift"
    above = math.nextafter(first.p_adjusted, 1.0)
    assert evaluate_family([_case("a", NOISY_NOW, NOISY_BASE)], alpha=above)["a"].status == "drift"
    options = GateOptions(alpha=first.p_adjusted)  # the options' alpha is the default level
    assert evaluate_family([_case("a", NOISY_NOW, NOISY_BASE)], options)["a"].status != "drift"


def test_an_interval_reaching_exactly_the_tolerance_is_drift() -> None:
    first = evaluate_family([_case("a", NOISY_NOW, NOISY_BASE)])["a"]
    reach = first.ci[1]
    assert first.status == "drift" and reach > 5.0
    at = _case("a", NOISY_NOW, NOISY_BASE)
    exact = GateCase(at.name, at.current, at.baseline, tolerance=reach)
    assert evaluate_family([exact])["a"].status == "drift"
    beyond = GateCase(at.name, at.current, at.baseline, tolerance=math.nextafter(reach, 100.0))
    assert evaluate_family([beyond])["a"].status != "drift"


def test_power_exactly_at_the_wanted_power_is_decided_and_just_below_is_inconclusive() -> None:
    base = [0.5, 0.6, 0.7, 0.4, 0.5, 0.55, 0.45, 0.65]
    first = evaluate_family([_case("x", base, base)])["x"]
    assert first.status == "inconclusive" and 0.0 < first.power < 0.8
    at = evaluate_family([_case("x", base, base)], GateOptions(power=first.power))["x"]
    assert at.status == "pass" and at.power == first.power
    above = GateOptions(power=math.nextafter(first.power, 1.0))
    assert evaluate_family([_case("x", base, base)], above)["x"].status == "inconclusive"


def test_gate_options_refuse_alpha_and_power_outside_the_open_unit_interval() -> None:
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="alpha"):
            GateOptions(alpha=bad)
        with pytest.raises(ValueError, match="power"):
            GateOptions(power=bad)
    GateOptions(alpha=math.nextafter(0.0, 1.0), power=math.nextafter(1.0, 0.0))


def test_equivalence_floors_a_zero_standard_error_at_the_planning_sd_over_root_n() -> None:
    """An identical rerun shows no spread; TOST (Schuirmann 1987) then uses SE = sd / sqrt(n)
    with the planning SD (5 points graded, 50 points for 1/0 verdicts): p = P(T_df > m / SE)."""
    from scipy.stats import t

    options = GateOptions(equivalence=True)
    graded = [0.2, 0.4, 0.6, 0.8]
    same = evaluate_family([_case("g", graded, graded)], options)["g"]
    assert same.p_value == pytest.approx(t.sf(0.05 / (0.05 / 2), 3))
    verdicts = [1.0, 0.0, 1.0, 0.0]
    binary = evaluate_family([_case("b", verdicts, verdicts, binary=True)], options)["b"]
    assert binary.p_value == pytest.approx(t.sf(0.05 / (0.5 / 2), 3))
    lone = GateCase("w", {"a": 0.5}, {"b": 0.5}, 5.0)  # one item each: Welch, no SE at all
    assert evaluate_family([lone], options)["w"].p_value == pytest.approx(t.sf(0.05 / 0.05, 1))


def test_equivalence_with_a_real_spread_is_statsmodels_paired_tost() -> None:
    from statsmodels.stats.weightstats import ttost_paired

    base = [0.3 + 0.01 * n for n in range(30)]
    now = [p + (0.08 if n % 3 else -0.07) for n, p in enumerate(base)]  # SE above the floor
    verdict = evaluate_family([_case("a", now, base)], GateOptions(equivalence=True))["a"]
    expected, _, _ = ttost_paired(np.array(now), np.array(base), -0.05, 0.05)
    assert verdict.p_value == pytest.approx(expected)


# -- the power each verdict reports, from the planning rules of docs/statistics.md ------------

from valspec.measure.stats import (  # noqa: E402
    mcnemar_power,
    n_needed,
    paired_power,
    tost,
    welch_test,
)


def test_graded_power_uses_the_sample_sd_of_the_differences() -> None:
    from statsmodels.stats.power import TTestPower

    base = [0.3 + 0.01 * n for n in range(12)]
    now = [p + (0.1 if n % 2 else -0.08) for n, p in enumerate(base)]
    verdict = evaluate_family([_case("a", now, base)])["a"]
    sd = float(np.std(np.subtract(now, base), ddof=1))
    expected = TTestPower().power(effect_size=0.05 / round(sd, 3), nobs=12, alpha=0.05)
    assert verdict.power == pytest.approx(expected, rel=1e-6)


def test_binary_power_uses_the_share_of_discordant_items() -> None:
    base = [1.0] * 10 + [0.0] * 10
    now = [0.0] * 3 + [1.0] * 7 + [1.0] * 2 + [0.0] * 8  # 5 of 20 discordant
    verdict = evaluate_family([_case("b", now, base, binary=True)])["b"]
    assert verdict.power == pytest.approx(mcnemar_power(0.05, 0.25, 20, 0.05))


def test_independent_samples_plan_with_both_variances_floored() -> None:
    now = {"a": 0.9, "b": 0.5, "c": 0.7}
    base = {"d": 0.2, "e": 0.4, "f": 0.3, "g": 0.1}
    verdict = evaluate_family([GateCase("w", now, base, 5.0)])["w"]
    spread = math.sqrt(np.var(list(now.values()), ddof=1) + np.var(list(base.values()), ddof=1))
    assert verdict.power == pytest.approx(paired_power(0.05, round(spread, 3), 3, 0.05))
    assert verdict.baseline == pytest.approx(25.0) and verdict.current == pytest.approx(70.0)
    lone = evaluate_family([GateCase("l", {"a": 0.5}, {"b": 0.5, "c": 0.5}, 5.0)])["l"]
    floor = 0.05**2  # a side without a variance (and a zero one) counts the planning SD
    assert lone.power == pytest.approx(paired_power(0.05, round(math.sqrt(2 * floor), 3), 1))
    binary = GateCase("v", {"a": 1.0, "b": 0.0}, {"c": 1.0, "d": 1.0}, 5.0, binary=True)
    b = evaluate_family([binary])["v"]
    spread = math.sqrt(0.5 + 0.25)  # var(1, 0) = 0.5; a constant side counts 1/4
    assert b.test == "welch"
    assert b.power == pytest.approx(paired_power(0.05, round(spread, 3), 2, 0.05))


def _planned_n(spread: float) -> int:
    return n_needed(lambda k: paired_power(0.05, round(spread, 3), k, 0.05), 0.8)


def test_a_side_of_one_or_two_items_plans_with_the_floor_or_its_own_variance() -> None:
    # One item has no variance: it counts the floor (1/4 for verdicts, the planning SD
    # squared for scores); two items already have one: var(1, 0) = 1/2.
    binary = GateCase("v", {"a": 1.0}, {"c": 1.0, "d": 0.0}, 5.0, binary=True)
    verdict = evaluate_family([binary])["v"]
    assert verdict.n_needed == _planned_n(math.sqrt(0.25 + 0.5))
    assert verdict.flips == ()  # nothing is paired, so nothing flipped
    swapped = GateCase("s", {"c": 1.0, "d": 0.0}, {"a": 1.0}, 5.0, binary=True)
    assert evaluate_family([swapped])["s"].n_needed == verdict.n_needed
    scores = GateCase("g", {"a": 0.5}, {"b": 0.5}, 5.0)
    wide = GateOptions(min_planning_sd=0.2)
    assert evaluate_family([scores], wide)["g"].n_needed == _planned_n(math.sqrt(2 * 0.2**2))


def test_equivalence_of_independent_samples_counts_the_smaller_side_minus_one_df() -> None:
    now = {"a": 0.50, "b": 0.52, "c": 0.49, "d": 0.51}
    base = {f"x{k}": 0.5 + 0.01 * (k - 2) for k in range(6)}
    verdict = evaluate_family([GateCase("w", now, base, 5.0)], GateOptions(equivalence=True))
    welch = welch_test(list(now.values()), list(base.values()))
    floor = 0.05 / math.sqrt(welch.n)  # the planning SD over root n (welch.n = 4)
    expected = tost(welch.estimate, max(welch.se, floor), 3.0, 0.05)  # df = min(4, 6) - 1
    assert verdict["w"].p_value == pytest.approx(expected, rel=1e-12)


def test_the_bootstrap_uses_the_options_seed() -> None:
    base = [0.3 + 0.01 * n for n in range(30)]
    now = [p + (0.03 if n % 3 else -0.02) for n, p in enumerate(base)]
    one = evaluate_family([_case("a", now, base)], GateOptions(bootstrap=True, seed=5))["a"]
    again = evaluate_family([_case("a", now, base)], GateOptions(bootstrap=True, seed=5))["a"]
    other = evaluate_family([_case("a", now, base)], GateOptions(bootstrap=True, seed=6))["a"]
    assert one.ci == again.ci and one.ci != other.ci


def test_power_is_planned_at_the_per_test_level_of_the_whole_family() -> None:
    base = [0.3 + 0.01 * n for n in range(12)]
    now = [p + (0.1 if n % 2 else -0.08) for n, p in enumerate(base)]
    sd = round(float(np.std(np.subtract(now, base), ddof=1)), 3)
    sized = evaluate_family([_case("a", now, base)], family_size=10)["a"]
    assert sized.power == pytest.approx(paired_power(0.05, sd, 12, 0.05 / 10))
    three = evaluate_family([_case(k, now, base) for k in "abc"], alpha=0.03)["a"]
    assert three.power == pytest.approx(paired_power(0.05, sd, 12, 0.03 / 3))
    nan_case = GateCase("n", {"x": 0.5}, {}, 5.0)  # no baseline items: p is nan, not counted
    two = evaluate_family([_case("a", now, base), nan_case])["a"]
    assert two.power == pytest.approx(paired_power(0.05, sd, 12, 0.05))


def test_a_negative_change_reaching_exactly_the_tolerance_is_drift() -> None:
    first = evaluate_family([_case("a", NOISY_BASE, NOISY_NOW)])["a"]
    assert first.status == "drift" and first.delta < 0 and first.n == 40
    assert first.current == pytest.approx(100 * float(np.mean(NOISY_BASE)))
    reach = -first.ci[0]
    at = _case("a", NOISY_BASE, NOISY_NOW)
    exact = GateCase(at.name, at.current, at.baseline, tolerance=reach)
    assert evaluate_family([exact])["a"].status == "drift"
    beyond = GateCase(at.name, at.current, at.baseline, tolerance=math.nextafter(reach, 100.0))
    assert evaluate_family([beyond])["a"].status != "drift"
    tost = evaluate_family([_case("a", NOISY_BASE, NOISY_NOW)], GateOptions(equivalence=True))
    assert tost["a"].test == "paired-t+tost"
