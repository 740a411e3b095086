"""Persona cases end to end: per-strategy circumplex cases, metrics in snapshots, the tables."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest

from valspec.measure.drift import PERSONA_SCHEMA

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

from tests.valspec.plugin.conftest import REPO

FULL_SUITE = (
    "from valspec.suite import test_persona_alignment, test_persona_circumplex, "
    "test_value_preference\n"
)
THREE = "--valspec-personas=family-oriented,thrill-seeker,status-seeker"


def _full(suite: SuiteProject, extra_config: str = "") -> SuiteProject:
    suite.make("sim", extra_config=extra_config)
    suite.pytester.makepyfile(test_value_suite=FULL_SUITE)
    return suite


def test_one_circumplex_case_per_strategy_with_summary_tables(suite: SuiteProject) -> None:
    result = _full(suite).run("--model=sim", THREE)
    result.assert_outcomes(passed=10 + 2 * 3 + 2)
    result.stdout.fnmatch_lines(
        [
            "persona / strategy * shift * rank * circ ρ * opp drop * ISQ ≠ *",
            "status-seeker-isq * +*[[]*[]] *",
            "Δ points vs neutral * SD * ST * HE * AC * PO * SE * CO * TR * BE * UN*",
            "status-seeker-simple * [+-]*[*] *",
            "* = a target value of the persona",
            "strategy (mean over personas) * personas * shift * rank * circ ρ *",
            "isq * 3 * +*[[]*[]] *pass",
            "  isq − simple *",
            "simple * 3 * +*[[]*[]] *pass",
        ]
    )


def test_stubborn_model_fails_the_circumplex_case_of_every_strategy(suite: SuiteProject) -> None:
    # judged on its interval, a mean over 3 personas is too uncertain to fail: all 20 are used
    result = _full(suite).run("--model=sim:stubborn", "--valspec-baseline=sim", "-k", "circumplex")
    assert {"simple", "isq"} <= suite.failed(result)
    result.stdout.fnmatch_lines(
        [
            "simple: changes do not follow Schwartz's circle: mean circumplex consistency "
            "(Spearman) *, 95 % CI [[]*] over 20 personas, below 0.5 (one-sided p *"
        ]
    )


@pytest.mark.parametrize(("threshold", "fails"), [(0.99, {"simple", "isq"}), (0.3, set())])
def test_circumplex_threshold_is_configurable(
    suite: SuiteProject, threshold: float, fails: set[str]
) -> None:
    result = _full(suite, extra_config=f"circumplex_min = {threshold}\n").run(
        "--model=sim", "-k", "circumplex"
    )
    assert suite.failed(result) == fails
    if fails:
        result.stdout.fnmatch_lines([f"*below {threshold:g} (one-sided p*"])


def test_only_selected_strategies_get_a_case_and_no_comparison(suite: SuiteProject) -> None:
    result = _full(suite).run(
        "--model=sim", "--valspec-strategies=isq", THREE, "-k", "circumplex", "-v"
    )
    result.assert_outcomes(passed=1)
    assert "isq − simple" not in result.stdout.str()


def test_committed_persona_baselines_carry_the_metrics() -> None:
    folder = REPO / "snapshots" / "sim"
    files = sorted(folder.glob("test_persona_alignment[[]*].json"))
    assert files
    for path in files:
        payload = json.loads(path.read_text(encoding="utf-8"))
        assert payload["schema"] == PERSONA_SCHEMA, path.name
        assert set(payload["target_rank"]) == {"estimate", "ci95", "best"}
        low, high = payload["circumplex"]["ci95"]
        assert -1 <= low <= payload["circumplex"]["estimate"] <= high <= 1, path.name
        assert payload["opposite"]["value"] and payload["opposite"]["estimate"] is not None


def test_an_older_persona_baseline_is_stale_not_compared(suite: SuiteProject) -> None:
    suite.make("sim")
    path = suite.root / "snapshots" / "sim" / "test_persona_alignment[family-oriented-isq].json"
    old = json.loads(path.read_text(encoding="utf-8"))
    old["schema"] = "valspec/persona-alignment@1"
    path.write_text(json.dumps(old), encoding="utf-8")
    result = suite.run("--model=sim", "--valspec-personas=family-oriented", "-k", "persona")
    assert suite.failed(result) == {"family-oriented-isq"}
    result.stdout.fnmatch_lines(["*baseline is stale*format is valspec/persona-alignment@1*"])


def test_persona_gate_fails_a_moved_shift_paired_by_item_with_holm_table(
    suite: SuiteProject,
) -> None:
    suite.make("sim")
    path = suite.root / "snapshots" / "sim" / "test_persona_alignment[family-oriented-isq].json"
    old = json.loads(path.read_text(encoding="utf-8"))
    for value in old["raises"]:  # the baseline's persona did not move its targets at all
        old["item_deltas"][value] = dict.fromkeys(old["item_deltas"][value], 0.0)
    path.write_text(json.dumps(old), encoding="utf-8")
    result = suite.run("--model=sim", "--valspec-personas=family-oriented", "-k", "persona")
    assert suite.failed(result) == {"family-oriented-isq"}
    result.stdout.fnmatch_lines(
        [
            "family-oriented/isq: alignment shift drifted beyond tolerance:",
            "  * -> *, Δ +* points (95 % CI of Δ [[]*]), * items",
            "  adj. p * (paired-t, Holm over persona cases), * % power; tolerance ±*",
            "to accept these changes: pytest * --snapshot-update",
        ]
    )


def test_limited_run_is_gated_on_the_common_items_not_partial(suite: SuiteProject) -> None:
    suite.make("sim")
    args = ("--model=sim", "--valspec-personas=family-oriented", "--valspec-limit=4", "-rw")
    result = suite.run(*args, "-k", "persona_alignment and isq")
    assert "not compared" not in result.stdout.str()
    result.assert_outcomes(passed=1)
    # baseline shift recomputed on the 40 common items, equal to now: Δ 0 and no failure
    row = next(line for line in result.stdout.lines if line.startswith("family-oriented-isq "))
    cells = row.split()
    assert cells[0] == "family-oriented-isq" and "+0.0" in cells and cells[-1] != "drift"
    assert cells[1] in cells[2:]  # the shift now is the baseline's on the common items


def test_report_files_hold_the_heatmap_and_the_strategy_summary(suite: SuiteProject) -> None:
    report = suite.root / "report"
    result = _full(suite).run("--model=sim", THREE, f"--valspec-report={report}")
    result.assert_outcomes(passed=10 + 2 * 3 + 2)
    text = (report / "summary.md").read_text(encoding="utf-8")
    heat = text.split("#### Persona × value (Δ points vs neutral)")[1].split("####")[0]
    assert "| Δ points vs neutral | SD | ST | HE | AC | PO | SE | CO | TR | BE | UN |" in heat
    status_rows = [line for line in heat.splitlines() if line.startswith("| status-seeker-")]
    assert len(status_rows) == 2 and all(line.count("**") == 2 for line in status_rows)
    strategies = text.split("#### Persona strategies")[1]
    assert "| isq − simple |" in strategies and "| simple | 3 |" in strategies
    profile = json.loads((report / "profile.json").read_text(encoding="utf-8"))
    assert {s["case"] for s in profile["other_cases"]["strategy"]} == {"simple", "isq"}
    assert all(len(p["deltas"]) == 10 for p in profile["personas"])


def test_bad_trait_in_a_user_persona_is_a_located_usage_error(suite: SuiteProject) -> None:
    personas = suite.root / "personas"
    shutil.copytree(REPO / "fixtures" / "personas", personas)
    (personas / "sailor.toml").write_text(
        'id = "sailor"\ntraits = ["i own a boat", ""]\nraises = ["hedonism"]\n', encoding="utf-8"
    )
    result = _full(suite).run("--model=sim", f"--valspec-persona-dir={personas}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*sailor.toml*traits[[]1[]]*non-empty string*"])
    assert "Traceback" not in result.stderr.str()
