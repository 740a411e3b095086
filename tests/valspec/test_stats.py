from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.stats import normal_interval, paired_mean_difference, wilson_interval


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_estimate_and_stays_in_bounds(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_is_symmetric(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = wilson_interval(k, n)
    low2, high2 = wilson_interval(n - k, n)
    assert low == pytest.approx(1 - high2, abs=1e-9)
    assert high == pytest.approx(1 - low2, abs=1e-9)


def test_wilson_known_value_and_edges() -> None:
    low, high = wilson_interval(7, 10)
    assert (round(low, 3), round(high, 3)) == (0.397, 0.892)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(5, 3)


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=2, max_size=60))
def test_paired_difference_is_order_invariant_and_antisymmetric(
    pairs: list[tuple[float, float]],
) -> None:
    after, before = [a for a, _ in pairs], [b for _, b in pairs]
    mean, se = paired_mean_difference(after, before)
    rmean, rse = paired_mean_difference(list(reversed(after)), list(reversed(before)))
    assert mean == pytest.approx(rmean, abs=1e-9) and se == pytest.approx(rse, abs=1e-9)
    neg, nse = paired_mean_difference(before, after)
    assert neg == pytest.approx(-mean, abs=1e-9) and nse == pytest.approx(se, abs=1e-9)


def test_normal_interval() -> None:
    low, high = normal_interval(10.0, 2.0)
    assert (round(low, 2), round(high, 2)) == (6.08, 13.92)
    assert all(math.isnan(x) for x in normal_interval(1.0, math.nan))
