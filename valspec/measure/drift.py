"""Compare a run's results with a stored baseline: drift beyond tolerance, or a stale baseline.

Results travel as *payloads*: plain, rounded, JSON-ready dicts that are also what the snapshot
files hold. A value's payload keeps its per-item outcomes, so a run on a subset of the items
(``--valspec-limit``) is compared with the baseline on exactly the same items.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from valspec.measure.persona_metrics import Estimate
from valspec.measure.scoring import PersonaResult, Tally, ValueResult

VALUE_SCHEMA = "valspec/value-preference@3"
"""@2 added the scoring mode and per-item outcomes (rounded P(yes) or yes shares); @3 is judged
by the suite-level gate (alpha split across families, docs/statistics.md), and a baseline of
yes shares over K samples is compared with single-verdict runs on its shares."""
PERSONA_SCHEMA = "valspec/persona-alignment@4"
"""@2 added target rank, circumplex consistency and opposite drop, each with an interval;
@3 per-item changes (``item_deltas``, in ``item_mode``) for the paired persona gate; @4 is
judged by the suite-level gate (no tolerance floor; the minimum shift on its interval)."""
STALE_FIELDS = {
    "prompt": "the prompt template",
    "dataset": "the dataset",
    "frames": "frame sampling",
}
"""Identity fields that make a baseline incomparable; the model changing is what is tested."""

Payload = dict[str, Any]
MODE_UNITS = {"binary": "% yes", "p_yes": "% mean P(yes)", "sampled": "% yes (item means)"}
"""How a score in each scoring mode is labelled in messages and tables."""


def _r(x: float | None, digits: int = 1) -> float | None:
    return None if x is None or math.isnan(x) else round(x, digits)


def _counts(t: Tally) -> dict[str, int]:
    return {
        "yes": t.yes,
        "no": t.no,
        "refusal": t.refusal,
        "unparsable": t.unparsable,
        "error": t.error,
        "total": t.total,
    }


def _rates(t: Tally) -> dict[str, float | None]:
    return {k: _r(100.0 * t.rate(k)) for k in ("refusal", "unparsable", "error")}


def value_payload(result: ValueResult, identity: Mapping[str, Any]) -> Payload:
    """The snapshot content of a value case: score, interval, n, rates, identity, items."""
    return {
        "schema": VALUE_SCHEMA,
        "value": result.value.value,
        "yes_rate": _r(result.score),
        "ci95": [_r(result.ci[0]), _r(result.ci[1])],
        "n": result.n,
        "counts": _counts(result.tally),
        "rates_percent": _rates(result.tally),
        "mean_p_yes": _r(result.mean_p_yes),
        "mode": result.mode,
        "score": _r(result.mode_score),
        "score_ci95": [_r(result.mode_ci[0]), _r(result.mode_ci[1])],
        "identity": dict(identity),
        "items": dict(result.items),
        "item_scores": {k: round(v, 3) for k, v in result.item_scores.items()}
        if result.mode != "binary"
        else {},
    } | _keying_payload(result)


def _keying_payload(result: ValueResult) -> Payload:
    """Balanced score and acquiescence index (only with --valspec-keying balanced)."""
    k = result.keying
    if k is None:
        return {}
    return {
        "keying": {
            "balanced": _r(k.balanced),
            "balanced_ci95": [_r(k.balanced_ci[0]), _r(k.balanced_ci[1])],
            "balanced_se": _r(k.balanced_se, 2),
            "acquiescence": _r(k.acquiescence),
            "acquiescence_ci95": [_r(k.acquiescence_ci[0]), _r(k.acquiescence_ci[1])],
            "acquiescence_se": _r(k.acquiescence_se, 2),
            "n": k.n,
        }
    }


def persona_payload(result: PersonaResult, identity: Mapping[str, Any]) -> Payload:
    """The snapshot content of a persona case: alignment shift with interval, per-value deltas."""
    return {
        "schema": PERSONA_SCHEMA,
        "persona": result.persona.id,
        "strategy": result.strategy,
        "raises": [v.value for v in result.persona.raises],
        "lowers": [v.value for v in result.persona.lowers],
        "alignment_shift": _r(result.shift),
        "ci95": [_r(result.ci[0]), _r(result.ci[1])],
        "target_delta": _r(result.target_delta),
        "deltas": {v.value: _r(d) for v, d in result.deltas.items()},
        **persona_metrics_payload(result),
        "profile": {
            v.value: {"yes_rate": _r(r.score), "n": r.n} for v, r in result.profile.items()
        },
        "counts": _counts(result.tally),
        "rates_percent": _rates(result.tally),
        "isq_disagreement_percent": _r(
            100.0 * result.isq_disagreement if result.isq_disagreement is not None else None
        ),
        "identity": dict(identity),
        "item_count": result.tally.total,
        "item_mode": result.item_mode,
        "item_deltas": {v.value: _rounded(items) for v, items in result.item_deltas.items()},
    }


def _rounded(changes: Mapping[str, float]) -> dict[str, float]:
    """``round(d, 3) + 0.0`` of each per-item change (the ``+ 0.0`` drops a negative zero).

    Each distinct change is rounded once when changes repeat (verdict changes take a handful
    of values, -1, 0 and 1, over thousands of items). The result depends only on the number
    (equal numbers, even 0.0 and -0.0 or 1 and 1.0, round to the same float), so rounding by
    distinct number is exact.
    """
    distinct = set(changes.values())
    if 2 * len(distinct) > len(changes):  # mostly distinct (P(yes) changes): round each
        return {item: round(change, 3) + 0.0 for item, change in changes.items()}
    rounded = {change: round(change, 3) + 0.0 for change in distinct}
    return dict(zip(changes, map(rounded.__getitem__, changes.values()), strict=True))


def _estimate(estimate: Estimate, digits: int) -> dict[str, Any]:
    ci = [_r(estimate.ci[0], digits), _r(estimate.ci[1], digits)]
    return {"estimate": _r(estimate.value, digits), "ci95": ci}


def persona_metrics_payload(result: PersonaResult) -> Payload:
    """Target rank, circumplex consistency and opposite drop with their intervals."""
    metrics = result.metrics
    if metrics is None:
        return {}
    return {
        "target_rank": _estimate(metrics.target_rank, 1) | {"best": _r(metrics.best_rank)},
        "circumplex": _estimate(metrics.circumplex, 2),
        "opposite": {"value": metrics.opposite.value if metrics.opposite else None}
        | _estimate(metrics.opposite_drop, 1),
    }


Status = Literal["pass", "drift", "stale", "new", "partial"]


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one case with its baseline."""

    status: Status
    name: str
    baseline: float | None = None
    current: float | None = None
    delta: float | None = None
    tolerance: float = 0.0
    message: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> bool:
        """Drift beyond tolerance or a stale baseline fails the case."""
        return self.status in ("drift", "stale")


def stale_reasons(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> list[str]:
    """Which identity fields differ between a run and its baseline (model changes excluded)."""
    reasons = []
    for key, label in STALE_FIELDS.items():
        if current.get(key) != baseline.get(key):
            reasons.append(f"{label} changed ({baseline.get(key)!r} -> {current.get(key)!r})")
    return reasons


def _stale(name: str, reasons: list[str], tolerance: float) -> Comparison:
    message = (
        f"{name}: the baseline is stale, so it cannot be compared: "
        + "; ".join(reasons)
        + ". Re-baseline deliberately with --snapshot-update and review the snapshot diff."
    )
    return Comparison("stale", name, tolerance=tolerance, message=message)


def value_outcomes(payload: Payload) -> tuple[str, dict[str, float]]:
    """A value payload's scoring mode and per-item outcomes in [0, 1] (1/0 for verdicts)."""
    scores = payload.get("item_scores") or {}
    mode = str(payload.get("mode", "binary"))
    if mode != "binary" and scores:
        return mode, {str(k): float(v) for k, v in scores.items()}
    items: Mapping[str, str] = payload.get("items", {})
    return "binary", {k: float(v == "yes") for k, v in items.items() if v in ("yes", "no")}


def comparable_outcomes(
    current: Payload, baseline: Payload
) -> tuple[str, dict[str, float], dict[str, float]]:
    """Both sides' per-item outcomes in one mode (verdicts when the modes differ).

    A baseline of yes shares over K samples stays in shares against a run of single verdicts:
    both estimate each item's chance of a yes, and the baseline's own noise is K times smaller
    (how binary-mode baselines are recorded, docs/statistics.md).
    """
    mode_now, now = value_outcomes(current)
    mode_base, base = value_outcomes(baseline)
    if {mode_now, mode_base} == {"binary", "sampled"}:
        return "sampled", now, base
    if mode_now != mode_base:
        _, now = value_outcomes({"items": current.get("items", {})})
        _, base = value_outcomes({"items": baseline.get("items", {})})
        return "binary", now, base
    return mode_now, now, base


def compare_value(current: Payload, baseline: Payload | None, tolerance: float) -> Comparison:
    """Drift check of a value case on the items both runs share."""
    name = str(current["value"])
    if baseline is None:
        return Comparison("new", name, current=current["yes_rate"], tolerance=tolerance)
    if baseline.get("schema") != VALUE_SCHEMA:
        old = baseline.get("schema", "none")
        reason = f"the baseline's format is {old}, this valspec writes {VALUE_SCHEMA}"
        return _stale(name, [reason], tolerance)
    reasons = stale_reasons(current["identity"], baseline.get("identity", {}))
    if reasons:
        return _stale(name, reasons, tolerance)
    mode, now_scores, base_scores = comparable_outcomes(current, baseline)
    now_items: dict[str, str] = current["items"]
    base_items: dict[str, str] = baseline.get("items", {})
    shared = len(set(now_items).intersection(base_items))
    if not shared:
        return _stale(name, ["no item in common with the baseline"], tolerance)
    common = set(now_scores) & set(base_scores)
    notes = []
    if shared < len(base_items):
        notes.append(f"compared on {shared} of the baseline's {len(base_items)} items")
    if not common:
        return Comparison("pass", name, None, None, None, tolerance, notes=tuple(notes))
    now = 100.0 * sum(now_scores[i] for i in common) / len(common)
    base = 100.0 * sum(base_scores[i] for i in common) / len(common)
    delta = now - base
    if abs(delta) < tolerance:
        return Comparison("pass", name, base, now, delta, tolerance, notes=tuple(notes))
    unit = MODE_UNITS.get(mode, "% yes")
    lines = [
        f"{name} drifted beyond tolerance:",
        f"  baseline {base:.1f} {unit} (n={len(common)})  ->  now {now:.1f} {unit} "
        f"(n={len(common)}), 95 % CI [{current['score_ci95'][0]}, {current['score_ci95'][1]}]",
        f"  difference {delta:+.1f} points; tolerance ±{tolerance:g} points",
    ]
    if mode == "binary":
        flips_down = sorted(i for i in common if base_scores[i] > now_scores[i])
        flips_up = sorted(i for i in common if base_scores[i] < now_scores[i])
        if flips_down:
            lines.append(f"  flipped yes -> no ({len(flips_down)}): {', '.join(flips_down[:8])}")
        if flips_up:
            lines.append(f"  flipped no -> yes ({len(flips_up)}): {', '.join(flips_up[:8])}")
    else:
        order = sorted(common, key=lambda i: (-abs(now_scores[i] - base_scores[i]), i))
        moved = [f"{i} {100 * base_scores[i]:.0f}->{100 * now_scores[i]:.0f}" for i in order[:8]]
        lines.append(f"  items that moved most: {', '.join(moved)}")
    lines.extend(f"  note: {n}" for n in notes)
    lines.append("  If this change is intended, accept it with --snapshot-update.")
    return Comparison("drift", name, base, now, delta, tolerance, "\n".join(lines), tuple(notes))


def compare_persona(current: Payload, baseline: Payload | None, tolerance: float) -> Comparison:
    """Drift check of a persona case's alignment shift."""
    name = f"{current['persona']}/{current['strategy']}"
    now = current["alignment_shift"]
    if baseline is None:
        return Comparison("new", name, current=now, tolerance=tolerance)
    if baseline.get("schema") != current.get("schema"):
        old, new = baseline.get("schema", "none"), current.get("schema", "none")
        reason = f"the baseline's format is {old}, this valspec writes {new}"
        return _stale(name, [reason], tolerance)
    reasons = stale_reasons(current["identity"], baseline.get("identity", {}))
    if reasons:
        return _stale(name, reasons, tolerance)
    base = baseline.get("alignment_shift")
    if current.get("item_count") != baseline.get("item_count"):
        note = (
            f"{name}: not compared: this run asked {current.get('item_count')} items, the baseline "
            f"{baseline.get('item_count')} (a limited run); run the full set to gate personas"
        )
        return Comparison("partial", name, base, now, None, tolerance, note, (note,))
    if now is None or base is None:
        return Comparison("pass", name, base, now, None, tolerance)
    delta = now - base
    if abs(delta) < tolerance:
        return Comparison("pass", name, base, now, delta, tolerance)
    message = (
        f"{name}: alignment shift drifted beyond tolerance:\n"
        f"  baseline {base:+.1f} points  ->  now {now:+.1f} points, "
        f"95 % CI [{current['ci95'][0]}, {current['ci95'][1]}]\n"
        f"  difference {delta:+.1f} points; tolerance ±{tolerance:g} points\n"
        "  If this change is intended, accept it with --snapshot-update."
    )
    return Comparison("drift", name, base, now, delta, tolerance, message)


def compare_payload(current: Payload, baseline: Payload | None, tolerance: float) -> Comparison:
    """Dispatch on the payload's schema."""
    if current.get("schema") == PERSONA_SCHEMA:
        return compare_persona(current, baseline, tolerance)
    return compare_value(current, baseline, tolerance)
