from __future__ import annotations

import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valspec.domain.values import CIRCLE_ORDER, GROUPS, Value
from valspec.measure import profile
from valspec.measure.profile import centred_profile, group_scores, spread, value_means

scores = st.lists(st.floats(0, 1), min_size=2, max_size=15)


@given(st.lists(scores, min_size=10, max_size=10))
def test_centred_profile_sums_to_zero_and_intervals_contain_it(items: list[list[float]]) -> None:
    by_value = dict(zip(CIRCLE_ORDER, items, strict=True))
    means = value_means(by_value)
    centred = centred_profile(means)
    assert sum(e.value for e in centred.values()) == pytest.approx(0.0, abs=1e-6)
    for est in centred.values():
        assert est.ci[0] - 1e-9 <= est.value <= est.ci[1] + 1e-9
    assert set(group_scores(means)) == {g.name for g in GROUPS}


def test_group_score_is_the_mean_of_its_values() -> None:
    by_value = {v: [0.1 * (i + 1), 0.1 * (i + 1) + 0.02] for i, v in enumerate(CIRCLE_ORDER[:9])}
    by_value[CIRCLE_ORDER[9]] = [0.5, 0.52]
    means = value_means(by_value)
    raw = group_scores(means, centred=False)
    group = GROUPS[0]
    expected = statistics.mean(means[v].value for v in group.values)
    assert raw[group.name].value == pytest.approx(expected)
    assert raw[group.name].ci[0] < expected < raw[group.name].ci[1]


def test_spread_is_the_sd_of_value_means_less_their_own_noise() -> None:
    by_value = {v: [0.05 * i, 0.05 * i + 0.1, 0.05 * i + 0.05] for i, v in enumerate(CIRCLE_ORDER)}
    est = spread(by_value)
    observed = statistics.variance(100 * statistics.mean(s) for s in by_value.values())
    noise = statistics.mean(100**2 * statistics.variance(s) / len(s) for s in by_value.values())
    assert est.value == pytest.approx((observed - noise) ** 0.5)
    assert est.ci[0] < est.ci[1]


def test_profile_summary_is_json_ready_with_intervals() -> None:
    import json

    from valspec.domain.values import CIRCLE_ORDER, GROUPS
    from valspec.measure.profile import profile_summary

    scores = {v: [float(i < 6 + k) for i in range(20)] for k, v in enumerate(CIRCLE_ORDER)}
    summary = json.loads(json.dumps(profile_summary(scores)))
    assert set(summary["centred"]) == {v.value for v in CIRCLE_ORDER}
    assert set(summary["groups"]) == {g.name for g in GROUPS}
    assert sum(e["score"] for e in summary["centred"].values()) == pytest.approx(0, abs=0.6)
    for estimate in [*summary["centred"].values(), *summary["groups"].values()]:
        low, high = estimate["ci95"]
        assert low <= estimate["score"] <= high
    assert summary["spread"]["sd"] >= 0


def _reference_spread(
    item_scores: dict[Value, list[float]], resamples: int, seed: int
) -> tuple[float, float, float, float]:
    """The spread as first written: every resample's indices drawn in one array per value."""
    arrays = [np.asarray(item_scores[v], dtype=float) for v in CIRCLE_ORDER if v in item_scores]
    point = float(np.std([100 * a.mean() for a in arrays], ddof=1))
    rng = np.random.default_rng(seed)
    boot = np.column_stack(
        [100 * a[rng.integers(0, a.size, size=(resamples, a.size))].mean(axis=1) for a in arrays]
    )
    sds = boot.std(axis=1, ddof=1)
    low, high = (float(q) for q in np.quantile(sds, [0.025, 0.975]))
    return point, float(sds.std(ddof=1)), low, high


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(0, 1) | st.sampled_from([0.0, 1.0]), min_size=1, max_size=40),
        min_size=2,
        max_size=10,
    ),
    st.integers(2, 300),
    st.integers(0, 2**32),
    st.sampled_from([1, 7, 64, 1 << 18]),
)
def test_spread_in_blocks_is_bit_identical_to_one_draw(
    items: list[list[float]], resamples: int, seed: int, block: int
) -> None:
    by_value = dict(zip(CIRCLE_ORDER, items, strict=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(profile, "RESAMPLE_BLOCK", block)
        est = spread(by_value, resamples=resamples, seed=seed)
    got = (est.se, *est.ci)
    assert repr(got) == repr(_reference_spread(by_value, resamples, seed)[1:])


def test_spread_is_bias_corrected_for_the_scores_own_noise() -> None:
    """At 10 items per value the SD of the value means overstates the true spread; the
    corrected estimate is close to it on average (the uncorrected one is far above)."""
    rng = np.random.default_rng(3)
    true_means = np.linspace(0.55, 0.75, 10)
    true_sd = 100 * float(np.std(true_means, ddof=1))
    corrected, raw = [], []
    for _ in range(400):
        items = {
            v: (rng.random(10) < m).astype(float).tolist()
            for v, m in zip(CIRCLE_ORDER, true_means, strict=True)
        }
        corrected.append(spread(items, resamples=2).value)
        raw.append(float(np.std([100 * np.mean(x) for x in items.values()], ddof=1)))
    assert abs(np.mean(raw) - true_sd) > 5
    assert abs(np.mean(corrected) - true_sd) < 3
