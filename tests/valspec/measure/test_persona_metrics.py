from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from valspec.domain.values import CIRCLE_ORDER, Value, circle_similarity, opposite
from valspec.measure.persona_metrics import (
    METRICS,
    compare_strategies,
    opposite_of,
    persona_metrics,
    summarise_strategy,
    target_similarity,
)

Verdicts = dict[Value, dict[str, str]]


def _profile(rates: dict[Value, float], n: int = 20) -> Verdicts:
    """n items per value, the first ``rate`` share of them yes (item ids shared across runs)."""
    out: Verdicts = {}
    for value in CIRCLE_ORDER:
        yes = round(rates.get(value, 0.5) * n)
        out[value] = {f"{value.value}-{i}": ("yes" if i < yes else "no") for i in range(n)}
    return out


NEUTRAL = _profile({})


def _steered(targets: list[Value], strength: float) -> Verdicts:
    closeness = target_similarity(targets)
    return _profile({v: 0.5 + strength * closeness[v] / 2 for v in CIRCLE_ORDER})


def test_opposite_of_one_target_is_the_circle_opposite() -> None:
    for value in CIRCLE_ORDER:
        assert opposite_of([value]) == opposite(value)
    assert opposite_of([Value.BENEVOLENCE, Value.UNIVERSALISM]) in (Value.POWER, Value.ACHIEVEMENT)


def test_a_persona_steered_along_the_circle_scores_as_expected() -> None:
    metrics = persona_metrics([Value.BENEVOLENCE], NEUTRAL, _steered([Value.BENEVOLENCE], 0.8))
    assert metrics.circumplex.value == pytest.approx(1.0)
    assert metrics.target_rank.value == 1.0 and metrics.best_rank == 1.0
    assert metrics.opposite == Value.ACHIEVEMENT
    # achievement's similarity is cos(160°) ≈ -0.94: 0.5 - 0.4 * 0.94 -> 2 of 20 yes
    assert metrics.opposite_drop.value == pytest.approx(40.0)
    low, high = metrics.opposite_drop.ci
    assert low <= 40.0 <= high and high - low > 5
    assert metrics.point["shift"] > 30


def test_a_persona_that_moves_nothing_has_no_consistency() -> None:
    metrics = persona_metrics([Value.POWER], NEUTRAL, NEUTRAL)
    assert metrics.circumplex.value == 0.0
    assert metrics.opposite_drop.value == 0.0
    assert metrics.target_rank.value == pytest.approx(5.5)  # all tied


def test_reversed_steering_is_negative_consistency() -> None:
    metrics = persona_metrics([Value.POWER], NEUTRAL, _steered([Value.POWER], -0.8))
    assert metrics.circumplex.value == pytest.approx(-1.0)
    assert metrics.opposite_drop.value < 0 and metrics.target_rank.value == 10.0


def test_undecided_answers_are_left_out_not_counted_as_no() -> None:
    playing = _steered([Value.HEDONISM], 0.8)
    noisy = {v: dict(items) for v, items in playing.items()}
    for value in CIRCLE_ORDER:
        noisy[value][f"{value.value}-extra"] = "refusal"
    clean = persona_metrics([Value.HEDONISM], NEUTRAL, playing)
    with_refusals = persona_metrics([Value.HEDONISM], NEUTRAL, noisy)
    for name in ("circumplex", "target_rank", "opposite_drop"):
        assert getattr(clean, name).value == getattr(with_refusals, name).value


def test_intervals_are_seeded_and_shared_across_personas() -> None:
    a = persona_metrics([Value.POWER], NEUTRAL, _steered([Value.POWER], 0.5))
    b = persona_metrics([Value.POWER], NEUTRAL, _steered([Value.POWER], 0.5))
    c = persona_metrics([Value.TRADITION], NEUTRAL, _steered([Value.TRADITION], 0.5))
    assert a.circumplex == b.circumplex and a.plan == b.plan == c.plan
    other_seed = persona_metrics([Value.POWER], NEUTRAL, _steered([Value.POWER], 0.5), seed=1)
    drops = other_seed.replicates["opposite_drop"], a.replicates["opposite_drop"]
    assert not np.array_equal(*drops, equal_nan=True)


def test_no_targets_among_the_values_gives_nan() -> None:
    only_power = {Value.POWER: NEUTRAL[Value.POWER]}
    metrics = persona_metrics([Value.BENEVOLENCE], only_power, only_power)
    assert math.isnan(metrics.circumplex.value) and metrics.opposite is None


def test_strategy_summary_and_comparison() -> None:
    weak = [
        persona_metrics([t], NEUTRAL, _steered([t], 0.3))
        for t in (Value.POWER, Value.BENEVOLENCE, Value.STIMULATION)
    ]
    strong = [
        persona_metrics([t], NEUTRAL, _steered([t], 0.8))
        for t in (Value.POWER, Value.BENEVOLENCE, Value.STIMULATION)
    ]
    summary = summarise_strategy("isq", strong, [0.1, None, 0.3])
    assert summary.personas == 3 and summary.isq_disagreement == pytest.approx(0.2)
    assert set(summary.means) == set(METRICS)
    expected = np.mean([m.point["shift"] for m in strong])
    assert summary.means["shift"].value == pytest.approx(expected)
    difference = compare_strategies(weak, strong)
    assert difference["shift"].value > 0 and difference["shift"].ci[0] > 0
    assert difference["opposite_drop"].value > 0
    with pytest.raises(ValueError, match="same personas"):
        compare_strategies(weak, strong[:2])


def test_personas_over_different_videos_cannot_be_combined() -> None:
    a = persona_metrics([Value.POWER], NEUTRAL, NEUTRAL)
    other_items = _profile({}, n=12)
    b = persona_metrics([Value.POWER], other_items, other_items)
    with pytest.raises(ValueError, match="different videos"):
        summarise_strategy("simple", [a, b])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 10), min_size=10, max_size=10),
    st.lists(st.integers(0, 10), min_size=10, max_size=10),
    st.sampled_from(CIRCLE_ORDER),
)
def test_circumplex_matches_scipy_spearman(
    before: list[int], after: list[int], target: Value
) -> None:
    neutral = _profile({v: b / 10 for v, b in zip(CIRCLE_ORDER, before, strict=True)}, n=10)
    playing = _profile({v: a / 10 for v, a in zip(CIRCLE_ORDER, after, strict=True)}, n=10)
    metrics = persona_metrics([target], neutral, playing, resamples=50)
    deltas = [10.0 * (a - b) for a, b in zip(after, before, strict=True)]
    closeness = [circle_similarity(v, target) for v in CIRCLE_ORDER]
    if len(set(deltas)) == 1:
        assert metrics.circumplex.value == 0.0
    else:
        expected = spearmanr(deltas, closeness).statistic
        assert metrics.circumplex.value == pytest.approx(expected)
    low, high = metrics.circumplex.ci
    assert -1.0 <= low <= metrics.circumplex.value <= high <= 1.0
    ranks = metrics.target_rank
    assert 1.0 <= ranks.ci[0] <= ranks.value <= ranks.ci[1] <= 10.0


def test_shared_float32_plan_gives_the_float64_replicates() -> None:
    """The memoized float32 counts give exactly the replicates of fresh float64 draws."""
    from valspec.measure import persona_metrics as pm

    playing = _steered([Value.POWER], 0.5)
    got = persona_metrics([Value.POWER], NEUTRAL, playing, resamples=200, seed=7)
    assert pm._counts(200, 7, 0, 20) is pm._counts(200, 7, 0, 20)  # drawn once, shared
    assert pm._counts(200, 7, 0, 20).dtype == np.float32
    outcomes = pm._outcomes(pm.codes_from_verdicts(NEUTRAL, playing))
    fresh = {v: pm._draw(200, 7, CIRCLE_ORDER.index(v), 20).astype(np.float64) for v in outcomes}
    values, deltas, scores = pm._per_value(outcomes, fresh)
    reference = pm._metrics(values, [Value.POWER], deltas, scores)
    for name in METRICS:
        assert np.array_equal(got.replicates[name], reference[name], equal_nan=True)


def test_bootstrap_rows_draw_n_videos_with_replacement_uniformly() -> None:
    """Each row of the plan is a multinomial(n, 1/n) draw: sums to n, every video equally
    likely (mean count 1, variance (n - 1) / n), and the same seed gives the same plan."""
    from valspec.measure import persona_metrics as pm

    counts = pm._draw(4000, 3, 2, 25)
    assert counts.shape == (4000, 25) and (counts.sum(axis=1) == 25).all()
    assert (counts >= 0).all() and np.array_equal(counts, np.round(counts))
    assert counts.mean(axis=0) == pytest.approx(np.ones(25), abs=0.06)
    assert counts.var(axis=0).mean() == pytest.approx(24 / 25, abs=0.05)
    assert np.array_equal(counts, pm._draw(4000, 3, 2, 25))
    assert not np.array_equal(counts, pm._draw(4000, 3, 3, 25))
