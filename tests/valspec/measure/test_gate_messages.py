"""The words of a failure match the gate's rule: "beyond tolerance" only when the estimate is."""

from __future__ import annotations

import pytest

from valspec.measure.gate import drift_headline


@pytest.mark.parametrize("delta", [5.0, -5.0, 12.3, -30.0])
def test_an_estimate_at_or_past_the_tolerance_is_beyond_it(delta: float) -> None:
    assert drift_headline(delta, 5.0) == "drifted beyond tolerance"


@pytest.mark.parametrize("delta", [4.99, -4.99, 3.8, 0.5])
def test_a_smaller_real_change_says_its_interval_reaches_the_tolerance(delta: float) -> None:
    assert drift_headline(delta, 5.0) == (
        "drifted (a real change whose 95 % CI of Δ reaches the ±5-point tolerance)"
    )
