"""The drift gate: a family of (name, current, baseline) comparisons in, per-case verdicts out.

A case fails when its Holm-adjusted p-value across the family is below alpha *and* the 95 %
interval of its difference reaches the tolerance (a drift of at least the tolerance is
plausible), so a real move of the tolerance is caught with the test's power while a trivial
but significant change passes. Comparisons are paired by item whenever the two runs share
items (paired t on per-item scores, McNemar for single yes/no verdicts, paired bootstrap on
request); an independent (Welch) comparison is used only when they share fewer than two items.
A case that could not have detected its tolerance with the wanted power is *inconclusive*, with
the number of items it would need, rather than a pass. With ``equivalence`` each case instead
runs TOST ("no drift beyond tolerance") and fails unless equivalence is shown.

Outcomes are per-item numbers in [0, 1]: P(yes), a share of yes over samples, or 1/0 verdicts.
Estimates, intervals and tolerances are reported in points (0-100). See docs/statistics.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Literal

import numpy as np

from valspec.domain.numbers import interval, p_value, points, signed
from valspec.measure.stats import (
    DifferenceTest,
    holm,
    mcnemar_power,
    mcnemar_test,
    n_needed,
    paired_bootstrap_test,
    paired_power,
    paired_t_test,
    tost,
    welch_test,
)

DEFAULT_ALPHA = 0.05
DEFAULT_POWER = 0.8
MIN_PLANNING_SD = 0.05
"""Smallest per-item SD of differences assumed when planning power for graded outcomes (P(yes),
shares): a changed model moves items unevenly, so an observed SD of zero (an identical rerun)
must not claim unlimited power."""

MAX_FLIPS = 50
"""Items kept per verdict as the ones that moved most (largest change first)."""

Status = Literal["pass", "drift", "inconclusive", "equivalent", "not-equivalent"]


@dataclass(frozen=True)
class GateCase:
    """One comparison: per-item outcomes now and in the baseline, and the tolerance in points."""

    name: str
    current: Mapping[str, float]
    baseline: Mapping[str, float]
    tolerance: float
    binary: bool = False  # outcomes are single 1/0 verdicts: McNemar applies


@dataclass(frozen=True)
class GateOptions:
    """How a family is tested: alpha, wanted power, TOST, bootstrap."""

    alpha: float = DEFAULT_ALPHA
    power: float = DEFAULT_POWER
    equivalence: bool = False
    bootstrap: bool = False
    seed: int = 0
    min_planning_sd: float = MIN_PLANNING_SD
    strict: bool = False  # an inconclusive case fails (teams that want every case decided)

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha}")
        if not 0 < self.power < 1:
            raise ValueError(f"power must be between 0 and 1, got {self.power}")


@dataclass(frozen=True)
class GateVerdict:
    """A case's verdict; numbers in points, p-values adjusted across the family (Holm)."""

    name: str
    status: Status
    baseline: float
    current: float
    delta: float
    ci: tuple[float, float]
    p_value: float
    p_adjusted: float
    test: str
    n: int
    tolerance: float
    power: float
    n_needed: int
    flips: tuple[tuple[str, float, float], ...] = field(default_factory=tuple)  # id, base, now

    @property
    def failed(self) -> bool:
        """Significant drift whose interval reaches the tolerance, or equivalence not shown."""
        return self.status in ("drift", "not-equivalent")

    @property
    def paired(self) -> bool:
        """Whether the comparison paired items (else an independent-sample test was used)."""
        return self.test != "welch"

    def summary(self) -> str:
        """One line: baseline -> now, Δ with its interval, adjusted p, the test and n."""
        how = f"paired on {self.n} items" if self.paired else f"independent samples, n={self.n}"
        return (
            f"baseline {points(self.baseline)} -> now {points(self.current)} ({how}); "
            f"Δ {signed(self.delta)} points, 95 % CI {interval(self.ci)}, "
            f"adjusted p {p_value(self.p_adjusted)} ({self.test}); "
            f"tolerance ±{self.tolerance:g} points"
        )


@dataclass(frozen=True)
class _Analysis:
    case: GateCase
    result: DifferenceTest
    baseline: float
    current: float
    df: float
    planning_sd: float  # per-item SD of differences (or discordant share when binary)
    flips: tuple[tuple[str, float, float], ...]


@dataclass(frozen=True)
class Change:
    """A case's numbers in points: baseline and current means on the compared items, Δ with
    its 95 % interval, and n. The verdict and ``valspec diff`` both take them from here."""

    baseline: float
    current: float
    delta: float
    ci: tuple[float, float]
    n: int
    test: str


def _change(analysis: _Analysis) -> Change:
    low, high = analysis.result.ci
    return Change(
        baseline=100.0 * analysis.baseline,
        current=100.0 * analysis.current,
        delta=100.0 * analysis.result.estimate,
        ci=(100.0 * low, 100.0 * high),
        n=analysis.result.n,
        test=analysis.result.test,
    )


def change_of(case: GateCase, options: GateOptions | None = None) -> Change:
    """The numbers :func:`evaluate_family` reports for ``case`` (no power, no family)."""
    return _change(_analyse(case, options or GateOptions()))


def _analyse(case: GateCase, options: GateOptions) -> _Analysis:
    common = sorted(set(case.current).intersection(case.baseline))
    if len(common) >= 2:
        pick = itemgetter(*common)  # a tuple of the values, in ``common`` order
        now = np.array(pick(case.current), dtype=float)
        base = np.array(pick(case.baseline), dtype=float)
        diffs = now - base
        if options.bootstrap:
            result = paired_bootstrap_test(diffs.tolist(), seed=options.seed)
        elif case.binary:
            result = mcnemar_test(now.astype(int).tolist(), base.astype(int).tolist())
        else:
            result = paired_t_test(diffs.tolist())
        if case.binary:
            spread = float(np.mean(diffs != 0))
        else:
            spread = max(float(diffs.std(ddof=1)), options.min_planning_sd)
        flips = _flips(case, common, diffs)
        df = float(len(common) - 1)
        return _Analysis(case, result, float(base.mean()), float(now.mean()), df, spread, flips)
    now = np.array(list(case.current.values()), dtype=float)
    base = np.array(list(case.baseline.values()), dtype=float)
    result = welch_test(now.tolist(), base.tolist())
    floor = 0.25 if case.binary else options.min_planning_sd**2
    var_now = float(now.var(ddof=1)) if now.size > 1 else floor
    var_base = float(base.var(ddof=1)) if base.size > 1 else floor
    spread = math.sqrt(max(var_now, floor) + max(var_base, floor))
    df = float(max(min(now.size, base.size) - 1, 1))
    cur = float(now.mean()) if now.size else math.nan
    bas = float(base.mean()) if base.size else math.nan
    return _Analysis(case, result, bas, cur, df, spread, ())


def _flips(
    case: GateCase, common: list[str], diffs: np.ndarray
) -> tuple[tuple[str, float, float], ...]:
    """The items that moved most (largest change first, then by id), up to MAX_FLIPS of them.

    ``common`` is sorted by id, so a stable sort of the changes, largest first, is the order
    ``sorted(common, key=lambda i: (-abs(change of i), i))`` gives, without a Python key per
    item. With NaN changes (no order) that sort itself decides, as it always did.
    """
    size = np.abs(diffs)
    if np.isnan(size).any():
        order = sorted(common, key=lambda i: (-abs(case.current[i] - case.baseline[i]), i))
        order = order[:MAX_FLIPS]
    else:
        order = [common[k] for k in np.argsort(-size, kind="stable")[:MAX_FLIPS]]
    threshold = 0.5 if case.binary else 0.0005
    return tuple(
        (i, case.baseline[i], case.current[i])
        for i in order
        if abs(case.current[i] - case.baseline[i]) >= threshold
    )


def _power(analysis: _Analysis, alpha: float, target: float) -> tuple[float, int]:
    """Power at the case's n and the n that reaches ``target``, both for |Δ| = tolerance.

    The planning spread is rounded to 3 decimals (0.1 point), so repeated families (one per
    run, thousands in a validation) reuse the search.
    """
    binary = analysis.case.binary and analysis.result.test != "welch"
    spread = round(analysis.planning_sd, 3)
    return _planned(
        binary, analysis.case.tolerance / 100.0, spread, analysis.result.n, alpha, target
    )


@lru_cache(maxsize=4096)
def _planned(
    binary: bool, delta: float, spread: float, n: int, alpha: float, target: float
) -> tuple[float, int]:
    def at(k: int) -> float:
        if binary:
            return mcnemar_power(delta, spread, k, alpha)
        return paired_power(delta, spread, k, alpha)

    return at(n), n_needed(at, target)


def evaluate_family(
    cases: Sequence[GateCase],
    options: GateOptions | None = None,
    *,
    alpha: float | None = None,
    family_size: int | None = None,
) -> dict[str, GateVerdict]:
    """Test every case, adjust the p-values across the family (Holm) and decide each case.

    ``alpha`` is this family's share of the suite's significance level (default: the options'
    alpha) and ``family_size`` the size of the family in the full suite: cases that were not
    selected count as not significant (:func:`valspec.measure.stats.holm`), so a partial
    selection is never less conservative than the full run.
    """
    options = options or GateOptions()
    level = options.alpha if alpha is None else alpha
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError("case names in a family must be unique")
    analyses = [_analyse(c, options) for c in cases]
    if options.equivalence:
        raw = [
            tost(a.result.estimate, _floored_se(a, options), a.df, a.case.tolerance / 100.0)
            for a in analyses
        ]
    else:
        raw = [a.result.p_value for a in analyses]
    adjusted = holm(raw, family_size)
    family = max(1, family_size or 0, sum(not math.isnan(p) for p in raw))
    verdicts: dict[str, GateVerdict] = {}
    for analysis, p, p_adj in zip(analyses, raw, adjusted, strict=True):
        power, needed = _power(analysis, level / family, options.power)
        numbers = _change(analysis)
        tolerance = analysis.case.tolerance
        significant = not math.isnan(p_adj) and p_adj < level
        status: Status
        if options.equivalence:
            status = "equivalent" if significant else "not-equivalent"
        elif significant and reaches_tolerance(numbers.delta, numbers.ci, tolerance):
            status = "drift"
        elif power < options.power or math.isnan(p_adj):
            status = "inconclusive"
        else:
            status = "pass"
        verdicts[analysis.case.name] = GateVerdict(
            name=analysis.case.name,
            status=status,
            baseline=numbers.baseline,
            current=numbers.current,
            delta=numbers.delta,
            ci=numbers.ci,
            p_value=p,
            p_adjusted=p_adj,
            test=numbers.test + ("+tost" if options.equivalence else ""),
            n=numbers.n,
            tolerance=tolerance,
            power=power,
            n_needed=needed,
            flips=analysis.flips,
        )
    return verdicts


def _floored_se(analysis: _Analysis, options: GateOptions) -> float:
    """The difference's SE, never below the planning SD's: an identical rerun of three items
    (SE 0) must not prove equivalence."""
    n = max(analysis.result.n, 1)
    floor = (0.5 if analysis.case.binary else options.min_planning_sd) / math.sqrt(n)
    se = analysis.result.se
    return floor if math.isnan(se) else max(se, floor)


def reaches_tolerance(delta: float, ci: tuple[float, float], tolerance: float) -> bool:
    """Whether the interval of Δ reaches ``tolerance`` on the side of the estimate (points).

    The gate's second condition: a drift of at least the tolerance must be plausible. Using the
    interval's far end rather than the point estimate keeps a true move *of* the tolerance from
    passing half the time (docs/statistics.md, "The drift rule").
    """
    if math.isnan(delta):
        return False
    reach = ci[1] if delta >= 0 else -ci[0]
    return not math.isnan(reach) and reach >= tolerance


def drift_headline(delta: float, tolerance: float) -> str:
    """How a failing case moved, in words that match the rule: beyond the tolerance when the
    estimate is, else a real change whose interval reaches it (the gate fails both)."""
    if abs(delta) >= tolerance:
        return "drifted beyond tolerance"
    return f"drifted (a real change whose 95 % CI of Δ reaches the ±{tolerance:g}-point tolerance)"


def inconclusive_message(verdict: GateVerdict, *, power: float = DEFAULT_POWER) -> str:
    """Why a case is neither a pass nor a failure, and the n that would decide it."""
    return (
        f"{verdict.name}: inconclusive: {verdict.n} items give {100 * verdict.power:.0f} % power "
        f"to detect a {verdict.tolerance:g}-point drift ({verdict.test}); about "
        f"{verdict.n_needed} items would give {100 * power:.0f} %. Observed: {verdict.summary()}"
    )


def verdict_table(verdicts: Sequence[GateVerdict]) -> str:
    """The family as a table: value, baseline, new, Δ, 95 % CI of Δ, adjusted p, verdict."""
    headers = ["case", "baseline", "new", "Δ", "95% CI of Δ", "adj. p", "test", "verdict"]
    rows = [
        [
            v.name,
            points(v.baseline),
            points(v.current),
            signed(v.delta),
            interval(v.ci),
            p_value(v.p_adjusted),
            v.test,
            v.status,
        ]
        for v in verdicts
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = []
    for cells in [headers, *rows]:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def flips_lines(verdict: GateVerdict, *, binary: bool, limit: int = 8) -> list[str]:
    """The items that moved most, as readable lines."""
    if not verdict.flips:
        return []
    if binary:
        down = [i for i, b, c in verdict.flips if b > c]
        up = [i for i, b, c in verdict.flips if c > b]
        lines = []
        if down:
            lines.append(f"flipped yes -> no ({len(down)}): {', '.join(sorted(down)[:limit])}")
        if up:
            lines.append(f"flipped no -> yes ({len(up)}): {', '.join(sorted(up)[:limit])}")
        return lines
    moved = ", ".join(f"{i} {100 * b:.0f}->{100 * c:.0f}" for i, b, c in verdict.flips[:limit])
    return [f"items that moved most (P(yes) %): {moved}"]
