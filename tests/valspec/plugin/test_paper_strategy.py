"""``--valspec-strategies paper`` end to end: the opt-in strategy, its reason turn through the
cache, and the paper's score beside valspec's in the terminal, summary.md and profile.json."""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING

from valspec.reports.schema import validate_profile

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

FULL_SUITE = (
    "from valspec.suite import test_persona_alignment, test_persona_circumplex, "
    "test_value_preference\n"
)
ARGS = ("--model=sim", "--valspec-personas=family-oriented", "--valspec-limit=2")


def test_paper_strategy_with_its_reason_turn_cached_and_reported(suite: SuiteProject) -> None:
    suite.make("sim", extra_config="paper_reason = true\n")
    suite.pytester.makepyfile(test_value_suite=FULL_SUITE)
    cache, report = suite.root / "cache.sqlite", suite.root / "report"
    selected = (*ARGS, "--valspec-strategies=paper", f"--valspec-cache={cache}")
    first = suite.run(*selected, "--snapshot-update")
    first.assert_outcomes(passed=10 + 1 + 1)  # values, family-oriented-paper, circumplex[paper]
    out = first.stdout.str()
    cases = [line.split()[0] for line in out.splitlines() if line.startswith("family-oriented-")]
    assert set(cases) == {"family-oriented-paper"}
    assert "paper %" in out and "refusals and unparsable answers count as no" in out
    assert "paper setup (paper-neutral-v1-" in out
    assert (
        suite.root / "snapshots/sim/test_persona_alignment[family-oriented-paper].json"
    ).exists()

    # a re-run offline needs nothing it has not stored: first turns and reasons are cached
    second = suite.run(*selected, "--valspec-offline", f"--valspec-report={report}")
    second.assert_outcomes(passed=12)

    profile = json.loads((report / "profile.json").read_text(encoding="utf-8"))
    validate_profile(profile)
    for entry in profile["values"]:
        paper, setup = entry["paper_score"], entry["paper_setup"]
        assert paper["n"] >= entry["n"]  # every answer, refusals and unparsable ones included
        assert setup["prompt"].startswith("paper-neutral-v1-") and setup["n"] >= 1
        assert set(setup["paper_score"]) == {"score", "ci95", "n"}
    (persona,) = profile["personas"]
    assert persona["strategy"] == "paper" and persona["paper_score"]["n"] == 20
    assert persona["prompt"].startswith("paper-neutral-v1-") and "+paper-v1-" in persona["prompt"]

    with (report / "responses.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    conditions = {r["condition"] for r in rows}
    assert {"family-oriented/paper>reason", "neutral:paper>reason", "neutral:paper"} <= conditions
    reasons = [r for r in rows if r["condition"].endswith(">reason")]
    assert len(reasons) == 2 * 20 and all(r["verdict"] == "" for r in reasons)
    # a decided first answer gets its reason; a refused or unparsable one (1 % each) none
    assert all(r["reason"].startswith(("Because", "I would rather not say")) for r in reasons)
    assert sum(r["reason"].startswith("Because") for r in reasons) >= len(reasons) - 4
    assert all(r["prompt_version"].startswith("paper-reason-v1-") for r in reasons)
    summary = (report / "summary.md").read_text(encoding="utf-8")
    assert "paper [95% CI]" in summary and "Asked with the paper's question" in summary


def test_paper_is_not_in_a_default_run(suite: SuiteProject) -> None:
    suite.make("sim")
    suite.pytester.makepyfile(test_value_suite=FULL_SUITE)
    result = suite.run(*ARGS, "--collect-only", "-q")
    ids = result.stdout.str()
    assert "family-oriented-simple" in ids and "family-oriented-isq" in ids
    assert "paper" not in ids


def test_an_unknown_strategy_names_the_known_ones(suite: SuiteProject) -> None:
    suite.make("sim")
    result = suite.run(*ARGS, "--valspec-strategies=papr")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*papr*paper*"])


def test_offline_names_reasons_the_cache_lacks(suite: SuiteProject) -> None:
    suite.make("sim")
    cache = suite.root / "cache.sqlite"
    selected = (*ARGS, "--valspec-strategies=paper", f"--valspec-cache={cache}")
    suite.run(*selected, "-k", "persona_alignment", "--snapshot-update").assert_outcomes(passed=1)
    (suite.root / "pyproject.toml").write_text(
        (suite.root / "pyproject.toml").read_text() + "\npaper_reason = true\n"
    )
    result = suite.run(*selected, "-k", "persona_alignment", "--valspec-offline")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--valspec-offline: 40 of 40 follow-up (reason) queries*"])
