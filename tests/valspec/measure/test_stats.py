from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.measure.stats import normal_interval, paired_mean_difference, wilson_interval


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_estimate_and_stays_in_bounds(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_is_symmetric(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = wilson_interval(k, n)
    low2, high2 = wilson_interval(n - k, n)
    assert low == pytest.approx(1 - high2, abs=1e-9)
    assert high == pytest.approx(1 - low2, abs=1e-9)


def test_wilson_known_value_and_edges() -> None:
    low, high = wilson_interval(7, 10)
    assert (round(low, 3), round(high, 3)) == (0.397, 0.892)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(5, 3)


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=2, max_size=60))
def test_paired_difference_is_order_invariant_and_antisymmetric(
    pairs: list[tuple[float, float]],
) -> None:
    after, before = [a for a, _ in pairs], [b for _, b in pairs]
    mean, se = paired_mean_difference(after, before)
    rmean, rse = paired_mean_difference(list(reversed(after)), list(reversed(before)))
    assert mean == pytest.approx(rmean, abs=1e-9) and se == pytest.approx(rse, abs=1e-9)
    neg, nse = paired_mean_difference(before, after)
    assert neg == pytest.approx(-mean, abs=1e-9) and nse == pytest.approx(se, abs=1e-9)


def test_normal_interval() -> None:
    low, high = normal_interval(10.0, 2.0)
    assert (round(low, 2), round(high, 2)) == (6.08, 13.92)
    assert all(math.isnan(x) for x in normal_interval(1.0, math.nan))


# -- issue 5: tests, Holm, power ---------------------------------------------------------------

import itertools  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats as _sp  # noqa: E402

from valspec.measure.stats import (  # noqa: E402
    holm,
    mcnemar_power,
    mcnemar_test,
    mean_interval,
    n_needed,
    paired_power,
    paired_t_test,
    tost,
    welch_test,
)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_holm_is_at_least_raw_at_most_one_and_keeps_order(ps: list[float]) -> None:
    adjusted = holm(ps)
    for p, a in zip(ps, adjusted, strict=True):
        assert p <= a + 1e-12 and a <= 1.0
    ranked = sorted(zip(ps, adjusted, strict=True))
    for (_, a1), (_, a2) in itertools.pairwise(ranked):
        assert a1 <= a2 + 1e-12  # a smaller p never gets a larger adjusted p


def test_holm_known_values_and_nan() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = holm([0.01, math.nan])
    assert out[0] == pytest.approx(0.01) and math.isnan(out[1])


def test_mcnemar_is_the_exact_binomial_test_with_an_interval_that_agrees() -> None:
    after = [0] * 8 + [1] * 2 + [1] * 10
    before = [1] * 8 + [0] * 2 + [1] * 10
    small = mcnemar_test(after, before)
    assert small.test == "mcnemar-exact"
    # central two-sided exact binomial (equals SciPy's for a symmetric null)
    assert small.p_value == pytest.approx(_sp.binomtest(2, 10, 0.5).pvalue)
    assert small.estimate == pytest.approx(-0.3)
    ci = _sp.binomtest(2, 10).proportion_ci(method="exact")
    assert small.ci == pytest.approx(((2 * ci.low - 1) * 10 / 20, (2 * ci.high - 1) * 10 / 20))
    big = mcnemar_test([0] * 30 + [1] * 10, [1] * 30 + [0] * 10)
    assert big.test == "mcnemar-exact" and big.p_value < 0.01 and big.ci[1] < 0


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=2, max_size=40))
def test_mcnemar_interval_excludes_zero_exactly_when_p_is_below_5_percent(
    pairs: list[tuple[int, int]],
) -> None:
    result = mcnemar_test([a for a, _ in pairs], [b for _, b in pairs])
    excludes = result.ci[0] > 0 or result.ci[1] < 0
    assert excludes == (result.p_value < 0.05)


@given(st.lists(st.floats(-1, 1), min_size=2, max_size=40))
def test_paired_t_interval_contains_the_estimate(diffs: list[float]) -> None:
    result = paired_t_test(diffs)
    assert result.ci[0] - 1e-9 <= result.estimate <= result.ci[1] + 1e-9
    assert 0.0 <= result.p_value <= 1.0


def test_mean_interval_matches_scipy_t() -> None:
    data = [0.1, 0.4, 0.35, 0.8, 0.55]
    mean, _se, (low, high) = mean_interval(data)
    ref = _sp.t.interval(0.95, len(data) - 1, loc=mean, scale=_sp.sem(data))
    assert (low, high) == pytest.approx(ref)


def test_welch_matches_scipy() -> None:
    a, b = [0.9, 0.8, 0.7, 0.95], [0.2, 0.4, 0.3, 0.1, 0.35]
    ours = welch_test(a, b)
    assert ours.p_value == pytest.approx(_sp.ttest_ind(a, b, equal_var=False).pvalue)


def test_tost_is_small_inside_the_margin_and_large_outside() -> None:
    assert tost(0.0, 0.01, 50, 0.05) < 0.001
    assert tost(0.06, 0.01, 50, 0.05) > 0.5
    assert math.isnan(tost(0.0, 0.0, 5, 0.05))  # a zero SE shows nothing (never p = 0)


@given(st.integers(2, 400), st.floats(0.01, 0.3))
def test_power_grows_with_n_and_n_needed_is_minimal(n: int, sd: float) -> None:
    assert paired_power(0.05, sd, n + 1) >= paired_power(0.05, sd, n) - 1e-9
    assert mcnemar_power(0.05, 0.3, n + 1) >= mcnemar_power(0.05, 0.3, n) - 1e-9
    need = n_needed(lambda k: paired_power(0.05, sd, k, 0.005))
    assert paired_power(0.05, sd, need, 0.005) >= 0.8
    assert need == 1 or paired_power(0.05, sd, need - 1, 0.005) < 0.8


@pytest.mark.parametrize(("n", "discordant", "delta"), [(30, 0.3, 0.2), (200, 0.1, 0.05)])
def test_mcnemar_power_matches_simulation_of_the_exact_test(
    n: int, discordant: float, delta: float
) -> None:
    """The exact power formula against 1,200 simulated tables (binomial MC error ≈ 0.014)."""
    rng = np.random.default_rng(5)
    up, down = (discordant + delta) / 2, (discordant - delta) / 2
    runs, rejected = 1200, 0
    for _ in range(runs):
        u = rng.random(n)
        after = (u < up).astype(int)
        before = ((u >= up) & (u < up + down)).astype(int)
        rejected += mcnemar_test(after.tolist(), before.tolist()).p_value < 0.05
    assert mcnemar_power(delta, discordant, n, 0.05) == pytest.approx(rejected / runs, abs=0.04)


def test_paired_power_matches_simulation_of_the_t_test() -> None:
    rng = np.random.default_rng(6)
    runs = 3000
    hits = sum(
        paired_t_test(rng.normal(0.05, 0.15, 40).tolist()).p_value < 0.01 for _ in range(runs)
    )
    assert paired_power(0.05, 0.15, 40, 0.01) == pytest.approx(hits / runs, abs=0.03)
