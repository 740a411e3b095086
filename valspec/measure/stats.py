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
    se = float(x.std(ddof=1) / math.sqrt(x.size))
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
    if se == 0.0:  # every difference identical: no doubt about the sign
        return DifferenceTest(mean, 0.0, ci, 1.0 if mean == 0.0 else 0.0, "paired-t", int(d.size))
    p = float(2 * _st.t.sf(abs(mean / se), df=d.size - 1))
    return DifferenceTest(mean, se, ci, p, "paired-t", int(d.size))


EXACT_MCNEMAR_BELOW = 25
"""Discordant pairs under which McNemar's test uses the exact binomial distribution."""


def mcnemar_test(
    after: Sequence[int], before: Sequence[int], confidence: float = 0.95
) -> DifferenceTest:
    """McNemar's test for paired 0/1 outcomes (exact binomial when discordant pairs < 25).

    The estimate and interval are those of the mean paired difference (share after minus
    share before); the p-value is McNemar's.
    """
    a = np.asarray(after, dtype=int)
    b = np.asarray(before, dtype=int)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.size} vs {b.size}")
    base = paired_t_test(a - b, confidence)
    up = int(np.sum((a == 1) & (b == 0)))
    down = int(np.sum((a == 0) & (b == 1)))
    discordant = up + down
    if discordant == 0:
        return DifferenceTest(base.estimate, base.se, base.ci, 1.0, "mcnemar-exact", int(a.size))
    if discordant < EXACT_MCNEMAR_BELOW:
        p = float(_st.binomtest(up, discordant, 0.5).pvalue)
        return DifferenceTest(base.estimate, base.se, base.ci, p, "mcnemar-exact", int(a.size))
    chi2 = (abs(up - down) - 1) ** 2 / discordant
    p = float(_st.chi2.sf(chi2, df=1))
    return DifferenceTest(base.estimate, base.se, base.ci, p, "mcnemar", int(a.size))


def paired_bootstrap_test(
    diffs: Sequence[float], confidence: float = 0.95, *, resamples: int = 2000, seed: int = 0
) -> DifferenceTest:
    """Paired bootstrap: percentile interval of the mean difference, p by inverting it."""
    d = np.asarray(diffs, dtype=float)
    mean = float(d.mean()) if d.size else math.nan
    if d.size < 2:
        return DifferenceTest(mean, math.nan, (math.nan, math.nan), math.nan, "paired-bootstrap", 0)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(resamples, d.size))].mean(axis=1)
    alpha = 1 - confidence
    low, high = (float(q) for q in np.quantile(means, [alpha / 2, 1 - alpha / 2]))
    # two-sided p: twice the smaller share of resampled means on either side of zero
    below = (np.sum(means <= 0) + 1) / (resamples + 1)
    above = (np.sum(means >= 0) + 1) / (resamples + 1)
    p = float(min(1.0, 2 * min(below, above)))
    se = float(means.std(ddof=1))
    return DifferenceTest(mean, se, (low, high), p, "paired-bootstrap", int(d.size))


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
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = float(math.sqrt(va + vb))
    if se == 0.0:
        return DifferenceTest(est, 0.0, (est, est), 1.0 if est == 0.0 else 0.0, "welch", n)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    t = float(_st.t.ppf(0.5 + confidence / 2, df=df))
    p = float(2 * _st.t.sf(abs(est / se), df=df))
    return DifferenceTest(est, se, (est - t * se, est + t * se), p, "welch", n)


def tost(estimate: float, se: float, df: float, margin: float) -> float:
    """Two one-sided tests: p-value for "the true difference lies within ±margin"."""
    if math.isnan(estimate) or math.isnan(se):
        return math.nan
    if se == 0.0:
        return 0.0 if abs(estimate) < margin else 1.0
    p_low = float(_st.t.sf((estimate + margin) / se, df=df))  # H0: diff <= -margin
    p_high = float(_st.t.cdf((estimate - margin) / se, df=df))  # H0: diff >= +margin
    return max(p_low, p_high)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (nan stays nan and is not counted in the family)."""
    indexed = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    indexed.sort()
    m = len(indexed)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


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
    power = float(_st.nct.sf(crit, df, nc) + _st.nct.cdf(-crit, df, nc))
    if math.isnan(power):  # SciPy's noncentral t gives nan far in the tail: power is ~1 there
        power = float(_st.norm.cdf(nc - crit) + _st.norm.cdf(-nc - crit))
    return power


def mcnemar_power(delta: float, discordant: float, n: int, alpha: float = 0.05) -> float:
    """Power of McNemar's test (Connor 1987) for a shift ``delta`` with discordant share."""
    pd = max(discordant, abs(delta))
    if n < 1 or pd <= 0.0:
        return 0.0
    z_a = float(_st.norm.ppf(1 - alpha / 2))
    spread = math.sqrt(max(pd - delta * delta, 1e-12))
    return float(_st.norm.cdf((abs(delta) * math.sqrt(n) - z_a * math.sqrt(pd)) / spread))


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
