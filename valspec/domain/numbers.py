"""How every displayed number is written: one formatting path for tables, messages and files.

Callers pass the *unrounded* value they computed (the gate's verdict, a score) and format it
here, once. Rounding a number to store it and then formatting the stored copy rounds twice
(84.75 -> 84.8 in one output, 84.749 -> 84.7 in another); formatting the one value with one
rule keeps the terminal table, the failure message, summary.md and ``valspec diff`` equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

MISSING = "-"
"""What a missing or undefined number (None, NaN) is written as."""


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def number(x: Any, spec: str = "{:.1f}", missing: str = MISSING) -> str:
    """``x`` formatted with ``spec`` (points to 0.1 by default); ``missing`` when undefined."""
    return missing if _missing(x) else spec.format(x)


def points(x: Any, missing: str = MISSING) -> str:
    """A score or estimate in points, to 0.1."""
    return number(x, "{:.1f}", missing)


def signed(x: Any, missing: str = MISSING) -> str:
    """A change in points, with its sign, to 0.1."""
    return number(x, "{:+.1f}", missing)


def interval(ci: Sequence[Any] | None, missing: str = MISSING, spec: str = "{:.1f}") -> str:
    """``[low, high]`` of an interval in points; ``missing`` when either end is undefined."""
    if not ci or len(ci) < 2 or _missing(ci[0]) or _missing(ci[1]):
        return missing
    return f"[{spec.format(ci[0])}, {spec.format(ci[1])}]"


def p_value(p: Any, missing: str = MISSING) -> str:
    """A p-value to four decimals, ``<0.0001`` below that (never a printed zero)."""
    if _missing(p):
        return missing
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"
