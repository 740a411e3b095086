"""Persona metrics beyond the alignment shift: target rank, circumplex consistency, opposite drop.

Every metric comes with a 95 % interval from a *paired bootstrap over videos*: each resample
draws, value by value, the same videos for the neutral and the persona condition (so the
pairing survives), and every persona of a run is resampled with the *same* draws (the plan
depends only on the videos and a seed). That makes per-strategy means across personas, and
the difference between two strategies, resamplable too: both are computed replicate by
replicate. One code path computes the estimate (every video once) and the replicates.

* **target rank** — the mean rank of the persona's target values in its own profile (1 = the
  value it likes most; ties share the mean rank). The best possible is ``(k + 1) / 2`` for k
  targets; a persona that moves nothing sits near 5.5.
* **circumplex consistency** — Spearman's correlation between each value's change and its
  closeness to the targets on Schwartz's circle (mean cosine over the targets). 1 means the
  changes fall off with distance from the targets as the theory predicts. A profile that did
  not move at all has no order to agree with and scores 0.
* **opposite drop** — how far the value opposite the targets fell, in points (positive =
  it fell). For several targets the opposite is the value with the lowest mean cosine.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from valspec.domain.values import CIRCLE_ORDER, Value, circle_similarity
from valspec.engine.answers import VERDICT_CODES, YES, decided_codes

RESAMPLES = 1000
"""Bootstrap resamples per metric (≈ 10 ms for a persona over 100 videos)."""
SEED = 20250
"""Seed of the resampling plan; fixed so that intervals are reproducible run to run."""

Array = NDArray[np.float64]
Verdicts = Mapping[Value, Mapping[str, str]]  # value -> item id -> verdict


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95 % interval and bootstrap SE (nan when unknown)."""

    value: float
    ci: tuple[float, float]
    se: float = math.nan


@dataclass(frozen=True)
class PersonaMetrics:
    """Target rank, circumplex consistency and opposite drop of one persona × strategy.

    ``replicates`` keeps each metric's bootstrap replicates (and the shift's) so that
    strategy summaries can resample means across personas with the same draws.
    """

    targets: tuple[Value, ...]
    target_rank: Estimate
    best_rank: float
    circumplex: Estimate
    opposite: Value | None
    opposite_drop: Estimate
    plan: str = ""  # identifies the resampling plan; equal plans can be combined
    point: Mapping[str, float] = field(default_factory=dict, compare=False)
    replicates: Mapping[str, Array] = field(default_factory=dict, compare=False, repr=False)


def target_similarity(targets: Sequence[Value]) -> dict[Value, float]:
    """Each value's closeness to the targets: mean cos(angle) over the targets."""
    return {v: sum(circle_similarity(v, t) for t in targets) / len(targets) for v in CIRCLE_ORDER}


def opposite_of(targets: Sequence[Value]) -> Value:
    """The non-target value furthest from the targets (ties go later in circle order).

    For one target this is :func:`valspec.domain.values.opposite`.
    """
    closeness = target_similarity(targets)
    candidates = [v for v in reversed(CIRCLE_ORDER) if v not in targets]
    return min(candidates, key=lambda v: closeness[v])


@dataclass(frozen=True)
class _Outcomes:
    """One value's videos as 0/1 arrays: yes and decided, before (neutral) and after."""

    before_yes: Array
    before_decided: Array
    after_yes: Array
    after_decided: Array


Codes = Mapping[Value, tuple[Sequence[str], NDArray[np.int8], NDArray[np.int8]]]
"""value -> (item ids sorted, neutral verdict codes, persona verdict codes; -1 = no answer)."""


def _outcomes(codes: Codes) -> dict[Value, _Outcomes]:
    found = {}
    for value in CIRCLE_ORDER:
        if value not in codes or not len(codes[value][0]):
            continue
        _, before, after = codes[value]
        found[value] = _Outcomes(
            (before == YES).astype(np.float64),
            decided_codes(before).astype(np.float64),
            (after == YES).astype(np.float64),
            decided_codes(after).astype(np.float64),
        )
    return found


def codes_from_verdicts(neutral: Verdicts, playing: Verdicts) -> dict[Value, Any]:
    """The metrics' input from ``{value: {item id: verdict}}`` maps of both conditions."""
    codes = {}
    for value in CIRCLE_ORDER:
        before, after = neutral.get(value, {}), playing.get(value, {})
        ids = sorted(set(before) | set(after))
        if ids:
            codes[value] = (ids, _coded(before, ids), _coded(after, ids))
    return codes


def _coded(verdicts: Mapping[str, str], ids: Sequence[str]) -> NDArray[np.int8]:
    return np.array([VERDICT_CODES.get(verdicts.get(i, ""), -1) for i in ids], dtype=np.int8)


_PLAN_CACHE: dict[tuple[int, int, int, int], NDArray[np.float32]] = {}
_PLAN_CACHE_SIZE = 32  # entries (a run has one per value); old ones are dropped first
EXACT_FLOAT32 = 2**24  # integer sums below this are exact in float32


def _counts(resamples: int, seed: int, index: int, n: int) -> NDArray[np.float32]:
    """The multinomial resampling counts of one value, shape (resamples, n), memoized.

    The draws depend only on the seed, the value's place on the circle and its number of
    videos, so every persona of a run shares them: they are drawn once per run, not per case.
    Stored as float32 (exact for these small integers) to halve memory and use fast BLAS.
    """
    memo = (resamples, seed, index, n)
    counts = _PLAN_CACHE.get(memo)
    if counts is None:
        counts = _draw(resamples, seed, index, n)
        while len(_PLAN_CACHE) >= _PLAN_CACHE_SIZE:
            del _PLAN_CACHE[next(iter(_PLAN_CACHE))]
        _PLAN_CACHE[memo] = counts
    return counts


def _draw(resamples: int, seed: int, index: int, n: int) -> NDArray[np.float32]:
    """Bootstrap counts: each row draws ``n`` videos with replacement, uniformly (a
    multinomial(n, 1/n) row), as one index draw and one bincount (~4x faster than
    ``Generator.multinomial`` at 5,000 videos, the same distribution)."""
    rng = np.random.default_rng([seed, index])
    wide = resamples * n >= 2**31  # flat indices need 64 bits (32-bit draws are ~2x faster)
    dtype = np.int64 if wide else np.int32
    picks: NDArray[np.signedinteger[Any]] = rng.integers(0, n, size=(resamples, n), dtype=dtype)
    picks += np.arange(0, resamples * n, n, dtype=picks.dtype)[:, None]  # row r from r * n
    counts = np.bincount(picks.ravel(), minlength=resamples * n).reshape(resamples, n)
    return counts.astype(np.float32 if n < EXACT_FLOAT32 else np.float64)


def _plan(codes: Codes, resamples: int, seed: int) -> tuple[str, dict[Value, NDArray[np.float32]]]:
    """Multinomial resampling counts per value, shape (resamples, videos), and the plan's id."""
    plan: dict[Value, NDArray[np.float32]] = {}
    digest = hashlib.sha256(f"{resamples}:{seed}".encode())
    for index, value in enumerate(CIRCLE_ORDER):
        ids = codes[value][0] if value in codes else ()
        if not ids:
            continue
        digest.update("\x1f".join([value.value, *ids]).encode())
        plan[value] = _counts(resamples, seed, index, len(ids))
    return digest.hexdigest()[:16], plan


def _ratio(numerator: Array, denominator: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, 100.0 * numerator / denominator, np.nan)


def _per_value(
    outcomes: Mapping[Value, _Outcomes], counts: Mapping[Value, NDArray[np.floating[Any]]]
) -> tuple[list[Value], Array, Array]:
    """Per-value paired change and persona score (points), one row per resample.

    Every sum is a count-weighted sum of 0/±1 flags, an integer: one matrix product per value
    in the counts' precision gives exactly the sums of a float64 product.
    """
    values = list(outcomes)
    deltas, scores = [], []
    for value in values:
        o, c = outcomes[value], counts[value]
        paired = o.before_decided * o.after_decided
        flags = np.stack(
            [paired * (o.after_yes - o.before_yes), paired, o.after_yes, o.after_decided], axis=1
        )
        sums = np.asarray(c @ flags.astype(c.dtype), dtype=np.float64)
        deltas.append(_ratio(sums[:, 0], sums[:, 1]))
        scores.append(_ratio(sums[:, 2], sums[:, 3]))
    return values, np.stack(deltas, axis=1), np.stack(scores, axis=1)


def _row_spearman(rows: Array, reference: Array) -> Array:
    """Spearman of each row with ``reference``; 0 for a row without any spread."""
    filled = np.where(np.isnan(rows), np.nanmean(rows, axis=1, keepdims=True), rows)
    ranked = rankdata(filled, axis=1)
    ranked -= ranked.mean(axis=1, keepdims=True)
    ref = rankdata(reference)
    ref = ref - ref.mean()
    norm = np.sqrt((ranked**2).sum(axis=1) * (ref**2).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(norm > 0, (ranked @ ref) / norm, 0.0)
    return np.asarray(rho, dtype=np.float64)


def _metrics(
    values: list[Value], targets: Sequence[Value], deltas: Array, scores: Array
) -> dict[str, Array]:
    """Each metric for every row (a row is the data, or one resample of it)."""
    is_target = np.array([v in targets for v in values])
    with np.errstate(all="ignore"):
        shift = np.nanmean(deltas[:, is_target], axis=1) - np.nanmean(deltas[:, ~is_target], axis=1)
    # Rank 1 = highest score; a value without decided answers ranks last.
    ranks = rankdata(-np.where(np.isnan(scores), -1.0, scores), axis=1)
    closeness = target_similarity(targets)
    opposite = values.index(opposite_of(targets)) if opposite_of(targets) in values else None
    nan = np.full(len(deltas), np.nan)
    if len(values) < 3:
        circumplex = nan
    else:
        circumplex = _row_spearman(deltas, np.array([closeness[v] for v in values]))
    return {
        "shift": shift,
        "target_rank": ranks[:, is_target].mean(axis=1),
        "circumplex": circumplex,
        "opposite_drop": nan if opposite is None else -deltas[:, opposite],
    }


_BOUNDS = {"circumplex": (-1.0, 1.0), "target_rank": (1.0, 10.0)}


def _interval(replicates: Array, estimate: float, name: str = "") -> tuple[float, float]:
    """95 % percentile interval of the replicates, re-centred on the estimate.

    Resampling videos adds noise on top of the noise already in the data, which pulls a rank
    correlation (and a rank) toward "no relation": the replicates sit systematically below
    the estimate, and plain percentiles can miss the estimate itself. Centring keeps the
    bootstrap's spread and drops that shift (bounded metrics are clipped to their range).
    """
    kept = replicates[~np.isnan(replicates)]
    if len(kept) < 2 or math.isnan(estimate):
        return (math.nan, math.nan)
    low, middle, high = np.percentile(kept, [2.5, 50.0, 97.5])
    lo_bound, hi_bound = _BOUNDS.get(name, (-math.inf, math.inf))
    return (
        float(max(lo_bound, estimate + low - middle)),
        float(min(hi_bound, estimate + high - middle)),
    )


def persona_metrics(
    raises: Sequence[Value],
    neutral: Verdicts,
    playing: Verdicts,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> PersonaMetrics:
    """The metrics of one persona × strategy from per-video verdicts, with bootstrap intervals.

    ``neutral`` and ``playing`` map each value to ``{item id: verdict}`` (yes / no /
    refusal / unparsable / error); only yes and no count, paired by item for changes.
    """
    codes = codes_from_verdicts(neutral, playing)
    return persona_metrics_from_codes(raises, codes, resamples=resamples, seed=seed)


def persona_metrics_from_codes(
    raises: Sequence[Value], codes: Codes, *, resamples: int = RESAMPLES, seed: int = SEED
) -> PersonaMetrics:
    """:func:`persona_metrics` on verdict codes (valspec.engine.answers) aligned by sorted item id:
    what a run passes, without building per-item dicts."""
    outcomes = _outcomes(codes)
    targets = tuple(v for v in raises if v in outcomes)
    if not targets or len(targets) == len(outcomes):
        blank = Estimate(math.nan, (math.nan, math.nan))
        return PersonaMetrics(targets, blank, math.nan, blank, None, blank)
    plan_id, plan = _plan(codes, resamples, seed)
    ones = {v: np.ones((1, len(o.after_yes))) for v, o in outcomes.items()}
    values, deltas, scores = _per_value(outcomes, ones)
    point = _metrics(values, targets, deltas, scores)
    replicates = _metrics(values, targets, *_per_value(outcomes, plan)[1:])

    def estimate(name: str) -> Estimate:
        value = float(point[name][0])
        return Estimate(value, _interval(replicates[name], value, name))

    return PersonaMetrics(
        targets=targets,
        target_rank=estimate("target_rank"),
        best_rank=(len(targets) + 1) / 2,
        circumplex=estimate("circumplex"),
        opposite=opposite_of(targets) if opposite_of(targets) in outcomes else None,
        opposite_drop=estimate("opposite_drop"),
        plan=plan_id,
        point={name: float(row[0]) for name, row in point.items()},
        replicates=replicates,
    )


METRICS = ("shift", "target_rank", "circumplex", "opposite_drop")
"""The metrics a strategy summary averages across personas."""


@dataclass(frozen=True)
class StrategySummary:
    """How well one prompting strategy steers, averaged over the personas of a run.

    Each mean has a 95 % interval from the shared paired bootstrap over videos (the personas
    are taken as given; the interval says how much the videos make the mean wobble).
    """

    strategy: str
    personas: int
    means: Mapping[str, Estimate]  # METRICS -> mean across personas
    isq_disagreement: float | None = None  # mean share of stated vs derived ISQ disagreement


def _combinable(metrics: Sequence[PersonaMetrics]) -> list[PersonaMetrics]:
    usable = [m for m in metrics if m.replicates]
    if len({m.plan for m in usable}) > 1:
        raise ValueError("persona metrics were resampled over different videos; cannot combine")
    return usable


def _mean_estimate(points: list[float], rows: list[Array], name: str = "") -> Estimate:
    if not points or all(math.isnan(p) for p in points):
        return Estimate(math.nan, (math.nan, math.nan))
    with np.errstate(all="ignore"):
        replicates = np.nanmean(np.stack(rows), axis=0) if rows else np.array([])
    value = float(np.nanmean(points))
    kept = replicates[~np.isnan(replicates)] if replicates.size else replicates
    se = float(kept.std(ddof=1)) if kept.size > 1 else math.nan
    return Estimate(value, _interval(replicates, value, name), se)


def summarise_strategy(
    strategy: str,
    metrics: Sequence[PersonaMetrics],
    isq_disagreement: Sequence[float | None] = (),
) -> StrategySummary:
    """Means across personas of each metric, with intervals, for one strategy."""
    usable = _combinable(metrics)
    means = {
        name: _mean_estimate(
            [m.point[name] for m in usable], [m.replicates[name] for m in usable], name
        )
        for name in METRICS
    }
    rates = [r for r in isq_disagreement if r is not None]
    return StrategySummary(
        strategy=strategy,
        personas=len(usable),
        means=means,
        isq_disagreement=sum(rates) / len(rates) if rates else None,
    )


def compare_strategies(
    reference: Sequence[PersonaMetrics], other: Sequence[PersonaMetrics]
) -> dict[str, Estimate]:
    """``other`` minus ``reference``: the difference of each metric's mean, paired by persona.

    Both sequences list the same personas in the same order (one strategy each); the
    difference is resampled with the shared draws, so its interval is paired by video too.
    """
    if len(reference) != len(other):
        raise ValueError(f"compare the same personas: {len(reference)} vs {len(other)}")
    pairs = [(a, b) for a, b in zip(reference, other, strict=True) if a.replicates and b.replicates]
    _combinable([m for pair in pairs for m in pair])
    out = {}
    for name in METRICS:
        points = [b.point[name] - a.point[name] for a, b in pairs]
        rows = [b.replicates[name] - a.replicates[name] for a, b in pairs]
        out[name] = _mean_estimate(points, rows)
    return out
