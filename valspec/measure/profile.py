"""A model's value profile as a whole: centred scores, higher-order groups and spread.

PVQ-style scoring centres each value on the model's own mean over values, so a model that
says yes to everything and one that says yes to little can be compared by what they
*prefer*. Values are scored on disjoint item sets, so their estimates are independent and the
intervals below combine their standard errors accordingly. The spread (SD across values,
ddof = 1) is what the Value-Spectrum paper reports per model; its interval is a bootstrap over
items within each value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from valspec.domain.values import CIRCLE_ORDER, GROUPS, Value
from valspec.measure.stats import Z95, mean_interval


@dataclass(frozen=True)
class Estimate:
    """A score in points with its standard error and 95 % interval."""

    value: float
    se: float
    ci: tuple[float, float]


def _normal(value: float, se: float) -> Estimate:
    if math.isnan(se):
        return Estimate(value, se, (math.nan, math.nan))
    return Estimate(value, se, (value - Z95 * se, value + Z95 * se))


def value_means(item_scores: Mapping[Value, Sequence[float]]) -> dict[Value, Estimate]:
    """Each value's mean outcome in points with a t interval (items as clusters)."""
    out = {}
    for value in CIRCLE_ORDER:
        if value in item_scores and len(item_scores[value]) > 0:
            mean, se, ci = mean_interval(list(item_scores[value]))
            out[value] = Estimate(100 * mean, 100 * se, (100 * ci[0], 100 * ci[1]))
    return out


def centred_profile(means: Mapping[Value, Estimate]) -> dict[Value, Estimate]:
    """Each value minus the mean over values, with the SE of that contrast (independent values)."""
    k = len(means)
    if k < 2:
        return {}
    grand = sum(e.value for e in means.values()) / k
    out = {}
    for value, est in means.items():
        var = (1 - 1 / k) ** 2 * _sq(est.se)
        var += sum(_sq(e.se) for v, e in means.items() if v != value) / k**2
        out[value] = _normal(est.value - grand, math.sqrt(var))
    return out


def group_scores(means: Mapping[Value, Estimate], *, centred: bool = True) -> dict[str, Estimate]:
    """The four higher-order groups: mean of their values' (centred) scores, with intervals."""
    source = centred_profile(means) if centred else dict(means)
    out = {}
    for group in GROUPS:
        members = [source[v] for v in group.values if v in source]
        if not members:
            continue
        value = sum(e.value for e in members) / len(members)
        if centred:  # centred scores share the grand mean: use the exact contrast variance
            weights = _group_weights(group.values, list(means))
            var = sum(w * w * _sq(means[v].se) for v, w in weights.items())
        else:
            var = sum(_sq(e.se) for e in members) / len(members) ** 2
        out[group.name] = _normal(value, math.sqrt(var))
    return out


def _group_weights(group: Sequence[Value], present: Sequence[Value]) -> dict[Value, float]:
    inside = [v for v in group if v in present]
    k = len(present)
    return {v: (1 / len(inside) if v in inside else 0.0) - 1 / k for v in present}


def spread(
    item_scores: Mapping[Value, Sequence[float]], *, resamples: int = 2000, seed: int = 0
) -> Estimate:
    """SD across values of the value means, bias-corrected, with a *descriptive* interval.

    The observed variance across values adds each mean's own sampling variance to the true
    spread, so the estimate is sqrt(max(0, s² - mean(se²))) (s: SD of the means, ddof = 1). The
    interval is the bootstrap over items within values of the uncorrected SD: it describes
    these scores' spread and is not a calibrated interval for the model's (docs/statistics.md).
    """
    arrays = [np.asarray(item_scores[v], dtype=float) for v in CIRCLE_ORDER if v in item_scores]
    arrays = [a for a in arrays if a.size]
    if len(arrays) < 2:
        return Estimate(math.nan, math.nan, (math.nan, math.nan))
    observed = float(np.var([100 * a.mean() for a in arrays], ddof=1))
    noise = float(
        np.mean([(100 * a.std(ddof=1)) ** 2 / a.size if a.size > 1 else 0.0 for a in arrays])
    )
    point = math.sqrt(max(0.0, observed - noise))
    rng = np.random.default_rng(seed)
    boot = np.column_stack([100 * _resampled_means(a, resamples, rng) for a in arrays])
    sds = boot.std(axis=1, ddof=1)
    low, high = (float(q) for q in np.quantile(sds, [0.025, 0.975]))
    return Estimate(point, float(sds.std(ddof=1)), (low, high))


RESAMPLE_BLOCK = 1 << 18
"""Draws per block of bootstrap resamples: a block's indices and values stay in cache."""


def _resampled_means(a: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``a[rng.integers(0, a.size, size=(resamples, a.size))].mean(axis=1)``, in blocks of rows.

    The generator yields the same draws in the same order whether asked for all rows at once
    or block by block, and each row's mean is reduced on its own, so the result is identical
    bit for bit; blocks avoid materialising two arrays of ``resamples * a.size`` (80 MB each
    for 5,000 items), which made the bootstrap memory-bound.
    """
    rows = max(1, RESAMPLE_BLOCK // a.size)
    means = np.empty(resamples)
    for start in range(0, resamples, rows):
        block = min(rows, resamples - start)
        draws = rng.integers(0, a.size, size=(block, a.size))
        means[start : start + block] = a[draws].mean(axis=1)
    return means


def profile_summary(item_scores: Mapping[Value, Sequence[float]]) -> dict[str, Any]:
    """Centred profile, group scores and spread with 95 % intervals, rounded, JSON-ready."""

    def est(e: Estimate) -> dict[str, Any]:
        return {"score": _round(e.value), "ci95": [_round(e.ci[0]), _round(e.ci[1])]}

    means = value_means(item_scores)
    spread_est = spread(item_scores)
    return {
        "centred": {v.value: est(e) for v, e in centred_profile(means).items()},
        "groups": {name: est(e) for name, e in group_scores(means).items()},
        "spread": {
            "sd": _round(spread_est.value),
            "ci95": [_round(spread_est.ci[0]), _round(spread_est.ci[1])],
        },
    }


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 1)


def _sq(x: float) -> float:
    return 0.0 if math.isnan(x) else x * x
