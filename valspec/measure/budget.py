"""The suite's error budget: one significance level for the whole run, split across families.

A release pipeline sees one verdict per run, so the chance that an unchanged model fails the
run *anywhere* must stay below ``alpha``. Every check that can fail a case is a test, and each
family of tests gets a fixed share of ``alpha`` (Holm inside the family, over the family's
size in the *full* suite); by the union bound the run's false-failure rate is at most the sum
of the shares, ``alpha``. A partial selection (``-k``, ``--valspec-personas``, …) keeps the
full family sizes, so selecting fewer cases needs no extra queries and is never less
conservative. docs/statistics.md gives the figures measured in simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Family = Literal["value", "persona", "persona-shift", "circumplex", "quality"]

SHARES: dict[Family, float] = {
    "value": 0.50,  # value drift: paired test against the baseline, per value
    "persona": 0.30,  # persona drift: change of the alignment shift against the baseline
    "persona-shift": 0.10,  # the persona moves the profile by at least persona_min_shift
    "circumplex": 0.05,  # a strategy's changes follow the circle (circumplex_min)
    "quality": 0.05,  # the unparsable rate stays under its maximum
}
"""Each family's share of the suite's alpha (they sum to 1). The drift families get most of
it: they are what a release gate is for, and their power depends on it."""

DESCRIPTIONS: dict[Family, str] = {
    "value": "value drift",
    "persona": "persona drift",
    "persona-shift": "persona minimum shift",
    "circumplex": "circumplex consistency",
    "quality": "unparsable rate",
}


@dataclass(frozen=True)
class Budget:
    """The suite's alpha and each family's size in the full (unselected) suite."""

    alpha: float = 0.05
    sizes: tuple[tuple[Family, int], ...] = ()

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha}")

    def alpha_for(self, family: Family) -> float:
        """This family's share of the suite's alpha (Holm runs inside the family at it)."""
        return self.alpha * SHARES[family]

    def size(self, family: Family) -> int | None:
        """The family's size in the full suite (None when not known)."""
        return dict(self.sizes).get(family)

    def per_test(self, family: Family) -> float:
        """The Bonferroni level of one test of the family (the first Holm step)."""
        return self.alpha_for(family) / max(1, self.size(family) or 1)

    def describe(self) -> str:
        """One header line: the suite's alpha and how it is split."""
        parts = []
        for family, share in SHARES.items():
            size = self.size(family)
            count = f" over {size}" if size else ""
            parts.append(f"{DESCRIPTIONS[family]} {_num(self.alpha * share)}{count}")
        return (
            f"gate: alpha {_num(self.alpha)} for the whole run, split as "
            + "; ".join(parts)
            + " (Holm within each; deselected cases count as passing)"
        )


def _num(x: float) -> str:
    return f"{x:.4g}" if not math.isnan(x) else "-"
