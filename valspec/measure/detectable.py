"""The smallest change a value's item count can detect under the gate's rules (dataset planning).

One function, :func:`min_detectable_change`, so that the planning figures of ``valspec dataset
stats`` follow the gate from one place. Assumptions, matching ``measure/gate.py`` today:

* the run is compared with its baseline **paired** on the same items (paired t on per-item
  outcomes for ``p_yes`` and ``sampled``; McNemar, Connor 1987, for ``binary``);
* Holm across the ``family`` values of a run at the value family's share of the suite's
  alpha (``measure/budget.py``): the first step tests at ``alpha / family``, which is the
  level the gate's power is planned at; ``alpha`` here is that share (0.025 by default);
* ``spread`` is the per-item SD of paired differences (fraction, not points) for the graded
  modes, floored at ``MIN_PLANNING_SD`` as the gate floors it, and the share of discordant
  items for ``binary`` (floored at the change, as the gate floors it at the tolerance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from valspec.measure.budget import SHARES
from valspec.measure.gate import DEFAULT_ALPHA, DEFAULT_POWER, MIN_PLANNING_SD
from valspec.measure.stats import mcnemar_power, paired_power

VALUE_ALPHA = DEFAULT_ALPHA * SHARES["value"]
"""The value family's level in a default run (half the suite's 0.05)."""
Mode = Literal["p_yes", "sampled", "binary"]
MODES: tuple[Mode, ...] = ("p_yes", "sampled", "binary")


@dataclass(frozen=True)
class Spread:
    """The per-item spread a mode is planned with, and why that number."""

    mode: Mode
    value: float  # SD of paired differences (graded) or discordant share (binary), a fraction
    assumption: str


def sampled_spread(samples: int, rate: float = 0.65) -> float:
    """SD of the difference of two independent yes-shares of ``samples`` draws each at ``rate``."""
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    return math.sqrt(2.0 * rate * (1.0 - rate) / samples)


DEFAULT_SPREADS: dict[Mode, Spread] = {
    "p_yes": Spread(
        "p_yes",
        MIN_PLANNING_SD,
        f"SD of paired differences {100 * MIN_PLANNING_SD:.0f} points (the gate's planning floor)",
    ),
    "sampled": Spread(
        "sampled",
        round(sampled_spread(5), 3),
        "K = 5 samples per item, yes rate 0.65: SD of paired differences "
        f"{100 * sampled_spread(5):.0f} points",
    ),
    "binary": Spread(
        "binary",
        0.42,
        "one verdict per item at temperature > 0: 42 % of items flip between runs",
    ),
}
"""Spreads assumed when no measured one is given (docs/statistics.md derives them)."""


def min_detectable_change(
    n_items: int,
    mode: Mode,
    spread: float,
    alpha: float = VALUE_ALPHA,
    power: float = DEFAULT_POWER,
    *,
    family: int = 10,
) -> float:
    """Smallest paired change, in points, detected with ``power`` at ``alpha / family``.

    ``inf`` when no change up to 100 points reaches the power (too few items).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha and power must be in (0, 1), got {alpha} and {power}")
    if family < 1:
        raise ValueError(f"family must be at least 1, got {family}")
    if spread < 0:
        raise ValueError(f"spread must be >= 0, got {spread}")
    level = alpha / family
    if mode != "binary":
        spread = max(spread, MIN_PLANNING_SD)  # as the gate floors it

    def power_at(delta: float) -> float:
        if mode == "binary":
            return mcnemar_power(delta, spread, n_items, level)
        return paired_power(delta, spread, n_items, level)

    if n_items < 2:
        return math.inf
    # The first point of a 1-point grid that reaches the power, then bisection below it:
    # SciPy's noncentral t (stats.paired_power) is not numerically monotone in the change at
    # about 10 items or fewer, so bisection alone could land on a later crossing. Figures for
    # such small sets carry that noise (the gate's own power figures share it).
    grid = [k / 100 for k in range(1, 101)]
    high = next((d for d in grid if power_at(d) >= power), math.inf)
    if math.isinf(high):
        return math.inf
    low = high - 0.01
    for _ in range(40):  # bisection: power grows with the change
        mid = (low + high) / 2
        if power_at(mid) >= power:
            high = mid
        else:
            low = mid
    return 100.0 * high
