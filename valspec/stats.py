"""Interval estimates for scores and paired differences (SciPy underneath, not hand-rolled)."""

from __future__ import annotations

import math
from collections.abc import Sequence

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
    if not after:
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
