"""valspec.measure.stats against independent references: statsmodels, SciPy's own tests and
hand-worked textbook values, never a copy of the formula under test."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as sp
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttost_paired

from valspec.measure.stats import (
    holm,
    keying_scores,
    mcnemar_power,
    mcnemar_test,
    mean_interval,
    n_needed,
    normal_interval,
    one_sided_below_p,
    paired_mean_difference,
    paired_power,
    paired_t_test,
    pooled_strata,
    rate_above_p,
    sign_test_p,
    tost,
    welch_test,
    wilson_interval,
)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (17, 40), (1, 1)])
def test_wilson_is_statsmodels_wilson(k: int, n: int) -> None:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=1e-12)
    low90, high90 = proportion_confint(k, n, alpha=0.10, method="wilson")
    assert wilson_interval(k, n, 0.90) == pytest.approx((low90, high90), abs=1e-12)


def test_wilson_edges() -> None:
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(-1, 10)


def test_paired_mean_difference_is_the_mean_and_standard_error_of_the_differences() -> None:
    after, before = [0.5, 0.9, 0.4, 0.8], [0.1, 0.6, 0.4, 0.2]
    d = DescrStatsW(np.subtract(after, before))
    assert paired_mean_difference(after, before) == pytest.approx((d.mean, d.std_mean))
    mean, se = paired_mean_difference([0.7], [0.2])
    assert mean == pytest.approx(0.5) and math.isnan(se)
    assert all(math.isnan(x) for x in paired_mean_difference([], []))
    with pytest.raises(ValueError, match="length"):
        paired_mean_difference([1.0], [1.0, 2.0])


def test_normal_interval_is_estimate_plus_minus_the_normal_quantile() -> None:
    assert normal_interval(1.0, 0.5) == pytest.approx((1.0 - 1.959964 * 0.5, 1.0 + 1.959964 * 0.5))
    assert normal_interval(0.0, 1.0, 0.90) == pytest.approx((-1.644854, 1.644854))
    assert all(math.isnan(x) for x in normal_interval(1.0, math.nan))


def test_mean_interval_is_statsmodels_t_interval() -> None:
    data = [0.1, 0.4, 0.35, 0.8, 0.55, 0.2]
    d = DescrStatsW(np.array(data))
    mean, se, ci = mean_interval(data, 0.90)
    assert (mean, se) == pytest.approx((d.mean, d.std_mean))
    assert ci == pytest.approx(d.tconfint_mean(alpha=0.10))
    assert mean_interval([0.3, 0.3, 0.3]) == (pytest.approx(0.3), 0.0, pytest.approx((0.3, 0.3)))
    one = mean_interval([0.4])
    assert one[0] == 0.4 and math.isnan(one[1]) and math.isnan(one[2][0])
    assert math.isnan(mean_interval([])[0])


def test_keying_scores_of_a_hand_worked_example() -> None:
    like = {"a": 1.0, "b": 1.0, "c": 0.0, "x": 1.0}  # "x" is not answered under dislike
    dislike = {"a": 0.0, "b": 1.0, "c": 1.0}
    scores = keying_scores(like, dislike)
    # balanced: ½(1 + 1 - 0) = 1, ½(1 + 1 - 1) = .5, ½(0 + 1 - 1) = 0 -> mean .5
    # acquiescence: 1 + 0 - 1 = 0, 1 + 1 - 1 = 1, 0 + 1 - 1 = 0 -> mean 1/3
    assert scores.n == 3
    assert scores.balanced == pytest.approx(50.0)
    assert scores.acquiescence == pytest.approx(100 / 3)
    bal = DescrStatsW(np.array([1.0, 0.5, 0.0]))
    acq = DescrStatsW(np.array([0.0, 1.0, 0.0]))
    assert scores.balanced_se == pytest.approx(100 * bal.std_mean)
    assert scores.acquiescence_se == pytest.approx(100 * acq.std_mean)
    assert scores.balanced_ci == pytest.approx(tuple(100 * x for x in bal.tconfint_mean()))
    assert scores.acquiescence_ci == pytest.approx(tuple(100 * x for x in acq.tconfint_mean()))


def test_pooled_strata_weights_by_items_and_adds_variances() -> None:
    mean, (low, high) = pooled_strata([10.0, 40.0], [2.0, 4.0], [30, 10])
    # w = (.75, .25): mean 7.5 + 10 = 17.5; se = sqrt((.75 * 2)^2 + (.25 * 4)^2) = sqrt(3.25)
    assert mean == pytest.approx(17.5)
    z = sp.norm.ppf(0.975)
    assert (low, high) == pytest.approx((17.5 - z * math.sqrt(3.25), 17.5 + z * math.sqrt(3.25)))
    empty = pooled_strata([1.0], [1.0], [0])
    assert math.isnan(empty[0]) and math.isnan(empty[1][0])


def test_paired_t_test_is_scipys_ttest_rel() -> None:
    after = [0.5, 0.9, 0.4, 0.8, 0.65]
    before = [0.1, 0.6, 0.45, 0.2, 0.6]
    result = paired_t_test(np.subtract(after, before).tolist())
    ref = sp.ttest_rel(after, before)
    assert result.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert result.ci == pytest.approx(tuple(ref.confidence_interval(0.95)), rel=1e-9)
    assert result.n == 5 and result.test == "paired-t"
    one = paired_t_test([0.3])
    assert one.n == 1 and math.isnan(one.p_value)


def test_identical_differences_use_the_exact_sign_test() -> None:
    # every one of 6 differences is +0.25: two-sided sign test p = 2 * 0.5^6
    result = paired_t_test([0.25] * 6)
    assert result.p_value == pytest.approx(sp.binomtest(6, 6, 0.5).pvalue)
    assert result.p_value == pytest.approx(2 * 0.5**6) and result.se == 0.0
    assert sign_test_p(0.0, 6) == 1.0 and sign_test_p(0.2, 0) == 1.0
    assert sign_test_p(-0.2, 1) == 1.0  # 2 * 0.5 = 1, never above 1


def test_exact_mcnemar_is_statsmodels_exact_mcnemar() -> None:
    # 7 pairs 0 -> 1, 2 pairs 1 -> 0, 11 concordant
    after = [1] * 7 + [0] * 2 + [1] * 6 + [0] * 5
    before = [0] * 7 + [1] * 2 + [1] * 6 + [0] * 5
    table = [[5, 7], [2, 6]]  # rows: before 0/1, columns: after 0/1
    ref = sm_mcnemar(table, exact=True)
    result = mcnemar_test(after, before)
    assert result.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert result.estimate == pytest.approx((7 - 2) / 20)
    # SE of a difference of paired proportions: sqrt((b + c)/n - ((b - c)/n)^2) / sqrt(n)
    assert result.se == pytest.approx(math.sqrt(9 / 20 - 0.25**2) / math.sqrt(20))
    none = mcnemar_test([1, 0, 1], [1, 0, 1])
    assert none.p_value == 1.0 and none.ci == (0.0, 0.0) and none.estimate == 0.0
    with pytest.raises(ValueError, match="length"):
        mcnemar_test([1, 0], [1])


def test_mcnemar_has_no_continuity_correction_and_is_not_the_asymptotic_test() -> None:
    after, before = [1] * 12 + [0] * 3, [0] * 12 + [1] * 3
    exact = sm_mcnemar([[0, 12], [3, 0]], exact=True).pvalue
    corrected = sm_mcnemar([[0, 12], [3, 0]], exact=False, correction=True).pvalue
    uncorrected = sm_mcnemar([[0, 12], [3, 0]], exact=False, correction=False).pvalue
    p = mcnemar_test(after, before).p_value
    assert p == pytest.approx(exact) and p != pytest.approx(corrected)
    assert p != pytest.approx(uncorrected)


def test_welch_is_statsmodels_welch_with_its_interval() -> None:
    a, b = [0.9, 0.8, 0.7, 0.95], [0.2, 0.4, 0.3, 0.1, 0.35]
    result = welch_test(a, b, 0.90)
    ref = CompareMeans(DescrStatsW(np.array(a)), DescrStatsW(np.array(b)))
    _t, p, _df = ref.ttest_ind(usevar="unequal")
    assert result.p_value == pytest.approx(p, rel=1e-9)
    assert result.ci == pytest.approx(ref.tconfint_diff(alpha=0.10, usevar="unequal"), rel=1e-9)
    assert result.estimate == pytest.approx(np.mean(a) - np.mean(b)) and result.n == 4


def test_welch_edges() -> None:
    constant = welch_test([1.0, 1.0, 1.0], [0.0, 0.0])
    # a permutation test of two constant samples: 2 of C(5, 3) = 10 splits are as extreme
    assert constant.p_value == pytest.approx(0.2) and constant.ci == (1.0, 1.0)
    assert welch_test([0.5, 0.5], [0.5, 0.5]).p_value == 1.0
    small = welch_test([1.0], [0.0, 0.5])
    assert math.isnan(small.p_value) and small.estimate == pytest.approx(0.75)
    assert math.isnan(welch_test([], [0.1, 0.2]).estimate)


def test_tost_is_statsmodels_paired_tost() -> None:
    after = np.array([0.52, 0.49, 0.55, 0.47, 0.51, 0.50, 0.53, 0.48])
    before = np.array([0.50, 0.50, 0.52, 0.49, 0.50, 0.51, 0.50, 0.50])
    d = DescrStatsW(after - before)
    for margin in (0.01, 0.03, 0.1):
        p_ref, _, _ = ttost_paired(after, before, -margin, margin)
        assert tost(d.mean, d.std_mean, len(d.data) - 1, margin) == pytest.approx(p_ref)
    assert math.isnan(tost(math.nan, 0.1, 5, 0.1)) and math.isnan(tost(0.0, math.nan, 5, 0.1))
    assert math.isnan(tost(0.0, -0.1, 5, 0.1))


def test_one_sided_below_p_is_the_normal_lower_tail_with_a_floored_se() -> None:
    assert one_sided_below_p(8.0, 1.0, 10.0) == pytest.approx(sp.norm.cdf(-2.0))
    assert one_sided_below_p(10.0, 1.0, 10.0) == pytest.approx(0.5)  # at the minimum: p = 1/2
    assert one_sided_below_p(8.0, 0.5, 10.0, floor=1.0) == pytest.approx(sp.norm.cdf(-2.0))
    assert one_sided_below_p(8.0, 2.0, 10.0, floor=1.0) == pytest.approx(sp.norm.cdf(-1.0))
    assert math.isnan(one_sided_below_p(8.0, 0.0, 10.0))
    assert math.isnan(one_sided_below_p(math.nan, 1.0, 10.0))
    assert math.isnan(one_sided_below_p(8.0, math.nan, 10.0))


def test_rate_above_p_edges() -> None:
    assert rate_above_p(1, 1, 0.5) == pytest.approx(0.5)
    assert rate_above_p(0, 5, 0.5) == 1.0 and math.isnan(rate_above_p(1, 0, 0.5))


@pytest.mark.parametrize(("delta", "sd", "n"), [(0.05, 0.2, 30), (0.1, 0.3, 12), (0.02, 0.1, 200)])
def test_paired_power_is_statsmodels_t_test_power(delta: float, sd: float, n: int) -> None:
    ref = TTestPower().power(effect_size=delta / sd, nobs=n, alpha=0.05, alternative="two-sided")
    assert paired_power(delta, sd, n) == pytest.approx(ref, rel=1e-6)
    assert paired_power(-delta, sd, n) == pytest.approx(ref, rel=1e-6)
    ref01 = TTestPower().power(effect_size=delta / sd, nobs=n, alpha=0.01)
    assert paired_power(delta, sd, n, alpha=0.01) == pytest.approx(ref01, rel=1e-6)


def test_paired_power_edges() -> None:
    assert paired_power(0.1, 0.2, 1) == 0.0
    assert paired_power(0.1, 0.0, 10) == 1.0
    assert paired_power(0.1, 0.2, 2) > 0.0


def test_n_needed_is_statsmodels_solve_power_rounded_up() -> None:
    delta, sd = 0.05, 0.2
    solved = TTestPower().solve_power(effect_size=delta / sd, alpha=0.05, power=0.8)
    assert n_needed(lambda k: paired_power(delta, sd, k)) == math.ceil(solved)
    assert n_needed(lambda k: paired_power(delta, sd, k), target=0.9) == math.ceil(
        TTestPower().solve_power(effect_size=delta / sd, alpha=0.05, power=0.9)
    )
    assert n_needed(lambda k: 0.0, limit=1000) == 1000  # never reached: the limit
    assert n_needed(lambda k: 1.0) == 1
    assert n_needed(lambda k: float(k >= 37)) == 37  # exactly at the target counts


def _exact_mcnemar_power(delta: float, pd: float, n: int, alpha: float) -> float:
    """Brute force: sum over every (d, up) of P(d) P(up | d) 1[statsmodels' exact p < alpha]."""
    q = (pd + delta) / (2 * pd)
    total = 0.0
    for d in range(1, n + 1):
        weight = sp.binom.pmf(d, n, pd)
        for up in range(d + 1):
            p = sm_mcnemar([[0, up], [d - up, 0]], exact=True).pvalue
            if p <= alpha:
                total += weight * sp.binom.pmf(up, d, q)
    return total


@pytest.mark.parametrize(("delta", "pd", "n"), [(0.1, 0.2, 30), (0.2, 0.3, 25), (-0.15, 0.25, 20)])
def test_mcnemar_power_is_the_brute_force_power_of_the_exact_test(
    delta: float, pd: float, n: int
) -> None:
    assert mcnemar_power(delta, pd, n) == pytest.approx(
        _exact_mcnemar_power(delta, pd, n, 0.05), abs=1e-9
    )


def test_mcnemar_power_edges() -> None:
    assert mcnemar_power(0.1, 0.2, 0) == 0.0
    assert mcnemar_power(0.0, 0.0, 50) == 0.0
    # the discordant share is at least |delta|: a shift needs that many discordant pairs
    assert mcnemar_power(0.2, 0.05, 40) == pytest.approx(mcnemar_power(0.2, 0.2, 40))
    big = mcnemar_power(0.05, 0.2, 5000)  # Connor's normal formula above EXACT_POWER_UP_TO
    z = sp.norm.ppf(0.975)
    ref = sp.norm.cdf((0.05 * math.sqrt(5000) - z * math.sqrt(0.2)) / math.sqrt(0.2 - 0.05**2))
    assert big == pytest.approx(ref)


@pytest.mark.parametrize(("delta", "pd", "n"), [(0.012, 0.2, 5000), (-0.02, 0.3, 3000)])
def test_mcnemar_power_above_the_exact_range_is_connors_formula_at_moderate_power(
    delta: float, pd: float, n: int
) -> None:
    """Connor (1987): Φ((|δ|√n − z₀.₉₇₅ √p_d) / √(p_d − δ²)), at a power far from 0 and 1 so
    that a wrong level, sign or spread shows."""
    z = sp.norm.ppf(0.975)
    ref = sp.norm.cdf((abs(delta) * math.sqrt(n) - z * math.sqrt(pd)) / math.sqrt(pd - delta**2))
    assert 0.2 < ref < 0.8
    assert mcnemar_power(delta, pd, n) == pytest.approx(ref, rel=1e-9)


def _exact_power_by_scanning(delta: float, pd: float, n: int, alpha: float = 0.05) -> float:
    """The exact test's power from its definition, vectorised: for every d and every count k
    of 0 -> 1 pairs, the two-sided binomial p = min(1, 2 min(P(X ≤ k), P(X ≥ k))) at 1/2."""
    q = (pd + delta) / (2 * pd)
    total = 0.0
    for d in range(1, n + 1):
        weight = sp.binom.pmf(d, n, pd)
        if weight < 1e-16:
            continue
        k = np.arange(d + 1)
        p = np.minimum(1.0, 2 * np.minimum(sp.binom.cdf(k, d, 0.5), sp.binom.sf(k - 1, d, 0.5)))
        total += weight * float(np.sum(sp.binom.pmf(k, d, q)[p <= alpha]))
    return total


@pytest.mark.parametrize(
    ("delta", "pd", "n"), [(0.05, 0.1, 15), (0.08, 0.12, 60), (-0.03, 0.2, 400), (0.02, 0.2, 2000)]
)
def test_mcnemar_power_is_the_exact_power_from_its_definition(
    delta: float, pd: float, n: int
) -> None:
    """Few discordant pairs (d = 0 likely), moderate power, and n = 2,000, the last n computed
    exactly."""
    assert mcnemar_power(delta, pd, n) == pytest.approx(
        _exact_power_by_scanning(delta, pd, n), abs=1e-9
    )


def _fields_nan(result: object, *names: str) -> bool:
    return all(math.isnan(getattr(result, name)) for name in names)


def test_welch_edge_results_field_by_field() -> None:
    small = welch_test([1.0], [0.0, 0.5])
    assert _fields_nan(small, "se", "p_value") and all(math.isnan(x) for x in small.ci)
    assert (small.test, small.n) == ("welch", 1)
    constant = welch_test([1.0, 1.0, 1.0], [0.0, 0.0])
    assert (constant.estimate, constant.se, constant.test, constant.n) == (1.0, 0.0, "welch", 2)
    a, b = [0.9, 0.8, 0.7, 0.95], [0.2, 0.4, 0.3, 0.1, 0.35]
    ref = CompareMeans(DescrStatsW(np.array(a)), DescrStatsW(np.array(b)))
    assert welch_test(a, b).se == pytest.approx(ref.std_meandiff_separatevar)


from valspec.measure.stats import BOOTSTRAP_MIN_N, paired_bootstrap_test  # noqa: E402


def test_the_bootstrap_is_used_from_its_minimum_n_and_the_t_test_below() -> None:
    rng = np.random.default_rng(7)
    below = rng.normal(0.05, 0.1, BOOTSTRAP_MIN_N - 1).tolist()
    assert paired_bootstrap_test(below) == paired_t_test(below)
    assert paired_bootstrap_test(below, 0.9) == paired_t_test(below, 0.9)
    at = rng.normal(0.05, 0.1, BOOTSTRAP_MIN_N).tolist()
    assert paired_bootstrap_test(at).test == "paired-bootstrap-t"
    constant = [0.25] * 30
    assert paired_bootstrap_test(constant) == paired_t_test(constant)
    assert paired_bootstrap_test(constant, 0.9) == paired_t_test(constant, 0.9)


def test_the_bootstrap_p_of_a_huge_effect_is_one_over_resamples_plus_one() -> None:
    """Davison & Hinkley (1997): p = (#{|t*| >= |t|} + 1) / (B + 1); no resample reaches a
    t of 50, so p = 1 / 2001 with the default 2000 resamples."""
    rng = np.random.default_rng(3)
    d = (1.0 + rng.normal(0, 0.02, 40)).tolist()
    assert paired_bootstrap_test(d).p_value == pytest.approx(1 / 2001)
    assert paired_bootstrap_test(d, resamples=500).p_value == pytest.approx(1 / 501)


def test_the_bootstrap_agrees_with_the_t_test_on_normal_data() -> None:
    rng = np.random.default_rng(11)
    d = rng.normal(0.03, 0.1, 400)
    boot = paired_bootstrap_test(d.tolist())
    ref = sp.ttest_1samp(d, 0.0)
    se = float(sp.sem(d))
    assert boot.estimate == pytest.approx(d.mean()) and boot.se == pytest.approx(se)
    assert boot.p_value == pytest.approx(ref.pvalue, abs=0.01)
    low, high = ref.confidence_interval(0.95)
    assert boot.ci == pytest.approx((low, high), abs=0.15 * se)
    low90, high90 = ref.confidence_interval(0.90)
    assert paired_bootstrap_test(d.tolist(), 0.90).ci == pytest.approx(
        (low90, high90), abs=0.15 * se
    )
    assert boot.n == 400 and boot.test == "paired-bootstrap-t"


def test_the_bootstrap_resamples_every_item_and_is_reproducible() -> None:
    d = [5.0] + [0.0, 0.1] * 15  # one large first item: leaving it out of resamples shows
    default = paired_bootstrap_test(d)
    assert default == paired_bootstrap_test(d, seed=0)
    assert default.ci != paired_bootstrap_test(d, seed=1).ci
    ref = sp.ttest_1samp(d, 0.0)
    assert default.ci[0] < float(np.mean(d)) < default.ci[1]
    assert default.ci[1] - default.ci[0] > 0.5 * float(
        np.subtract(*ref.confidence_interval()[::-1])
    )


def test_mcnemar_edges_field_by_field() -> None:
    concordant = mcnemar_test([1, 0, 1], [1, 0, 1])
    assert (concordant.se, concordant.test, concordant.n) == (0.0, "mcnemar-exact", 3)
    empty = mcnemar_test([], [])
    assert _fields_nan(empty, "estimate", "se") and empty.n == 0
    balanced = mcnemar_test([1, 1, 0, 0], [0, 0, 1, 1])  # 2 up, 2 down: both tails above 1/2
    assert balanced.p_value == 1.0 and balanced.estimate == 0.0


def test_the_mcnemar_interval_is_clopper_pearson_at_the_asked_confidence() -> None:
    after = [1] * 7 + [0] * 2 + [1] * 6 + [0] * 5
    before = [0] * 7 + [1] * 2 + [1] * 6 + [0] * 5
    for confidence in (0.95, 0.90):
        low, high = proportion_confint(7, 9, alpha=1 - confidence, method="beta")
        expected = ((2 * low - 1) * 9 / 20, (2 * high - 1) * 9 / 20)
        assert mcnemar_test(after, before, confidence).ci == pytest.approx(expected)


def test_a_single_item_stratum_is_pooled() -> None:
    mean, (low, high) = pooled_strata([12.0], [1.0], [1])
    z = sp.norm.ppf(0.975)
    assert mean == 12.0 and (low, high) == pytest.approx((12.0 - z, 12.0 + z))


def test_paired_t_test_at_another_confidence_is_scipys_interval() -> None:
    after = [0.5, 0.9, 0.4, 0.8, 0.65]
    before = [0.1, 0.6, 0.45, 0.2, 0.6]
    result = paired_t_test(np.subtract(after, before).tolist(), 0.90)
    ref = sp.ttest_rel(after, before).confidence_interval(0.90)
    assert result.ci == pytest.approx(tuple(ref), rel=1e-9)


def test_paired_t_test_edges_field_by_field() -> None:
    one = paired_t_test([0.3])
    assert one.estimate == pytest.approx(0.3) and _fields_nan(one, "se", "p_value")
    assert all(math.isnan(x) for x in one.ci) and (one.test, one.n) == ("paired-t", 1)
    empty = paired_t_test([])
    assert _fields_nan(empty, "estimate", "se", "p_value") and empty.n == 0
    # no item changed: no evidence of a change, p = 1 (not the sign test of n changes)
    unchanged = paired_t_test([0.0] * 6)
    assert unchanged.p_value == 1.0 and (unchanged.estimate, unchanged.se) == (0.0, 0.0)
    assert unchanged.test == "paired-t" and paired_t_test([0.25] * 6).test == "paired-t"


def test_mcnemar_power_when_every_pair_is_discordant() -> None:
    """p_d = 1: d = n for sure, so the power is P(Binomial(n, (1 + δ)/2) falls where SciPy's
    exact binomial test rejects); a discordant share above 1 means the same."""
    n, delta = 30, 0.3
    ref = sum(
        sp.binom.pmf(k, n, (1 + delta) / 2)
        for k in range(n + 1)
        if sp.binomtest(k, n, 0.5).pvalue < 0.05
    )
    assert 0.2 < ref < 0.8
    assert mcnemar_power(delta, 1.0, n) == pytest.approx(ref, abs=1e-12)
    assert mcnemar_power(-delta, 1.0, n) == pytest.approx(ref, abs=1e-12)
    assert mcnemar_power(delta, 1.2, n) == pytest.approx(ref, abs=1e-12)


def test_mcnemar_power_is_a_probability_where_the_sum_rounds_above_one() -> None:
    # every d with a rejection region rejects (q = 0.9), and the weights sum to 1 + 4e-16
    assert 0.999 < mcnemar_power(0.4, 0.5, 272) <= 1.0


def test_a_zero_mean_difference_has_bootstrap_p_one_and_no_warning() -> None:
    """t = 0: every resample's |t*| is at least as large, so p = 1. Resamples of only the
    zeros have t* = 0/0 and are dropped without a RuntimeWarning."""
    d = [-1.0, 1.0] + [0.0] * 18
    assert len(d) >= BOOTSTRAP_MIN_N
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = paired_bootstrap_test(d)
    assert result.p_value == 1.0 and result.estimate == 0.0


def test_the_bootstrap_t_of_two_valued_data_has_its_exact_quantiles() -> None:
    """Efron & Tibshirani (1993, ch. 12): for 0/1 data a resample is fixed by its count k of
    ones, k ~ Binomial(n, m/n), so t*(k) = (k/n - m/n) / (s_k/√n) with s_k the sample SD
    (ddof 1) of k ones and n - k zeros, finite for 0 < k < n. With m = 2 of n = 20 the 2.5 %
    and 97.5 % quantiles of t* fall inside single atoms (at least 1.2 points of probability
    from their edges), so the interval is exact; the p-value is P(|t*| >= t) up to resampling
    error. A resample of zeros only has t* = -inf: dropped without a RuntimeWarning."""
    n, m = 20, 2
    assert n >= BOOTSTRAP_MIN_N
    k = np.arange(1, n)
    weight = sp.binom.pmf(k, n, m / n)
    weight /= weight.sum()
    sd_k = np.array([np.std([1.0] * j + [0.0] * (n - j), ddof=1) for j in k])
    t_star = (k / n - m / n) / (sd_k / math.sqrt(n))
    cdf = np.cumsum(weight)
    t_low = t_star[np.searchsorted(cdf, 0.025)]
    t_high = t_star[np.searchsorted(cdf, 0.975)]
    data = [1.0] * m + [0.0] * (n - m)
    se = float(sp.sem(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = paired_bootstrap_test(data)
    assert result.se == pytest.approx(se)
    assert result.ci == pytest.approx((m / n - t_high * se, m / n - t_low * se), rel=1e-9)
    t_obs = (m / n) / se
    assert result.p_value == pytest.approx(weight[np.abs(t_star) >= t_obs].sum(), abs=0.015)


def test_holm_is_statsmodels_holm() -> None:
    ps = [0.01, 0.04, 0.03, 0.005, 0.2, 0.6, 0.4, 0.9]  # 3 * 0.4 > 1: capped
    assert holm(ps) == pytest.approx(list(multipletests(ps, method="holm")[1]))
    # nan is no member of the family: Holm over the other p-values, nan kept in place
    out = holm([0.01, math.nan, 0.04, 0.02])
    ref = multipletests([0.01, 0.04, 0.02], method="holm")[1]
    assert [out[0], out[2], out[3]] == pytest.approx(list(ref)) and math.isnan(out[1])
    assert holm([]) == []


def test_holm_of_a_partial_selection_counts_the_untested_members_as_p_one() -> None:
    ref = multipletests([0.01, 0.04, 1.0, 1.0, 1.0], method="holm")[1]
    assert holm([0.01, 0.04], family_size=5) == pytest.approx(list(ref[:2]))
    # a family size below the number tested changes nothing (nor does 0)
    assert holm([0.01, 0.04, 0.03], family_size=1) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.01, 0.04, 0.03], family_size=0) == pytest.approx([0.03, 0.06, 0.06])


def test_n_needed_counts_a_power_exactly_at_the_target() -> None:
    assert n_needed(lambda k: 0.8 * (k >= 37)) == 37  # 0.8 is the target exactly
    assert n_needed(lambda k: float(k >= 37), target=1.0) == 37
    assert n_needed(lambda k: float(k >= 2), target=1.0) == 2
    assert n_needed(lambda k: 0.8 * (k >= 1000), limit=1000) == 1000  # reached at the limit
    assert n_needed(lambda k: 0.8 * (k >= 1001), limit=1000) == 1000  # not reached: the limit


def test_paired_power_far_in_the_tail_is_one_not_nan() -> None:
    """n = 50, noncentrality 40: SciPy's noncentral t cdf is nan there (SciPy 1.17); the power
    is 1."""
    delta, sd, n = 0.4 * math.sqrt(2), 0.1, 50
    assert paired_power(delta, sd, n) == pytest.approx(1.0, abs=1e-12)
    assert paired_power(-delta, sd, n) == pytest.approx(1.0, abs=1e-12)


def _t_test_power_by_integration(nc: float, df: int, crit: float) -> float:
    """P(|T| > crit) for T = (Z + nc) / √(V/df), V ~ χ²_df: the mean over V of
    Φ(nc − crit √(V/df)) + Φ(−nc − crit √(V/df)), integrated numerically (no noncentral t)."""

    def at(v: float) -> float:
        s = crit * math.sqrt(v / df)
        return float((sp.norm.cdf(nc - s) + sp.norm.cdf(-nc - s)) * sp.chi2.pdf(v, df))

    return float(integrate.quad(at, 0, np.inf, limit=200, epsabs=1e-12, epsrel=1e-10)[0])


@pytest.mark.parametrize(("n", "nc"), [(2, 7.75), (2, 12.0), (3, 9.5)])
def test_paired_power_where_scipys_lower_tail_is_nan(n: int, nc: float) -> None:
    """Few pairs and a noncentrality past ~8: SciPy's noncentral t cdf is nan (SciPy 1.17) in
    the lower tail, but the power is far from 1 (n = 2: about 0.46 and 0.65)."""
    sd = 0.1
    delta = nc * sd / math.sqrt(n)
    ref = _t_test_power_by_integration(nc, n - 1, float(sp.t.ppf(0.975, n - 1)))
    assert paired_power(delta, sd, n) == pytest.approx(ref, rel=1e-8)


def test_mean_interval_with_a_standard_error_of_exactly_one() -> None:
    # [0, 2]: SD √2, SE √2/√2 = 1.0 exactly, t interval 1 ± t(0.975, 1) = 1 ± 12.706
    d = DescrStatsW(np.array([0.0, 2.0]))
    mean, se, ci = mean_interval([0.0, 2.0])
    assert (mean, se) == (1.0, pytest.approx(d.std_mean)) and d.std_mean == pytest.approx(1.0)
    assert ci == pytest.approx(d.tconfint_mean())


@pytest.mark.parametrize("value", [0.1, 1 / 3, 0.7, -0.2])
def test_identical_differences_get_the_exact_tests_p_whatever_their_rounding(value: float) -> None:
    # Six equal differences of 0.1 have a floating-point SD of ~1e-17, not 0; the t statistic
    # then gave p ~ 1e-80. Every such sample is the exact sign test's extreme: p = 2 / 2**n.
    sign_p = sp.binomtest(6, 6).pvalue
    assert paired_t_test([value] * 6).p_value == pytest.approx(sign_p, rel=1e-12)
    assert paired_t_test([value] * 6).ci == (pytest.approx(value), pytest.approx(value))
    assert paired_bootstrap_test([value] * 30).p_value == pytest.approx(2 * 0.5**30, rel=1e-12)
    # Two constant samples: the exact permutation p of the most extreme split, 2 / C(6, 3).
    assert welch_test([value] * 3, [value + 0.2] * 3).p_value == pytest.approx(0.1, rel=1e-12)
