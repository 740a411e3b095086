"""``valspec dataset stats``: what a dataset holds and the smallest change it can detect.

Counts per value × platform × kind, and per value the smallest change the drift gate would
detect with 80 % power for each scoring mode, from
:func:`valspec.measure.detectable.min_detectable_change` (the one place that follows the
gate's rules) with the per-item spread each mode assumes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from valspec.data.dataset import KINDS, PLATFORMS, Dataset
from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.measure.detectable import (
    DEFAULT_SPREADS,
    MODES,
    VALUE_ALPHA,
    Mode,
    Spread,
    min_detectable_change,
)
from valspec.measure.gate import DEFAULT_POWER


@dataclass(frozen=True)
class DatasetStats:
    """Counts and detectable changes of one dataset."""

    counts: Mapping[tuple[Value, str, str], int]  # (value, platform, kind) -> items
    per_value: Mapping[Value, int]
    detectable: Mapping[Mode, Mapping[Value, float]]  # mode -> value -> points (inf: none)
    spreads: Mapping[Mode, Spread]
    alpha: float
    power: float
    family: int
    mean_confidence: Mapping[Value, float]  # from the manifest's confidence, when present

    def count_table(self) -> tuple[list[str], list[list[str]]]:
        """Headers and rows: value, one column per platform × kind present, total."""
        columns = [
            (p, k)
            for p in PLATFORMS
            for k in KINDS
            if any(self.counts.get((v, p, k), 0) for v in CIRCLE_ORDER)
        ]
        headers = ["value", *(f"{p}/{k}" for p, k in columns), "total"]
        rows = [
            [v.value, *(str(self.counts.get((v, p, k), 0)) for p, k in columns), str(n)]
            for v, n in self.per_value.items()
        ]
        totals = [sum(self.counts.get((v, p, k), 0) for v in CIRCLE_ORDER) for p, k in columns]
        rows.append(["all", *(str(t) for t in totals), str(sum(self.per_value.values()))])
        return headers, rows

    def detectable_table(self) -> tuple[list[str], list[list[str]]]:
        """Headers and rows: value, n, then the detectable change in points per mode."""
        headers = ["value", "n", *(f"{m} (points)" for m in MODES)]
        rows = []
        for v, n in self.per_value.items():
            cells = [_points(self.detectable[m][v]) for m in MODES]
            rows.append([v.value, str(n), *cells])
        return headers, rows


def dataset_stats(
    dataset: Dataset,
    *,
    alpha: float = VALUE_ALPHA,
    power: float = DEFAULT_POWER,
    spreads: Mapping[Mode, float] | None = None,
    confidences: Mapping[str, float] | None = None,
) -> DatasetStats:
    """Counts and detectable changes; ``spreads`` overrides the assumed spread per mode.

    The Holm family is the number of values with items (how the gate counts a run's values).
    """
    counts: Counter[tuple[Value, str, str]] = Counter(
        (i.value, i.platform, i.kind) for i in dataset.items
    )
    per_value = {v: len(items) for v, items in dataset.by_value().items()}
    used = dict(DEFAULT_SPREADS)
    for mode, value in (spreads or {}).items():
        used[mode] = Spread(mode, value, "given with --spread")
    family = max(1, len(per_value))
    detectable = {
        m: {
            v: min_detectable_change(n, m, used[m].value, alpha, power, family=family)
            for v, n in per_value.items()
        }
        for m in MODES
    }
    mean_conf: dict[Value, float] = {}
    if confidences:
        for v, items in dataset.by_value().items():
            known = [confidences[i.id] for i in items if i.id in confidences]
            if known:
                mean_conf[v] = sum(known) / len(known)
    return DatasetStats(counts, per_value, detectable, used, alpha, power, family, mean_conf)


def _points(x: float) -> str:
    return "—" if math.isinf(x) else f"{x:.1f}"


def manifest_confidences(dataset: Dataset) -> dict[str, float]:
    """Item id -> ``confidence`` for rows whose label was retrieved (other rows are left out)."""
    import json

    out: dict[str, float] = {}
    with dataset.manifest.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)  # load_dataset already checked every line
            conf = row.get("confidence")
            if row.get("label") == "retrieved" and isinstance(conf, int | float):
                out[str(row.get("id") or "")] = float(conf)
    return out
