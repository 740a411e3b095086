"""profile.json: the run's profile built from the rows the suite's tests attach, and its schema.

Rows (see ``valspec.suite``) are small JSON-ready dicts that travel back from xdist workers.
:func:`build_profile` maps them onto the documented ``valspec/profile@1`` layout and carries
any field it does not know through unchanged, so statistics or persona metrics added to the
rows later land in profile.json without a change here.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata, resources
from typing import Any

from valspec.domain.values import CIRCLE_ORDER
from valspec.reports.terminal import profile_summary_of

PROFILE_SCHEMA = "valspec/profile@1"
SCHEMA_FILE = "profile.schema.json"
Row = Mapping[str, Any]
Profile = dict[str, Any]

# Row fields renamed or regrouped on the way into profile.json; every other field is kept.
_VALUE_FIELDS = {
    "case",
    "kind",
    "model",
    "identity",
    "ci",
    "unparsable",
    "errors",
    "refusals",
    "item_outcomes",  # per-item outcomes: summarised under summary.profile, not repeated here
}
_PERSONA_FIELDS = {"kind", "model", "identity", "ci", "unparsable", "errors", "refusals"}


def valspec_version() -> str:
    """The installed valspec version (``unknown`` when run from a bare source tree)."""
    try:
        return metadata.version("valspec")
    except metadata.PackageNotFoundError:
        return "unknown"


def load_schema() -> dict[str, Any]:
    """The JSON Schema of profile.json (shipped inside the package)."""
    text = resources.files("valspec.reports").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_profile(profile: Mapping[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``profile`` does not follow the schema."""
    try:
        import jsonschema  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - jsonschema comes with the dev extra
        raise ImportError("validating needs jsonschema: pip install 'valspec[dev]'") from None
    jsonschema.validate(dict(profile), load_schema())


def _rates(row: Row) -> dict[str, Any]:
    return {
        "refusal": row.get("refusals"),
        "unparsable": row.get("unparsable"),
        "error": row.get("errors"),
    }


def _prompt(row: Row) -> dict[str, Any]:
    identity = row.get("identity") or {}
    return {"prompt": identity["prompt"]} if "prompt" in identity else {}


def value_entry(row: Row) -> dict[str, Any]:
    """A value row as profile.json holds it (unknown fields kept as they are)."""
    entry = {
        "value": row["case"],
        "score": row.get("score"),
        "ci95": list(row.get("ci") or [None, None]),
        "n": int(row.get("n") or 0),
        "rates_percent": _rates(row),
        "mean_p_yes": row.get("mean_p_yes"),
        "baseline": row.get("baseline"),
        "delta": row.get("delta"),
        "status": row.get("status", "pass"),
        **_prompt(row),
    }
    extra = {k: v for k, v in row.items() if k not in _VALUE_FIELDS and k not in entry}
    return entry | extra


def persona_entry(row: Row) -> dict[str, Any]:
    """A persona row as profile.json holds it (unknown fields kept as they are)."""
    case = str(row["case"])
    persona, _, strategy = case.rpartition("-")
    entry = {
        "case": case,
        "persona": row.get("persona", persona),
        "strategy": row.get("strategy", strategy),
        "shift": row.get("shift"),
        "ci95": list(row.get("ci") or [None, None]),
        "target_delta": row.get("target_delta"),
        "n": int(row.get("n") or 0),
        "rates_percent": _rates(row),
        "baseline": row.get("baseline"),
        "delta": row.get("delta"),
        "status": row.get("status", "pass"),
        **_prompt(row),
    }
    extra = {k: v for k, v in row.items() if k not in _PERSONA_FIELDS and k not in entry}
    return entry | extra


def _identity(rows: Iterable[Row]) -> dict[str, Any]:
    for row in rows:
        if isinstance(row.get("identity"), Mapping):
            return dict(row["identity"])
    return {}


def build_profile(
    rows: Iterable[Row],
    *,
    prompts: Mapping[str, str],
    baseline: str | None = None,
    model_name: str | None = None,
    created: datetime | None = None,
) -> Profile:
    """The profile.json content for the rows of one run (values in circle order)."""
    rows = list(rows)
    order = {v.value: i for i, v in enumerate(CIRCLE_ORDER)}
    value_rows = sorted(
        (r for r in rows if r.get("kind") == "value"), key=lambda r: order.get(r["case"], 99)
    )
    persona_rows = sorted((r for r in rows if r.get("kind") == "persona"), key=lambda r: r["case"])
    identity = _identity(rows)
    fingerprint = dict(identity.get("model") or {})
    spec = str(fingerprint.pop("spec", "") or model_name or "unknown")
    description = next((str(r["model"]) for r in rows if r.get("model")), spec)
    values = [value_entry(r) for r in value_rows]
    personas = [persona_entry(r) for r in persona_rows]
    others: dict[str, list[dict[str, Any]]] = {}
    for row in rows:  # e.g. per-strategy summaries: kept as they are, grouped by kind
        if row.get("kind") not in ("value", "persona"):
            entry = {k: v for k, v in row.items() if k not in ("kind", "model", "identity")}
            others.setdefault(str(row.get("kind")), []).append(entry)
    scores = [v["score"] for v in values if isinstance(v["score"], int | float)]
    when = created or datetime.now(UTC)
    return {
        "schema": PROFILE_SCHEMA,
        "valspec_version": valspec_version(),
        "created": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "model": {"name": spec, "description": description, "fingerprint": fingerprint},
        "dataset": {"hash": identity.get("dataset")},
        "prompts": dict(prompts),
        "frames": identity.get("frames"),
        "sampling": identity.get("sampling"),
        "baseline": baseline,
        "values": values,
        "personas": personas,
        "other_cases": others,
        "summary": {
            "cases": len(values) + len(personas),
            "status_counts": dict(Counter(str(e["status"]) for e in [*values, *personas])),
            "spread_sd": round(statistics.stdev(scores), 2) if len(scores) >= 2 else None,
            "profile": profile_summary_of(value_rows),
        },
    }
