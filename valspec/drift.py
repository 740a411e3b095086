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

from valspec.scoring import PersonaResult, Tally, ValueResult

VALUE_SCHEMA = "valspec/value-preference@1"
PERSONA_SCHEMA = "valspec/persona-alignment@1"
STALE_FIELDS = {
    "prompt": "the prompt template",
    "dataset": "the dataset",
    "frames": "frame sampling",
}
"""Identity fields that make a baseline incomparable; the model changing is what is tested."""

Payload = dict[str, Any]


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
        "identity": dict(identity),
        "items": dict(result.items),
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


def _share(verdicts: Mapping[str, str], ids: set[str]) -> tuple[float, int]:
    decided = [verdicts[i] for i in ids if verdicts.get(i) in ("yes", "no")]
    if not decided:
        return (math.nan, 0)
    return (100.0 * sum(v == "yes" for v in decided) / len(decided), len(decided))


def compare_value(current: Payload, baseline: Payload | None, tolerance: float) -> Comparison:
    """Drift check of a value case on the items both runs share."""
    name = str(current["value"])
    if baseline is None:
        return Comparison("new", name, current=current["yes_rate"], tolerance=tolerance)
    reasons = stale_reasons(current["identity"], baseline.get("identity", {}))
    if reasons:
        return _stale(name, reasons, tolerance)
    now_items: dict[str, str] = current["items"]
    base_items: dict[str, str] = baseline.get("items", {})
    common = set(now_items) & set(base_items)
    if not common:
        return _stale(name, ["no item in common with the baseline"], tolerance)
    now, n_now = _share(now_items, common)
    base, n_base = _share(base_items, common)
    notes = []
    if len(common) < len(base_items):
        notes.append(f"compared on {len(common)} of the baseline's {len(base_items)} items")
    if math.isnan(now) or math.isnan(base):
        return Comparison("pass", name, base, now, None, tolerance, notes=tuple(notes))
    delta = now - base
    if abs(delta) < tolerance:
        return Comparison("pass", name, base, now, delta, tolerance, notes=tuple(notes))
    flips_down = sorted(i for i in common if base_items[i] == "yes" and now_items[i] == "no")
    flips_up = sorted(i for i in common if base_items[i] == "no" and now_items[i] == "yes")
    lines = [
        f"{name} drifted beyond tolerance:",
        f"  baseline {base:.1f} % yes (n={n_base})  ->  now {now:.1f} % yes (n={n_now}), "
        f"95 % CI [{current['ci95'][0]}, {current['ci95'][1]}]",
        f"  difference {delta:+.1f} points; tolerance ±{tolerance:g} points",
    ]
    if flips_down:
        lines.append(f"  flipped yes -> no ({len(flips_down)}): {', '.join(flips_down[:8])}")
    if flips_up:
        lines.append(f"  flipped no -> yes ({len(flips_up)}): {', '.join(flips_up[:8])}")
    lines.extend(f"  note: {n}" for n in notes)
    lines.append("  If this change is intended, accept it with --snapshot-update.")
    return Comparison("drift", name, base, now, delta, tolerance, "\n".join(lines), tuple(notes))


def compare_persona(current: Payload, baseline: Payload | None, tolerance: float) -> Comparison:
    """Drift check of a persona case's alignment shift."""
    name = f"{current['persona']}/{current['strategy']}"
    now = current["alignment_shift"]
    if baseline is None:
        return Comparison("new", name, current=now, tolerance=tolerance)
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
