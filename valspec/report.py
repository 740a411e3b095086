"""Plain-text tables of a run's value profile and persona results (the terminal summary).

Rows are small JSON-ready dicts that each test attaches to its report, so the summary works
the same under pytest-xdist (where tests run in other processes).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from valspec.values import CIRCLE_ORDER

Row = Mapping[str, Any]


def _num(x: Any, fmt: str = "{:.1f}") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return fmt.format(x)


def _ci(ci: Any) -> str:
    if not ci or ci[0] is None:
        return "-"
    return f"[{ci[0]:.1f}, {ci[1]:.1f}]"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    """A plain-text table: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = (
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


def value_table(rows: Sequence[Row]) -> str:
    """The value profile: yes %, interval, n, baseline, difference and status per value."""
    order = {v.value: i for i, v in enumerate(CIRCLE_ORDER)}
    rows = sorted(rows, key=lambda r: order.get(r["case"], 99))
    body = [
        [
            r["case"],
            _num(r.get("score")),
            _ci(r.get("ci")),
            str(r.get("n", "-")),
            _num(r.get("unparsable"), "{:.0f}%"),
            _num(r.get("errors"), "{:.0f}%"),
            _num(r.get("baseline")),
            _num(r.get("delta"), "{:+.1f}"),
            r.get("status", "-"),
        ]
        for r in rows
    ]
    headers = ["value", "yes %", "95% CI", "n", "unparsable", "errors", "baseline", "Δ", "status"]
    table = format_table(headers, body)
    scores = [r["score"] for r in rows if isinstance(r.get("score"), int | float)]
    if len(scores) >= 2:
        table += f"\nspread across values (SD, ddof=1): {statistics.stdev(scores):.1f} points"
    return table


def persona_table(rows: Sequence[Row]) -> str:
    """Persona alignment: shift toward the persona's values with interval, per case."""
    rows = sorted(rows, key=lambda r: r["case"])
    body = [
        [
            r["case"],
            _num(r.get("shift"), "{:+.1f}"),
            _ci(r.get("ci")),
            _num(r.get("target_delta"), "{:+.1f}"),
            str(r.get("n", "-")),
            _num(r.get("baseline"), "{:+.1f}"),
            _num(r.get("delta"), "{:+.1f}"),
            r.get("status", "-"),
        ]
        for r in rows
    ]
    headers = ["persona / strategy", "shift", "95% CI", "targets Δ", "n", "baseline", "Δ", "status"]
    return format_table(headers, body)
