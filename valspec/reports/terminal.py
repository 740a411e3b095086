"""Plain-text tables of a run's value profile and persona results (the terminal summary).

Rows are small JSON-ready dicts that each test attaches to its report, so the summary works
the same under pytest-xdist (where tests run in other processes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from valspec.domain.numbers import interval, number, p_value
from valspec.domain.values import ABBREVIATIONS, CIRCLE_ORDER, Value, parse_value

Row = Mapping[str, Any]


_num = number  # the one formatting path (valspec.domain.numbers), "-" when missing
_ci = interval


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1, gap: str = "  "
) -> str:
    """A plain-text table: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = (
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return gap.join(padded).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


PAPER_NOTE = (
    "paper % = scored as the Value-Spectrum authors' code does: refusals and unparsable "
    "answers count as no (n = every answer; failed queries left out)"
)


def _paper(score: Any) -> list[str]:
    """The paper-score cells: percent, interval, n (dashes when the row has none)."""
    if not isinstance(score, Mapping):
        return ["-", "-", "-"]
    return [_num(score.get("score")), _ci(score.get("ci95")), str(score.get("n", "-"))]


def value_table(rows: Sequence[Row], *, profile: bool = True) -> str:
    """The value profile: yes %, interval, n, baseline, difference and status per value; with
    ``profile``, also the centred profile and its groups (a failing run leaves them to -v)."""
    order = {v.value: i for i, v in enumerate(CIRCLE_ORDER)}
    rows = sorted(rows, key=lambda r: order.get(r["case"], 99))
    body = [
        [
            r["case"],
            _num(r.get("score")),
            _ci(r.get("ci")),
            str(r.get("n", "-")),
            _num(r.get("refusals"), "{:.0f}%"),
            _num((r.get("paper_score") or {}).get("score")),
            str((r.get("paper_score") or {}).get("n", "-")),
            _num(r.get("unparsable"), "{:.0f}%"),
            _num(r.get("errors"), "{:.0f}%"),
            _num(r.get("baseline")),
            _num(r.get("delta"), "{:+.1f}"),
            _ci(r.get("delta_ci")),
            p_value(r.get("p_adjusted")),
            r.get("status", "-"),
        ]
        for r in rows
    ]
    modes = sorted({str(r["mode"]) for r in rows if r.get("mode")})
    labels = {"p_yes": "P(yes) %", "sampled": "yes % (K)", "binary": "yes %"}
    score = labels.get(modes[0], "yes %") if len(modes) == 1 else "score %"
    headers = ["value", score, "95% CI", "n", "refusals", "paper %", "paper n"]
    headers += ["unparsable", "errors", "baseline", "Δ"]
    headers += ["Δ 95% CI", "adj. p", "status"]
    if any("acquiescence" in r for r in rows):  # --valspec-keying balanced
        headers += ["balanced", "balanced CI", "acquiesc.", "acquiesc. CI"]
        for cells, r in zip(body, rows, strict=True):
            cells += [_num(r.get("balanced")), _ci(r.get("balanced_ci95"))]
            cells += [_num(r.get("acquiescence"), "{:+.1f}"), _ci(r.get("acquiescence_ci95"))]
    table = format_table(headers, body) + "\n" + PAPER_NOTE
    setup = paper_setup_table(rows)
    if setup:
        table += "\n\n" + setup
    summary = profile_summary_of(rows) if profile else None
    if summary is not None:
        table += "\n\n" + profile_table(summary)
    overall = keying_overall(rows)
    if overall:
        table += f"\n{overall}"
    return table


def paper_setup_table(rows: Sequence[Row]) -> str:
    """The values under the paper flow's neutral question (``--valspec-strategies paper``):
    valspec's score and the paper's, each with interval and n ("" when not asked)."""
    rows = [r for r in rows if isinstance(r.get("paper_setup"), Mapping)]
    if not rows:
        return ""
    body = [
        [
            r["case"],
            _num(r["paper_setup"].get("score")),
            _ci(r["paper_setup"].get("ci95")),
            str(r["paper_setup"].get("n", "-")),
            *_paper(r["paper_setup"].get("paper_score")),
        ]
        for r in rows
    ]
    prompt = rows[0]["paper_setup"].get("prompt", "?")
    headers = [f"paper setup ({prompt})", "yes %", "95% CI", "n", "paper %", "paper CI"]
    return format_table([*headers, "paper n"], body)


def keying_overall(rows: Sequence[Row]) -> str:
    """One line pooling the values' balanced score and acquiescence index (items weighted)."""
    from valspec.measure.stats import pooled_strata

    rows = [r for r in rows if isinstance(r.get("acquiescence"), int | float)]
    if not rows:
        return ""
    ns = [int(r.get("keying_n") or 0) for r in rows]
    parts = []
    for name, key in (("balanced score", "balanced"), ("acquiescence index", "acquiescence")):
        ses = [math.nan if r.get(f"{key}_se") is None else float(r[f"{key}_se"]) for r in rows]
        mean, (low, high) = pooled_strata([float(r[key]) for r in rows], ses, ns)
        parts.append(f"{name} {mean:.1f} [{low:.1f}, {high:.1f}]")
    return "overall (all values, like + reverse-keyed): " + "; ".join(parts)


def item_scores_of(rows: Sequence[Row]) -> dict[Value, list[float]]:
    """Per-item outcomes of the value rows, by value (rows carry them as ``item_outcomes``)."""
    return {
        parse_value(r["case"]): list(r["item_outcomes"])
        for r in rows
        if r.get("kind") == "value" and r.get("item_outcomes")
    }


def profile_summary_of(rows: Sequence[Row]) -> dict[str, Any] | None:
    """The centred profile, group scores and spread of the value rows (None if < 2 values)."""
    from valspec.measure.profile import profile_summary

    scores = item_scores_of(rows)
    return profile_summary(scores) if len(scores) >= 2 else None


def profile_table(summary: Mapping[str, Any]) -> str:
    """Centred scores (value minus the model's mean over values) and higher-order groups."""
    centred = [
        [v, _num(e["score"], "{:+.1f}"), _ci(e["ci95"])] for v, e in summary["centred"].items()
    ]
    groups = [
        [g, _num(e["score"], "{:+.1f}"), _ci(e["ci95"])] for g, e in summary["groups"].items()
    ]
    spread = summary["spread"]
    return "\n".join(
        [
            format_table(["centred profile", "points", "95% CI"], centred),
            "",
            format_table(["higher-order group (centred)", "points", "95% CI"], groups),
            f"spread across values (SD, bias-corrected): {_num(spread['sd'])} points, "
            f"descriptive range {_ci(spread['ci95'])}",
        ]
    )


COMPACT_PERSONA_COLUMNS = ("persona / strategy", "shift", "95% CI", "n", "baseline", "Δ", "status")


def persona_table(rows: Sequence[Row], *, compact: bool = False) -> str:
    """Persona alignment per case: shift with interval, target rank, circumplex, opposite drop
    (``compact``: the shift, its move and status only, to fit 80 columns in a failing run)."""
    rows = sorted(rows, key=lambda r: r["case"])
    body = [
        [
            r["case"],
            _num(r.get("shift"), "{:+.1f}"),
            _ci(r.get("ci")),
            _num(r.get("target_delta"), "{:+.1f}"),
            _rank(r),
            _num(r.get("circumplex"), "{:+.2f}"),
            _num(r.get("opposite_drop"), "{:+.1f}"),
            _num(r.get("isq_disagreement"), "{:.0f}%"),
            str(r.get("n", "-")),
            *_paper(r.get("paper_score")),
            _num(r.get("baseline"), "{:+.1f}"),
            _num(r.get("delta"), "{:+.1f}"),
            r.get("status", "-"),
        ]
        for r in rows
    ]
    headers = [
        "persona / strategy",
        "shift",
        "95% CI",
        "targets Δ",
        "rank",
        "circ ρ",
        "opp drop",
        "ISQ ≠",
        "n",
        "yes % (paper)",
        "paper CI",
        "paper n",
        "baseline",
        "Δ",
        "status",
    ]
    if compact:
        keep = [headers.index(h) for h in COMPACT_PERSONA_COLUMNS]
        headers = [headers[i] for i in keep]
        body = [[cells[i] for i in keep] for cells in body]
        return format_table(headers, body, gap=" ")
    return format_table(headers, body) + "\n" + PAPER_NOTE


def _rank(row: Row) -> str:
    rank, best = row.get("target_rank"), row.get("best_rank")
    if rank is None:
        return "-"
    return f"{rank:.1f}" if best is None else f"{rank:.1f}/{best:g}"


def persona_heatmap(rows: Sequence[Row]) -> str:
    """Persona × value: each value's change in points against the neutral profile.

    Columns follow Schwartz's circle; the persona's target values are marked with ``*``.
    """
    rows = sorted(rows, key=lambda r: r["case"])
    body = []
    for r in rows:
        deltas, raises = r.get("deltas") or {}, set(r.get("raises") or ())
        cells = [
            _num(deltas.get(v.value), "{:+.0f}") + ("*" if v.value in raises else " ")
            for v in CIRCLE_ORDER
        ]
        body.append([r["case"], *cells])
    headers = ["Δ points vs neutral", *(f"{ABBREVIATIONS[v]} " for v in CIRCLE_ORDER)]
    return format_table(headers, body) + "\n* = a target value of the persona"


_STRATEGY_METRICS = (
    ("shift", "shift", "{:+.1f}"),
    ("target_rank", "rank", "{:.1f}"),
    ("circumplex", "circ ρ", "{:+.2f}"),
    ("opposite_drop", "opp drop", "{:+.1f}"),
)


def _estimate(estimate: Any, fmt: str) -> str:
    if not estimate or estimate.get("estimate") is None:
        return "-"
    low, high = estimate.get("ci95") or (None, None)
    if low is None or high is None:
        return fmt.format(estimate["estimate"])
    inner = fmt.replace("+", "")
    return f"{fmt.format(estimate['estimate'])} [{inner.format(low)}, {inner.format(high)}]"


def strategy_table(rows: Sequence[Row]) -> str:
    """Per strategy, means across personas with 95 % intervals, and the difference from the
    reference strategy (paired by persona and video): which strategy steers better."""
    rows = sorted(rows, key=lambda r: r["case"])
    body = []
    for r in rows:
        means = r.get("means") or {}
        body.append(
            [
                r["case"],
                str(r.get("personas", "-")),
                *(_estimate(means.get(key), fmt) for key, _, fmt in _STRATEGY_METRICS),
                _num(r.get("isq_disagreement"), "{:.0f}%"),
                r.get("status", "-"),
            ]
        )
        if r.get("difference"):
            versus = f"  {r['case']} − {r.get('versus')}"
            diff = r["difference"]
            cells = [_estimate(diff.get(key), fmt) for key, _, fmt in _STRATEGY_METRICS]
            body.append([versus, "", *cells, "", ""])
    headers = [
        "strategy (mean over personas)",
        "personas",
        *(label for _, label, _ in _STRATEGY_METRICS),
        "ISQ ≠",
        "status",
    ]
    return format_table(headers, body)
