"""The report folder: summary.md, responses.csv, radar charts, $GITHUB_STEP_SUMMARY; no key in
any file (the redaction rules themselves: test_redact.py)."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from valspec.adapters.base import Response
from valspec.data.dataset import Item
from valspec.domain.errors import DataError
from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.engine.queries import Record
from valspec.parsing import ParsedAnswer, Verdict
from valspec.reports.files import (
    REPORT_MARKER,
    RESPONSE_COLUMNS,
    append_step_summary,
    read_profile,
    response_rows,
    summary_markdown,
    write_report,
)
from valspec.reports.radar import PIXELS
from valspec.reports.redact import MASK
from valspec.reports.schema import build_profile, validate_profile

PROMPTS = {"neutral": "neutral-v1-abcdef12"}
FAKE_KEY = "sk-test-0123456789abcdefFAKEKEY"


def _item(item_id: str, value: Value) -> Item:
    return Item(
        id=item_id,
        file=f"{value.value}/{item_id}.mp4",
        path=Path("/data") / value.value / f"{item_id}.mp4",
        kind="video",
        platform="tiktok",
        value=value,
        sha256="0" * 64,
    )


def _record(item_id: str, condition: str, response: Response, verdict: Verdict) -> Record:
    return Record(
        key=f"{item_id}|{condition}",
        item_id=item_id,
        condition=condition,
        sample_index=0,
        response=response,
        parsed=ParsedAnswer(verdict=verdict, reason="fun to watch"),
    )


def test_summary_has_one_row_per_value_and_per_persona_case(rows: list[dict[str, Any]]) -> None:
    text = summary_markdown(build_profile(rows, prompts=PROMPTS, baseline="snapshots/sim"))
    assert text.startswith(REPORT_MARKER)
    table = [line for line in text.splitlines() if line.startswith("| ")]
    for value in CIRCLE_ORDER:
        assert sum(line.startswith(f"| {value.value} |") for line in table) == 1
    power = next(line for line in table if line.startswith("| power |"))
    assert power.split(" | ")[1:5] == ["62.0", "60.0", "[40.0, 75.0]", "-2.0"]  # CI of "current"
    assert sum(line.startswith("| family-oriented |") for line in table) == 2
    assert "![value profile radar chart](radar.png)" in text


def test_write_report_writes_every_file_and_the_charts_open(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    profile = build_profile(rows, prompts=PROMPTS)
    files = write_report(tmp_path, profile, [])
    names = sorted(p.name for p in files.written)
    assert names == ["profile.json", "radar.png", "radar.svg", "responses.csv", "summary.md"]
    validate_profile(json.loads((tmp_path / "profile.json").read_text()))
    assert read_profile(tmp_path)["values"] == profile["values"]
    with Image.open(tmp_path / "radar.png") as png:
        png.load()
        assert png.size == (PIXELS, PIXELS)
        assert png.format == "PNG"
    root = ET.parse(tmp_path / "radar.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "self-direction" in (tmp_path / "radar.svg").read_text()


def test_radar_lines_differ_where_the_profiles_differ(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    same = [r | {"baseline": r.get("score")} for r in rows]
    write_report(tmp_path / "a", build_profile(same, prompts=PROMPTS), None)
    write_report(tmp_path / "b", build_profile(rows, prompts=PROMPTS), None)
    with (
        Image.open(tmp_path / "a" / "radar.png") as a,
        Image.open(tmp_path / "b" / "radar.png") as b,
    ):
        assert a.tobytes() != b.tobytes()


def test_responses_have_one_row_per_query_and_never_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("MY_VLM_TOKEN", "plain-secret-without-shape")
    items = {i: _item(i, Value.POWER) for i in ("po-01", "po-02")}
    leaked = Response.failed(f"401: invalid api key {FAKE_KEY}; token plain-secret-without-shape")
    records = [
        _record(
            "po-01", "neutral", Response("Yes, nice.", p_yes=0.81234, latency_s=0.2), Verdict.YES
        ),
        _record("po-02", "neutral", leaked, Verdict.UNPARSABLE),
        _record("po-01", "family-oriented/simple", Response(f"No {FAKE_KEY}"), Verdict.NO),
        _record("po-01", "neutral", Response("Yes, nice."), Verdict.YES),  # same key: once
    ]
    table = response_rows(records, items)
    write_report(tmp_path, build_profile(rows, prompts=PROMPTS), table, charts=False)
    text = (tmp_path / "responses.csv").read_text()
    assert FAKE_KEY not in text and "plain-secret-without-shape" not in text
    got = list(csv.DictReader(text.splitlines()))
    assert len(got) == 3
    assert tuple(got[0]) == RESPONSE_COLUMNS
    persona, first, failed = got  # ordered by item, then condition
    assert (first["persona"], first["strategy"], first["verdict"]) == ("", "neutral", "yes")
    assert (first["p_yes"], first["file"], first["value"]) == ("0.8123", "power/po-01.mp4", "power")
    assert (persona["persona"], persona["strategy"]) == ("family-oriented", "simple")
    assert persona["prompt_version"].startswith("simple-v")
    assert failed["verdict"] == "error" and MASK in failed["error"]
    for path in tmp_path.iterdir():
        assert FAKE_KEY not in path.read_text(errors="replace")


def test_step_summary_is_appended_only_when_set(tmp_path: Path) -> None:
    assert append_step_summary("text", environ={}) is None
    target = tmp_path / "step.md"
    target.write_text("earlier step\n")
    assert append_step_summary("| power |", environ={"GITHUB_STEP_SUMMARY": str(target)}) == target
    assert target.read_text() == "earlier step\n| power |\n\n"


def test_read_profile_names_the_file_when_it_is_not_a_profile(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"profile.json: no profile.json here"):
        read_profile(tmp_path)
    (tmp_path / "profile.json").write_text('{"schema": "other"}')
    with pytest.raises(DataError, match="not a valspec profile"):
        read_profile(tmp_path)


def test_the_radar_names_the_baseline_and_marks_failed_values(tmp_path: Path) -> None:
    from valspec.reports.files import profile_series
    from valspec.reports.radar import render_radar

    profile = {
        "model": {"name": "sim:drifted"},
        "baseline": "/repo/snapshots/sim",
        "values": [
            {"value": "power", "score": 96.0, "baseline": 67.4, "status": "drift"},
            {"value": "security", "score": 56.7, "baseline": 56.7, "status": "inconclusive"},
        ],
    }
    baseline, current = profile_series(profile)
    assert baseline.label == "baseline (sim)" and baseline.dashed
    assert current.flagged == frozenset({"power"})
    written = render_radar([baseline, current], [tmp_path / "radar.svg"])
    svg = written[0].read_text(encoding="utf-8")
    assert "baseline (sim)" in svg and "failed: power" in svg
