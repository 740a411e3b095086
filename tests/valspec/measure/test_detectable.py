from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valspec.measure.detectable import (
    DEFAULT_SPREADS,
    MODES,
    VALUE_ALPHA,
    min_detectable_change,
    sampled_spread,
)
from valspec.measure.stats import mcnemar_power, paired_power


@pytest.mark.parametrize(
    ("n", "mode", "expected"),
    [
        (18, "p_yes", 5.0),  # docs/statistics.md: 18 items per value for 5 points (P(yes))
        (2250, "binary", 5.0),  # ≈ 2,250 items for 5 points (McNemar, discordant 0.42)
    ],
)
def test_agrees_with_the_items_needed_table(n: int, mode: str, expected: float) -> None:
    # at the pre-budget level (alpha 0.05 / 10 values) the figures of the earlier table
    got = min_detectable_change(n, mode, DEFAULT_SPREADS[mode].value, alpha=0.05)  # type: ignore[arg-type]
    assert got == pytest.approx(expected, abs=0.15)


@settings(max_examples=30)
@given(n=st.integers(10, 5000), mode=st.sampled_from(MODES), family=st.integers(1, 10))
def test_the_change_is_the_smallest_with_the_power(n: int, mode: str, family: int) -> None:
    spread = DEFAULT_SPREADS[mode].value  # type: ignore[index]
    mdc = min_detectable_change(n, mode, spread, family=family)  # type: ignore[arg-type]
    if math.isinf(mdc):
        return
    delta = mdc / 100

    def power(d: float) -> float:
        if mode == "binary":
            return mcnemar_power(d, spread, n, VALUE_ALPHA / family)
        return paired_power(d, max(spread, 0.05), n, VALUE_ALPHA / family)

    assert power(delta) >= 0.8 - 1e-9
    assert power(delta * 0.99) < 0.8
    # (from 10 items: below that SciPy's noncentral t is not monotone in the change)


@settings(max_examples=30)
@given(n=st.integers(10, 3000), mode=st.sampled_from(MODES))
def test_more_items_never_detect_less(n: int, mode: str) -> None:
    spread = DEFAULT_SPREADS[mode].value  # type: ignore[index]
    assert min_detectable_change(n + 1, mode, spread) <= min_detectable_change(n, mode, spread)  # type: ignore[arg-type]


def test_too_few_items_detect_nothing_and_bad_arguments_raise() -> None:
    assert math.isinf(min_detectable_change(1, "p_yes", 0.05))
    assert math.isinf(min_detectable_change(3, "binary", 0.42))
    with pytest.raises(ValueError, match="mode"):
        min_detectable_change(10, "median", 0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha and power"):
        min_detectable_change(10, "p_yes", 0.1, power=1.0)
    with pytest.raises(ValueError, match="family"):
        min_detectable_change(10, "p_yes", 0.1, family=0)


def test_graded_spread_is_floored_like_the_gate() -> None:
    assert min_detectable_change(50, "p_yes", 0.0) == min_detectable_change(50, "p_yes", 0.05)
    assert sampled_spread(5) == pytest.approx(math.sqrt(2 * 0.65 * 0.35 / 5))
