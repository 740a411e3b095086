from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.profile import centred_profile, group_scores, spread, value_means
from valspec.values import CIRCLE_ORDER, GROUPS

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


def test_spread_is_the_sd_of_value_means_with_an_interval() -> None:
    by_value = {v: [0.05 * i, 0.05 * i + 0.1, 0.05 * i + 0.05] for i, v in enumerate(CIRCLE_ORDER)}
    est = spread(by_value)
    expected = statistics.stdev(100 * statistics.mean(s) for s in by_value.values())
    assert est.value == pytest.approx(expected)
    assert est.ci[0] <= est.value <= est.ci[1]


def test_profile_summary_is_json_ready_with_intervals() -> None:
    import json

    from valspec.profile import profile_summary
    from valspec.values import CIRCLE_ORDER, GROUPS

    scores = {v: [float(i < 6 + k) for i in range(20)] for k, v in enumerate(CIRCLE_ORDER)}
    summary = json.loads(json.dumps(profile_summary(scores)))
    assert set(summary["centred"]) == {v.value for v in CIRCLE_ORDER}
    assert set(summary["groups"]) == {g.name for g in GROUPS}
    assert sum(e["score"] for e in summary["centred"].values()) == pytest.approx(0, abs=0.6)
    for estimate in [*summary["centred"].values(), *summary["groups"].values()]:
        low, high = estimate["ci95"]
        assert low <= estimate["score"] <= high
    assert summary["spread"]["ci95"][0] <= summary["spread"]["sd"] <= summary["spread"]["ci95"][1]
