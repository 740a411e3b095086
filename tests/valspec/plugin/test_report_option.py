"""--valspec-report DIR: the files a run writes, the same under xdist, never an API key."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from valspec.domain.values import CIRCLE_ORDER
from valspec.reports.radar import PIXELS
from valspec.reports.schema import validate_profile

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

SMALL = ("--valspec-personas=family-oriented", "--valspec-limit=3")
FAKE_KEY = "sk-fake-valspec-test-key-0123456789"

LEAKY_CONFTEST = '''
import os
from valspec.adapters.base import Capabilities, Response
from valspec.adapters.registry import register_adapter


class Leaky:
    """An adapter whose errors and answers repeat the API key, as a careless one might."""

    name = "leaky"
    capabilities = Capabilities(max_batch=8, needs_frames=False)

    def answer(self, requests):
        key = os.environ["OPENAI_API_KEY"]
        return [
            Response.failed(f"HTTP 401 for key {key}")
            if r.item_id.endswith("1")
            else Response(f"Yes. (sent with Authorization: Bearer {key})")
            for r in requests
        ]

    def fingerprint(self):
        return {"adapter": "leaky"}


register_adapter("leaky-report-test", lambda spec: Leaky())
'''


def _responses(folder: Path) -> list[dict[str, str]]:
    with (folder / "responses.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_report_folder_after_a_run(suite: SuiteProject, monkeypatch: pytest.MonkeyPatch) -> None:
    suite.make("sim")
    step = suite.root / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    result = suite.run("--model=sim", *SMALL, "--valspec-report=report")
    result.assert_outcomes(passed=12)
    folder = suite.root / "report"
    result.stdout.fnmatch_lines([f"valspec report: {folder} (profile.json, responses.csv, *)"])
    profile = json.loads((folder / "profile.json").read_text())
    validate_profile(profile)
    assert [v["value"] for v in profile["values"]] == [v.value for v in CIRCLE_ORDER]
    assert [p["case"] for p in profile["personas"]] == [
        "family-oriented-isq",
        "family-oriented-simple",
    ]
    assert profile["model"]["description"].startswith("sim:reference")
    assert sum(profile["summary"]["status_counts"].values()) == 12
    summary = (folder / "summary.md").read_text()
    for value in CIRCLE_ORDER:
        assert summary.count(f"\n| {value.value} |") == 1
    assert step.read_text().startswith(summary.split("![", 1)[0].rstrip())
    # One row per query: each of the 30 items neutral, and as the persona under 2 strategies.
    rows = _responses(folder)
    assert len(rows) == 30 * 3 == len({r["query_key"] for r in rows})
    assert {r["strategy"] for r in rows} == {"neutral", "simple", "isq"}
    assert all(r["verdict"] in {"yes", "no", "refusal", "unparsable"} for r in rows)
    with Image.open(folder / "radar.png") as png:
        assert png.size == (PIXELS, PIXELS)


def test_under_two_workers_one_process_writes_the_same_responses(suite: SuiteProject) -> None:
    suite.make("sim")
    serial = suite.run("--model=sim", *SMALL, "--valspec-report=serial")
    serial.assert_outcomes(passed=12)
    parallel = suite.pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--model=sim", *SMALL, "-n", "2", "--valspec-report=parallel"
    )
    parallel.assert_outcomes(passed=12)
    assert _responses(suite.root / "parallel") == _responses(suite.root / "serial")
    assert sorted(p.name for p in (suite.root / "parallel").iterdir()) == [
        "profile.json",
        "radar.png",
        "radar.svg",
        "responses.csv",
        "summary.md",
    ]
    one = json.loads((suite.root / "serial" / "profile.json").read_text())
    two = json.loads((suite.root / "parallel" / "profile.json").read_text())
    assert one["values"] == two["values"] and one["personas"] == two["personas"]


def test_no_report_file_ever_holds_the_api_key(
    suite: SuiteProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    suite.make()
    suite.pytester.makeconftest(LEAKY_CONFTEST)
    result = suite.run(
        "--model=leaky-report-test:m",
        "--valspec-personas=family-oriented",
        "--valspec-strategies=simple",
        "--valspec-limit=2",
        "--valspec-report=report",
    )
    assert result.ret == 1  # no baselines, and half the queries failed
    folder = suite.root / "report"
    rows = _responses(folder)
    assert len(rows) == 20 * 2
    errors = [r for r in rows if r["verdict"] == "error"]
    assert errors and all("[REDACTED]" in r["error"] for r in errors)
    assert any("[REDACTED]" in r["answer"] for r in rows)
    for path in folder.iterdir():
        assert FAKE_KEY not in path.read_bytes().decode("utf-8", "replace"), path.name
