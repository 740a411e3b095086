"""Interval estimates for scores and paired differences (SciPy underneath, not hand-rolled)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

Z95 = float(_st.norm.ppf(0.975))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion, as fractions; (nan, nan) when n = 0."""
    if n == 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, n], got {successes} of {n}")
    ci = _st.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


def paired_mean_difference(after: Sequence[float], before: Sequence[float]) -> tuple[float, float]:
    """Mean of ``after - before`` over paired items and its standard error (nan if n < 2)."""
    if len(after) != len(before):
        raise ValueError(f"paired samples differ in length: {len(after)} vs {len(before)}")
    if len(after) == 0:
        return (math.nan, math.nan)
    diffs = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    mean = float(diffs.mean())
    if len(diffs) < 2:
        return (mean, math.nan)
    return (mean, float(diffs.std(ddof=1) / math.sqrt(len(diffs))))


def normal_interval(estimate: float, se: float, confidence: float = 0.95) -> tuple[float, float]:
    """estimate ± z·se; (nan, nan) when the standard error is unknown."""
    if math.isnan(se):
        return (math.nan, math.nan)
    z = float(_st.norm.ppf(0.5 + confidence / 2))
    return (estimate - z * se, estimate + z * se)


# -- means with intervals ------------------------------------------------------------------


def _sd(x: np.ndarray) -> float:
    """Sample SD (ddof=1), exactly 0 when every value is equal: floating error gives ~1e-17
    for, say, six differences of 0.1, which would turn a constant difference into p ≈ 1e-80
    where the exact tests the ``se == 0`` branches use give 2 / 2**6."""
    return 0.0 if x.max() == x.min() else float(x.std(ddof=1))


def mean_interval(
    values: Sequence[float], confidence: float = 0.95
) -> tuple[float, float, tuple[float, float]]:
    """Mean, its standard error and a Student-t interval (nan where n is too small).

    Given per-item means (one number per item, however many samples each item had), this is
    the interval with standard errors clustered by item.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (math.nan, math.nan, (math.nan, math.nan))
    mean = float(x.mean())
    if x.size < 2:
        return (mean, math.nan, (math.nan, math.nan))
    se = _sd(x) / math.sqrt(x.size)
    if se == 0.0:
        return (mean, 0.0, (mean, mean))
    t = float(_st.t.ppf(0.5 + confidence / 2, df=x.size - 1))
    return (mean, se, (mean - t * se, mean + t * se))


@dataclass(frozen=True)
class KeyingScores:
    """Like- and reverse-keyed answers combined, in points, with 95 % intervals.

    ``balanced`` = ½[P(yes|like) + 1 − P(yes|dislike)] (acquiescence cancels out);
    ``acquiescence`` = P(yes|like) + P(yes|dislike) − 1 (0 for a consistent answerer, > 0 for
    one that says yes to both questions). Paired by item; ``se`` are standard errors in points.
    """

    balanced: float
    balanced_ci: tuple[float, float]
    balanced_se: float
    acquiescence: float
    acquiescence_ci: tuple[float, float]
    acquiescence_se: float
    n: int


def keying_scores(like: Mapping[str, float], dislike: Mapping[str, float]) -> KeyingScores:
    """Balanced score and acquiescence index over the items answered under both keyings
    (per-item outcomes in [0, 1]: P(yes), a share of yes, or a 1/0 verdict)."""
    common = sorted(set(like) & set(dislike))
    a = np.array([like[i] for i in common], dtype=float)
    b = np.array([dislike[i] for i in common], dtype=float)
    bal, bal_se, (bal_lo, bal_hi) = mean_interval((0.5 * (a + 1.0 - b)).tolist())
    acq, acq_se, (acq_lo, acq_hi) = mean_interval((a + b - 1.0).tolist())
    return KeyingScores(
        balanced=100.0 * bal,
        balanced_ci=(100.0 * bal_lo, 100.0 * bal_hi),
        balanced_se=100.0 * bal_se,
        acquiescence=100.0 * acq,
        acquiescence_ci=(100.0 * acq_lo, 100.0 * acq_hi),
        acquiescence_se=100.0 * acq_se,
        n=len(common),
    )


def pooled_strata(
    estimates: Sequence[float], ses: Sequence[float], ns: Sequence[int]
) -> tuple[float, tuple[float, float]]:
    """An item-weighted mean over independent strata (e.g. values) with a normal 95 % interval
    (SE = sqrt(Σ w² se²), w = n / N): how the per-value keying scores pool into an overall."""
    n = np.asarray(ns, dtype=float)
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(ses, dtype=float)
    if n.sum() <= 0:
        return (math.nan, (math.nan, math.nan))
    w = n / n.sum()
    mean = float(np.sum(w * est))
    return (mean, normal_interval(mean, float(math.sqrt(np.sum((w * se) ** 2)))))


# -- paired and independent tests ------------------------------------------------------------


@dataclass(frozen=True)
class DifferenceTest:
    """A two-sided test of a difference: estimate, standard error, interval, p and the test."""

    estimate: float
    se: float
    ci: tuple[float, float]
    p_value: float
    test: str
    n: int


def paired_t_test(diffs: Sequence[float], confidence: float = 0.95) -> DifferenceTest:
    """Mean paired difference with its SE (Miller 2024), t interval and two-sided p."""
    d = np.asarray(diffs, dtype=float)
    mean, se, ci = mean_interval(d.tolist(), confidence)
    if d.size < 2:
        return DifferenceTest(mean, se, ci, math.nan, "paired-t", int(d.size))
    if se == 0.0:  # every difference identical: a sign test, never p = 0 from se = 0
        return DifferenceTest(mean, 0.0, ci, sign_test_p(mean, int(d.size)), "paired-t", d.size)
    p = float(2 * _st.t.sf(abs(mean / se), df=d.size - 1))
    return DifferenceTest(mean, se, ci, p, "paired-t", int(d.size))


def sign_test_p(mean: float, n: int) -> float:
    """Two-sided exact sign test when all ``n`` differences equal ``mean`` (1 when it is 0)."""
    return 1.0 if mean == 0.0 or n == 0 else float(min(1.0, 2.0 * 0.5**n))


def mcnemar_test(
    after: Sequence[int], before: Sequence[int], confidence: float = 0.95
) -> DifferenceTest:
    """Exact McNemar test for paired 0/1 outcomes, with an interval that agrees with it.

    Given d discordant pairs, ``up`` of them 0 -> 1 is Binomial(d, q) and Δ = (2q - 1) d / n.
    The p-value is the central (twice the smaller tail) exact binomial test of q = 1/2 and the
    interval is Clopper-Pearson's for q mapped to Δ: both invert the same two one-sided tests,
    so the interval excludes 0 exactly when p < 1 - confidence.
    """
    a = np.asarray(after, dtype=int)
    b = np.asarray(before, dtype=int)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.size} vs {b.size}")
    n = int(a.size)
    up = int(np.sum((a == 1) & (b == 0)))
    down = int(np.sum((a == 0) & (b == 1)))
    d = up + down
    estimate = (up - down) / n if n else math.nan
    se = math.sqrt(max(d / n - estimate**2, 0.0) / n) if n else math.nan
    if d == 0:
        return DifferenceTest(estimate, se, (0.0, 0.0), 1.0, "mcnemar-exact", n)
    tails = float(_st.binom.cdf(up, d, 0.5)), float(_st.binom.sf(up - 1, d, 0.5))
    p = min(1.0, 2.0 * min(tails))
    ci = _st.binomtest(up, d).proportion_ci(confidence_level=confidence, method="exact")
    low, high = ((2.0 * q - 1.0) * d / n for q in (ci.low, ci.high))
    return DifferenceTest(estimate, se, (float(low), float(high)), p, "mcnemar-exact", n)


BOOTSTRAP_MIN_N = 20
"""Fewest paired items the bootstrap-t is used on; below, the paired t test (docs/statistics.md
has its measured size at each n)."""


def paired_bootstrap_test(
    diffs: Sequence[float], confidence: float = 0.95, *, resamples: int = 2000, seed: int = 0
) -> DifferenceTest:
    """Paired bootstrap-t (studentized): interval and two-sided p from resampled t statistics.

    Studentizing keeps the test's size near nominal at small n where the percentile bootstrap
    rejects too often; below ``BOOTSTRAP_MIN_N`` items the paired t test is used instead.
    """
    d = np.asarray(diffs, dtype=float)
    if d.size < BOOTSTRAP_MIN_N:
        return paired_t_test(d.tolist(), confidence)
    mean = float(d.mean())
    se = _sd(d) / math.sqrt(d.size)
    if se == 0.0:
        return paired_t_test(d.tolist(), confidence)
    rng = np.random.default_rng(seed)
    draws = d[rng.integers(0, d.size, size=(resamples, d.size))]
    boot_se = draws.std(axis=1, ddof=1) / math.sqrt(d.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = (draws.mean(axis=1) - mean) / boot_se
    t_star = t_star[np.isfinite(t_star)]
    alpha = 1 - confidence
    q_low, q_high = (float(q) for q in np.quantile(t_star, [alpha / 2, 1 - alpha / 2]))
    t_obs = abs(mean / se)
    p = float(min(1.0, (np.sum(np.abs(t_star) >= t_obs) + 1) / (t_star.size + 1)))
    return DifferenceTest(
        mean, se, (mean - q_high * se, mean - q_low * se), p, "paired-bootstrap-t", int(d.size)
    )


def welch_test(
    current: Sequence[float], baseline: Sequence[float], confidence: float = 0.95
) -> DifferenceTest:
    """Independent-sample difference of means (Welch), for item sets that do not pair."""
    a = np.asarray(current, dtype=float)
    b = np.asarray(baseline, dtype=float)
    n = int(min(a.size, b.size))
    est = float(a.mean() - b.mean()) if a.size and b.size else math.nan
    if a.size < 2 or b.size < 2:
        return DifferenceTest(est, math.nan, (math.nan, math.nan), math.nan, "welch", n)
    va, vb = _sd(a) ** 2 / a.size, _sd(b) ** 2 / b.size
    se = float(math.sqrt(va + vb))
    if se == 0.0:  # two constant samples: the exact permutation p, never 0
        p0 = 1.0 if est == 0.0 else min(1.0, 2.0 / math.comb(a.size + b.size, a.size))
        return DifferenceTest(est, 0.0, (est, est), p0, "welch", n)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    t = float(_st.t.ppf(0.5 + confidence / 2, df=df))
    p = float(2 * _st.t.sf(abs(est / se), df=df))
    return DifferenceTest(est, se, (est - t * se, est + t * se), p, "welch", n)


def tost(estimate: float, se: float, df: float, margin: float) -> float:
    """Two one-sided tests: p-value for "the true difference lies within ±margin"."""
    if math.isnan(estimate) or math.isnan(se) or se <= 0.0:
        return math.nan  # a zero standard error shows nothing (the gate floors it first)
    p_low = float(_st.t.sf((estimate + margin) / se, df=df))  # H0: diff <= -margin
    p_high = float(_st.t.cdf((estimate - margin) / se, df=df))  # H0: diff >= +margin
    return max(p_low, p_high)


def holm(p_values: Sequence[float], family_size: int | None = None) -> list[float]:
    """Holm step-down adjusted p-values (nan stays nan and is not counted in the family).

    ``family_size`` is the size of the whole family when only part of it was tested (a partial
    selection): the untested members count as p = 1, so they come last and change nothing but
    the multipliers. Holm is monotone in the p-values, so this never rejects more than Holm on
    the whole family would.
    """
    indexed = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    indexed.sort()
    m = max(len(indexed), family_size or 0)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def one_sided_below_p(estimate: float, se: float, minimum: float, floor: float = 0.0) -> float:
    """p-value of H0 "the true value is at least ``minimum``" (normal): small when the whole
    interval lies below the minimum. The SE is floored at ``floor`` (the statistic's
    resolution), so a zero SE never gives p = 0; nan when the estimate or its SE is unknown."""
    if math.isnan(estimate) or math.isnan(se):
        return math.nan
    se = max(se, floor)
    if se <= 0.0:
        return math.nan  # nothing to judge by
    return float(_st.norm.cdf((estimate - minimum) / se))


def rate_above_p(count: int, n: int, maximum: float) -> float:
    """Exact one-sided binomial p of H0 "the rate is at most ``maximum``" (nan when n = 0)."""
    if n <= 0:
        return math.nan
    if count <= 0:
        return 1.0
    return float(_st.binom.sf(count - 1, n, maximum))


# -- power and sample size -------------------------------------------------------------------


def paired_power(delta: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """Power of a two-sided paired t test to detect a mean difference ``delta`` (noncentral t)."""
    if n < 2:
        return 0.0
    if sd <= 0.0:
        return 1.0
    df = n - 1
    crit = float(_st.t.ppf(1 - alpha / 2, df))
    nc = abs(delta) * math.sqrt(n) / sd
    upper = float(_st.nct.sf(crit, df, nc))
    # P(T < -crit) <= P(Z + nc < 0) = Φ(-nc): SciPy gives nan there once nc is past ~8, where
    # that tail is below 1e-14; the upper tail is not ~1 there when df is small (n = 2, 3)
    lower = float(_st.nct.cdf(-crit, df, nc))
    return upper + (0.0 if math.isnan(lower) else lower)


EXACT_POWER_UP_TO = 2000
"""Largest n whose McNemar power is summed exactly; above it Connor's normal formula."""


def mcnemar_power(delta: float, discordant: float, n: int, alpha: float = 0.05) -> float:
    """Exact power of :func:`mcnemar_test` for a shift ``delta`` with discordant share.

    The number of discordant pairs is Binomial(n, pd) and, given d of them, the 0 -> 1 count is
    Binomial(d, (pd + delta) / 2pd); the power sums the chance of landing in the central
    exact test's rejection region over the d that matter (± 8 SD). Connor's (1987) normal
    formula, used before, is slightly optimistic at small n.
    """
    pd = min(1.0, max(discordant, abs(delta)))
    if n < 1 or pd <= 0.0:
        return 0.0
    if n > EXACT_POWER_UP_TO:  # the normal approximation is exact enough here, and fast
        z_a = float(_st.norm.ppf(1 - alpha / 2))
        spread = math.sqrt(max(pd - delta * delta, 1e-12))
        return float(_st.norm.cdf((abs(delta) * math.sqrt(n) - z_a * math.sqrt(pd)) / spread))
    q = min(1.0, max(0.0, (pd + delta) / (2.0 * pd)))
    mean, sd = n * pd, math.sqrt(n * pd * (1.0 - pd))
    lo, hi = max(1, int(mean - 8 * sd - 1)), min(n, int(mean + 8 * sd + 2))
    d = np.arange(lo, hi + 1)
    weight = _st.binom.pmf(d, n, pd)
    k_lo = _st.binom.ppf(alpha / 2, d, 0.5)
    k_lo = np.where(_st.binom.cdf(k_lo, d, 0.5) > alpha / 2, k_lo - 1, k_lo)
    k_hi = d - k_lo  # symmetric under q = 1/2
    reject = _st.binom.cdf(k_lo, d, q) + _st.binom.sf(k_hi - 1, d, q)
    reject = np.where(k_lo >= 0, reject, 0.0)
    return float(min(1.0, np.sum(weight * reject)))


def n_needed(power_at: Callable[[int], float], target: float = 0.8, limit: int = 10**7) -> int:
    """The smallest n whose power reaches ``target`` (power must grow with n)."""
    if power_at(limit) < target:
        return limit
    low, high = 1, 2
    while power_at(high) < target:
        low, high = high, high * 2
    while low < high:
        mid = (low + high) // 2
        if power_at(mid) >= target:
            high = mid
        else:
            low = mid + 1
    return high
