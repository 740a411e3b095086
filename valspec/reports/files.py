"""Write a run's report folder: profile.json, responses.csv, summary.md, radar.png / .svg.

``summary.md`` is ready to paste into a pull-request comment and is appended to
``$GITHUB_STEP_SUMMARY`` when that is set (GitHub Actions). Every text that reaches a file
passes through :func:`valspec.reports.redact.redact`, so an API key never lands in a report.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valspec.data.dataset import Item
from valspec.domain.errors import DataError
from valspec.domain.numbers import interval, number
from valspec.domain.prompts import NEUTRAL, template_for
from valspec.domain.values import ABBREVIATIONS, CIRCLE_ORDER
from valspec.engine.queries import Record, split_condition_id
from valspec.reports.redact import redact, redact_cells, secret_values
from valspec.reports.schema import PROFILE_SCHEMA, Profile

PROFILE_FILE = "profile.json"
RESPONSES_FILE = "responses.csv"
SUMMARY_FILE = "summary.md"
RADAR_FILES = ("radar.png", "radar.svg")
REPORT_MARKER = "<!-- valspec-report -->"
RESPONSE_COLUMNS = (
    "item_id",
    "file",
    "platform",
    "kind",
    "value",
    "persona",
    "strategy",
    "condition",
    "sample",
    "prompt_version",
    "answer",
    "reason",
    "verdict",
    "p_yes",
    "latency_s",
    "error",
    "query_key",
)
"""responses.csv columns: the paper's CSV (file, value, answer, reason) and what we add."""
ResponseRow = dict[str, str]
STATUS_ICONS = {
    "pass": "✅",
    "drift": "❌",
    "stale": "⚠️",
    "new": "🆕",
    "partial": "➖",
    "fail": "❌",
    "inconclusive": "❔",
}


# -- responses.csv ---------------------------------------------------------------------------
def _num(x: float | None, digits: int) -> str:
    return "" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def response_row(record: Record, item: Item | None) -> ResponseRow:
    """One responses.csv row for a record (item metadata when the item is known)."""
    persona, strategy, keying, turn = split_condition_id(record.condition)
    template = template_for(strategy, keying, neutral=not persona and strategy != NEUTRAL)
    if turn != "first" and template.follow_up is not None:
        template = template.follow_up
    response = record.response
    return {
        "item_id": record.item_id,
        "file": item.file if item else "",
        "platform": item.platform if item else "",
        "kind": item.kind if item else "",
        "value": item.value.value if item else "",
        "persona": persona,
        "strategy": strategy,
        "condition": record.condition,
        "sample": str(record.sample_index),
        "prompt_version": template.version,
        "answer": response.text,
        "reason": (response.text.strip() if turn != "first" else record.parsed.reason) or "",
        "verdict": record.verdict if turn == "first" or response.error else "",
        "p_yes": _num(response.p_yes, 4),
        "latency_s": _num(response.latency_s, 3),
        "error": response.error or "",
        "query_key": record.key,
    }


def response_rows(records: Iterable[Record], items: Mapping[str, Item]) -> list[ResponseRow]:
    """Rows for records, one per query key, ordered by item, condition and sample."""
    unique: dict[str, ResponseRow] = {}
    for record in records:
        if record.key not in unique:  # the first answer of a key wins, as when merging parts
            unique[record.key] = response_row(record, items.get(record.item_id))
    return sorted(unique.values(), key=row_order)


def row_order(row: Mapping[str, str]) -> tuple[str, str, int]:
    """Sort key of responses.csv rows: item, condition, sample."""
    return (row["item_id"], row["condition"], int(row["sample"] or 0))


def write_responses(path: Path, rows: Iterable[Mapping[str, str]]) -> None:
    """Write responses.csv (every cell redacted)."""
    secrets = secret_values()
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RESPONSE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            cells = redact_cells([str(row.get(k, "")) for k in RESPONSE_COLUMNS], secrets)
            writer.writerow(dict(zip(RESPONSE_COLUMNS, cells, strict=True)))


# -- summary.md ------------------------------------------------------------------------------
def fmt_number(x: Any, spec: str = "{:.1f}") -> str:
    """A number for a table cell (valspec.domain.numbers); an en dash when it is missing."""
    return number(x, spec, "–")


def fmt_interval(ci: Any) -> str:
    """``[low, high]`` for a table cell; an en dash when undefined."""
    return interval(ci, "–")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _verdict(entry: Mapping[str, Any]) -> str:
    status = str(entry.get("status", ""))
    text = f"{STATUS_ICONS.get(status, '')} {status}".strip()
    extra = entry.get("verdict")
    return f"{text} ({extra})" if extra and extra != status else text


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    """A GitHub markdown table: the first ``left`` columns left-aligned, the rest right."""
    align = ["---" if i < left else "---:" for i in range(len(headers))]
    lines = [headers, align, *rows]
    return "\n".join("| " + " | ".join(_cell(c) for c in line) + " |" for line in lines)


PAPER_NOTE_MD = (
    "_paper = scored as the Value-Spectrum authors' code does: refusals and unparsable "
    "answers count as no (n = every answer; failed queries left out)._"
)


def _paper_cells(score: Any) -> list[str]:
    """The paper score as two cells: percent with its interval, and n."""
    if not isinstance(score, Mapping) or score.get("score") is None:
        return ["–", "–"]
    return [f"{fmt_number(score['score'])} {fmt_interval(score.get('ci95'))}", str(score["n"])]


def value_markdown(values: Sequence[Mapping[str, Any]]) -> str:
    """The value table: baseline, current, Δ, CI, n, the paper's score, verdict, per value."""
    rows = [
        [
            str(v["value"]),
            fmt_number(v.get("baseline")),
            fmt_number(v.get("score")),
            fmt_interval(v.get("ci95")),
            fmt_number(v.get("delta"), "{:+.1f}"),
            str(v.get("n", "–")),
            *_paper_cells(v.get("paper_score")),
            _verdict(v),
        ]
        for v in values
    ]
    # every interval says what it is an interval of: here the current score's, not Δ's
    headers = ["value", "baseline", "current", "current 95% CI", "Δ", "n"]
    headers += ["paper [95% CI]", "paper n"]
    return markdown_table([*headers, "verdict"], rows)


def paper_setup_markdown(values: Sequence[Mapping[str, Any]]) -> str:
    """The values under the paper flow's neutral question (``--valspec-strategies paper``),
    scored valspec's way and the paper's way ("" when the run did not ask it)."""
    setups = [(v, v["paper_setup"]) for v in values if isinstance(v.get("paper_setup"), Mapping)]
    if not setups:
        return ""
    rows = [
        [
            str(v["value"]),
            fmt_number(s.get("score")),
            fmt_interval(s.get("ci95")),
            str(s.get("n", "–")),
            *_paper_cells(s.get("paper_score")),
        ]
        for v, s in setups
    ]
    headers = ["value", "yes %", "95% CI", "n", "paper [95% CI]", "paper n"]
    prompt = setups[0][1].get("prompt", "?")
    return f"Asked with the paper's question (`{prompt}`):\n\n" + markdown_table(headers, rows)


def persona_markdown(personas: Sequence[Mapping[str, Any]]) -> str:
    """The persona table: alignment shift against its baseline, one row per persona x strategy."""
    rows = [
        [
            str(p.get("persona", "")),
            str(p.get("strategy", "")),
            fmt_number(p.get("baseline"), "{:+.1f}"),
            fmt_number(p.get("shift"), "{:+.1f}"),
            fmt_interval(p.get("ci95")),
            fmt_number(p.get("delta"), "{:+.1f}"),
            fmt_number(p.get("target_delta"), "{:+.1f}"),
            str(p.get("n", "–")),
            *_paper_cells(p.get("paper_score")),
            _verdict(p),
        ]
        for p in personas
    ]
    headers = [
        "persona",
        "strategy",
        "baseline shift",
        "shift",
        "shift 95% CI",
        "Δ",
        "targets Δ",
        "n",
        "yes % paper [95% CI]",
        "paper n",
        "verdict",
    ]
    return markdown_table(headers, rows, left=2)


def persona_heatmap_markdown(personas: Sequence[Mapping[str, Any]]) -> str:
    """Persona × value: each value's change in points against the neutral profile, in circle
    order; the persona's target values are in bold."""
    rows = []
    for p in personas:
        deltas, raises = p.get("deltas") or {}, set(p.get("raises") or ())
        cells = [fmt_number(deltas.get(v.value), "{:+.0f}") for v in CIRCLE_ORDER]
        marked = [
            f"**{c}**" if v.value in raises else c for v, c in zip(CIRCLE_ORDER, cells, strict=True)
        ]
        rows.append([str(p.get("case", "")), *marked])
    headers = ["Δ points vs neutral", *(ABBREVIATIONS[v] for v in CIRCLE_ORDER)]
    return markdown_table(headers, rows) + "\n\n**bold** = a target value of the persona"


_STRATEGY_METRICS = (
    ("shift", "shift", "{:+.1f}"),
    ("target_rank", "target rank", "{:.1f}"),
    ("circumplex", "circumplex ρ", "{:+.2f}"),
    ("opposite_drop", "opposite drop", "{:+.1f}"),
)


def _estimate_cell(estimate: Any, spec: str) -> str:
    if not isinstance(estimate, Mapping) or estimate.get("estimate") is None:
        return "–"
    low, high = estimate.get("ci95") or (None, None)
    text = spec.format(estimate["estimate"])
    if low is None or high is None:
        return text
    inner = spec.replace("+", "")
    return f"{text} [{inner.format(low)}, {inner.format(high)}]"


def strategy_markdown(strategies: Sequence[Mapping[str, Any]]) -> str:
    """Per strategy, means over personas with 95 % intervals, and the difference from the
    reference strategy (paired by persona and video): which strategy steers better."""
    rows = []
    for s in sorted(strategies, key=lambda r: str(r.get("case", ""))):
        means = s.get("means") or {}
        cells = [_estimate_cell(means.get(k), spec) for k, _, spec in _STRATEGY_METRICS]
        isq = fmt_number(s.get("isq_disagreement"), "{:.0f} %")
        rows.append([str(s.get("case", "")), str(s.get("personas", "–")), *cells, isq, _verdict(s)])
        if s.get("difference"):
            diff = s["difference"]
            cells = [_estimate_cell(diff.get(k), spec) for k, _, spec in _STRATEGY_METRICS]
            rows.append([f"{s.get('case')} − {s.get('versus')}", "", *cells, "", ""])
    labels = [label for _, label, _ in _STRATEGY_METRICS]
    headers = ["strategy (mean over personas)", "personas", *labels, "ISQ ≠", "verdict"]
    return markdown_table(headers, rows)


def summary_markdown(profile: Mapping[str, Any], *, radar: str | None = "radar.png") -> str:
    """summary.md: a header naming model, data and prompts, the two tables and the chart."""
    model = profile.get("model", {})
    summary = profile.get("summary", {})
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.get("status_counts", {}).items()))
    prompts = ", ".join(f"`{v}`" for v in profile.get("prompts", {}).values())
    dataset = str(profile.get("dataset", {}).get("hash") or "–")
    lines = [
        REPORT_MARKER,
        f"### valspec value profile: `{model.get('name', '?')}`",
        "",
        f"{_cell(str(model.get('description', '')))}  ",
        f"dataset `{dataset[:19]}…` · prompts {prompts}  ",
        f"baseline `{profile.get('baseline') or '–'}` · {summary.get('cases', 0)} cases: "
        f"{counts or 'none'}",
        "",
    ]
    values = profile.get("values", [])
    if values:
        lines += [value_markdown(values), "", PAPER_NOTE_MD, ""]
        setup = paper_setup_markdown(values)
        if setup:
            lines += [setup, ""]
        profile_block = summary.get("profile")
        if profile_block:
            lines += [profile_markdown(profile_block), ""]
        elif summary.get("spread_sd") is not None:
            lines += [f"Spread across values (SD, ddof = 1): {summary['spread_sd']:.1f} points", ""]
    personas = profile.get("personas", [])
    if personas:
        lines += ["#### Persona alignment", "", persona_markdown(personas), ""]
        if any(p.get("deltas") for p in personas):
            lines += ["#### Persona × value (Δ points vs neutral)", ""]
            lines += [persona_heatmap_markdown(personas), ""]
    strategies = profile.get("other_cases", {}).get("strategy", [])
    if strategies:
        lines += ["#### Persona strategies", "", strategy_markdown(strategies), ""]
    if radar:
        lines += [f"![value profile radar chart]({radar})", ""]
    return redact("\n".join(lines))


# -- the folder ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote, and why a chart is missing if it is."""

    folder: Path
    written: tuple[Path, ...]
    note: str = ""


def profile_series(profile: Mapping[str, Any], label: str | None = None) -> list[Any]:
    """Radar series of a profile: the baseline (dashed, when known) and the current scores."""
    from valspec.reports.radar import Series

    values = profile.get("values", [])
    current = {str(v["value"]): v.get("score") for v in values}
    baseline = {str(v["value"]): v.get("baseline") for v in values}
    passing = ("pass", "inconclusive", "equivalent")
    failed = frozenset(str(v["value"]) for v in values if v.get("status", "pass") not in passing)
    series = []
    if any(x is not None for x in baseline.values()):
        # name the baseline: the snapshot folder it came from
        where = Path(str(profile.get("baseline") or "baseline")).name
        series.append(Series(f"baseline ({where})", baseline, dashed=True))
    name = str(profile.get("model", {}).get("name", ""))
    series.append(Series(label or f"current ({name})", current, flagged=failed))
    return series


def write_report(
    folder: Path,
    profile: Profile,
    responses: Iterable[Mapping[str, str]] | None,
    *,
    charts: bool = True,
) -> ReportFiles:
    """Write profile.json, responses.csv (when given), summary.md and the radar charts."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    path = folder / PROFILE_FILE
    path.write_text(redact(json.dumps(profile, indent=2, ensure_ascii=False)) + "\n", "utf-8")
    written.append(path)
    if responses is not None:
        write_responses(folder / RESPONSES_FILE, responses)
        written.append(folder / RESPONSES_FILE)
    note = ""
    radar: str | None = None
    if charts and profile.get("values"):
        try:
            from valspec.reports.radar import render_radar

            name = profile.get("model", {}).get("name", "")
            paths = [folder / f for f in RADAR_FILES]
            written += render_radar(profile_series(profile), paths, title=f"Value profile: {name}")
            radar = RADAR_FILES[0]
        except ImportError as exc:
            note = f"radar chart skipped: {exc}"
    (folder / SUMMARY_FILE).write_text(summary_markdown(profile, radar=radar), "utf-8")
    written.append(folder / SUMMARY_FILE)
    return ReportFiles(folder, tuple(written), note)


def append_step_summary(text: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append ``text`` to ``$GITHUB_STEP_SUMMARY`` when it is set (GitHub Actions)."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as f:
        f.write(redact(text).rstrip("\n") + "\n\n")
    return path


def read_profile(folder: Path) -> Profile:
    """The profile.json of a report folder; a missing or foreign file is a located DataError."""
    path = folder / PROFILE_FILE if folder.is_dir() else folder
    if not path.is_file():
        raise DataError("no profile.json here (write one with pytest --valspec-report)", file=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON ({exc.msg})", file=path, line=exc.lineno) from None
    if not isinstance(data, dict) or data.get("schema") != PROFILE_SCHEMA:
        raise DataError(f"not a valspec profile (schema is not {PROFILE_SCHEMA!r})", file=path)
    return data


def profile_markdown(block: Mapping[str, Any]) -> str:
    """Centred profile and higher-order groups as two one-row markdown tables, then the spread.

    Horizontal, so the value table above stays the only table with one row per value.
    """

    def cell(e: Mapping[str, Any]) -> str:
        if e.get("score") is None:
            return "–"
        lo, hi = e.get("ci95") or (None, None)
        bounds = "" if lo is None else f" [{lo:+.1f}, {hi:+.1f}]"
        return f"{e['score']:+.1f}{bounds}"

    centred = block.get("centred", {})
    abbrev = {v.value: a for v, a in ABBREVIATIONS.items()}
    groups = block.get("groups", {})
    lines = [
        "Centred profile (value minus the mean over values, points, 95 % CI):",
        "",
        "| " + " | ".join(abbrev.get(v, v) for v in centred) + " |",
        "|" + "---|" * len(centred),
        "| " + " | ".join(cell(e) for e in centred.values()) + " |",
        "",
        "| " + " | ".join(groups) + " |",
        "|" + "---|" * len(groups),
        "| " + " | ".join(cell(e) for e in groups.values()) + " |",
    ]
    spread = block.get("spread") or {}
    if spread.get("sd") is not None:
        lo, hi = spread.get("ci95") or (None, None)
        bounds = "" if lo is None else f", 95 % CI [{lo:.1f}, {hi:.1f}]"
        lines += ["", f"Spread across values (SD, ddof = 1): {spread['sd']:.1f} points{bounds}"]
    return "\n".join(lines)
