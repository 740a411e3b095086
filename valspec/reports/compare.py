"""``valspec compare``: several report folders (several models) as one table and one radar chart.

Each folder holds a ``profile.json`` written by ``pytest --valspec-report``. The table has a
row per value and a column per model, with the mean across models and each model's spread
(SD across values), like the paper's 8-model comparison; the chart draws one line per model.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valspec.domain.errors import ConfigError
from valspec.domain.values import CIRCLE_ORDER
from valspec.reports.files import fmt_number, markdown_table, read_profile
from valspec.reports.radar import Series

COMPARE_FILE = "compare.md"
CHART_FILES = ("compare.png", "compare.svg")


@dataclass(frozen=True)
class ModelProfile:
    """A model's label (unique within a comparison) and its scores by value name."""

    label: str
    scores: dict[str, float | None]
    description: str = ""


def load_profiles(folders: Sequence[Path]) -> list[ModelProfile]:
    """Read each folder's profile.json; labels are model names (the folder's when they clash)."""
    if not folders:
        raise ConfigError("valspec compare needs at least one report folder")
    loaded = [(folder, read_profile(folder)) for folder in folders]
    names = [str(p.get("model", {}).get("name", f.name)) for f, p in loaded]
    result = []
    for (folder, profile), name in zip(loaded, names, strict=True):
        label = name if names.count(name) == 1 else f"{name} ({folder.name})"
        scores = profile_scores(profile)
        result.append(ModelProfile(label, scores, str(profile["model"].get("description", ""))))
    return result


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return statistics.fmean(vals) if vals else None


def _sd(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return statistics.stdev(vals) if len(vals) >= 2 else None


def compare_table(models: Sequence[ModelProfile]) -> str:
    """Values by model (score per cell), the mean across models, and each model's spread."""
    rows: list[list[str]] = []
    for value in (v.value for v in CIRCLE_ORDER):
        cells = [m.scores.get(value) for m in models]
        if all(c is None for c in cells):
            continue
        rows.append([value, *(fmt_number(c) for c in cells), fmt_number(_mean(cells))])
    spreads = [_sd(list(m.scores.values())) for m in models]
    rows.append(["SD across values", *(fmt_number(s) for s in spreads), ""])
    return markdown_table(["value", *(m.label for m in models), "mean"], rows)


def compare_markdown(models: Sequence[ModelProfile], *, chart: str | None = None) -> str:
    """compare.md: the table, which model is which, and the chart link."""
    lines = ["### valspec model comparison", "", compare_table(models), ""]
    lines += [f"* `{m.label}`: {m.description}" for m in models if m.description]
    if chart:
        lines += ["", f"![value profiles of {len(models)} models]({chart})"]
    return "\n".join(lines) + "\n"


def write_compare(
    out: Path, folders: Sequence[Path], *, charts: bool = True, title: str | None = None
) -> list[Path]:
    """Write compare.md and compare.png / compare.svg for the report folders."""
    models = load_profiles(folders)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    chart = None
    if charts:
        from valspec.reports.radar import render_radar

        series = [Series(m.label, m.scores) for m in models]
        written += render_radar(
            series, [out / f for f in CHART_FILES], title=title or "Value profiles"
        )
        chart = CHART_FILES[0]
    path = out / COMPARE_FILE
    path.write_text(compare_markdown(models, chart=chart), encoding="utf-8")
    return [path, *written]


def profile_scores(profile: dict[str, Any]) -> dict[str, float | None]:
    """Scores by value name of a profile.json document."""
    return {str(v["value"]): v.get("score") for v in profile.get("values", [])}
