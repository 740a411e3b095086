"""Persona tables in the report files: the persona × value heat map and the strategy summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from valspec.domain.values import ABBREVIATIONS, CIRCLE_ORDER
from valspec.reports.files import write_report
from valspec.reports.schema import build_profile

PROMPTS = {"neutral": "neutral-v1-abcdef12"}


def _estimate(x: float, low: float, high: float) -> dict[str, Any]:
    return {"estimate": x, "ci95": [low, high]}


def strategy_row(strategy: str, shift: float, versus: str | None = None) -> dict[str, Any]:
    """A per-strategy row as valspec.session.strategy_cases.strategy_row records it."""
    row: dict[str, Any] = {
        "kind": "strategy",
        "case": strategy,
        "personas": 2,
        "means": {
            "shift": _estimate(shift, shift - 5, shift + 5),
            "target_rank": _estimate(2.5, 2.1, 2.9),
            "circumplex": _estimate(0.87, 0.82, 0.91),
            "opposite_drop": _estimate(46.8, 35.6, 57.4),
        },
        "isq_disagreement": 3.0 if strategy == "isq" else None,
        "versus": versus,
        "status": "pass",
        "model": "sim:reference — SIMULATED model",
    }
    if versus:
        row["difference"] = {"shift": _estimate(5.9, 3.8, 8.2)}
    return row


def _tables(text: str) -> dict[str, list[list[str]]]:
    """Markdown tables by the heading above them, as lists of cells."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("# ").strip()
        elif line.startswith("| "):
            tables.setdefault(heading, []).append([c.strip() for c in line.strip("|").split(" | ")])
    return tables


def test_summary_md_and_profile_json_carry_the_heatmap_and_strategy_table(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    rows = [*rows, strategy_row("simple", 29.5), strategy_row("isq", 35.4, versus="simple")]
    write_report(tmp_path, build_profile(rows, prompts=PROMPTS), None, charts=False)
    tables = _tables((tmp_path / "summary.md").read_text(encoding="utf-8"))

    heat = tables["Persona × value (Δ points vs neutral)"]
    assert heat[0] == ["Δ points vs neutral", *(ABBREVIATIONS[v] for v in CIRCLE_ORDER)]
    by_case = {r[0]: dict(zip(heat[0][1:], r[1:], strict=True)) for r in heat[2:]}
    assert set(by_case) == {"family-oriented-simple", "family-oriented-isq"}
    cells = by_case["family-oriented-isq"]
    assert cells["BE"] == "**+12**"  # a target value, in bold
    assert cells["PO"] == "-4"
    assert cells["SD"] == "–"  # no change measured for that value

    strategy = tables["Persona strategies"]
    assert strategy[0][:3] == ["strategy (mean over personas)", "personas", "shift"]
    assert [r[0] for r in strategy[2:]] == ["isq", "isq − simple", "simple"]
    assert strategy[2][1:3] == ["2", "+35.4 [30.4, 40.4]"]
    assert strategy[2][6] == "3 %" and strategy[4][6] == "–"
    assert strategy[3][2] == "+5.9 [3.8, 8.2]"

    profile = json.loads((tmp_path / "profile.json").read_text(encoding="utf-8"))
    persona = next(p for p in profile["personas"] if p["case"] == "family-oriented-isq")
    assert persona["deltas"] == {"benevolence": 12.0, "power": -4.0}
    assert persona["raises"] == ["benevolence"]
    strategies = {s["case"]: s for s in profile["other_cases"]["strategy"]}
    assert strategies["isq"]["means"]["shift"]["estimate"] == 35.4
    assert strategies["isq"]["difference"]["shift"]["ci95"] == [3.8, 8.2]


def test_no_persona_tables_without_persona_cases(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    values_only = [r for r in rows if r["kind"] == "value"]
    write_report(tmp_path, build_profile(values_only, prompts=PROMPTS), None, charts=False)
    tables = _tables((tmp_path / "summary.md").read_text(encoding="utf-8"))
    assert "Persona × value (Δ points vs neutral)" not in tables
    assert "Persona strategies" not in tables
