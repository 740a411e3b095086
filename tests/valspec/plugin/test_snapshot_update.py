"""``--snapshot-update``: records new baselines and rewrites only the cases that moved."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject


def test_update_rewrites_only_what_changed(suite: SuiteProject) -> None:
    suite.make("sim")
    before = suite.snapshots("sim")
    failed = suite.failed(suite.run("--model=sim:drifted", "--valspec-baseline=sim"))
    assert failed  # the drifted model moves some cases beyond tolerance

    update = suite.run("--model=sim:drifted", "--valspec-baseline=sim", "--snapshot-update")
    assert update.ret == 0
    after = suite.snapshots("sim")
    assert set(after) == set(before)  # nothing deleted, nothing added
    changed = {name for name in before if before[name] != after[name]}
    # a case is rewritten when it moved beyond tolerance, whether or not the gate failed it
    # (persona cases that moved but were too noisy to call pass, and are still re-baselined)
    assert failed <= {name.split("[", 1)[1].removesuffix("].json") for name in changed}

    # The accepted profile is now the baseline: the same model passes against it.
    suite.run("--model=sim:drifted", "--valspec-baseline=sim").assert_outcomes(
        passed=10 + 2 * len(suite.personas)
    )


def test_a_model_without_baselines_fails_until_recorded(suite: SuiteProject) -> None:
    suite.make()
    result = suite.run("--model=sim:qwen2.5-vl", "-k", "power or family-oriented-simple")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "no baseline for power at *sim-qwen2.5-vl?test_value_preference[[]power[]].json. "
            "Record one with `pytest --model=sim:qwen2.5-vl --snapshot-update`*",
        ]
    )
    suite.run("--model=sim:qwen2.5-vl", "--snapshot-update").assert_outcomes(
        passed=10 + 2 * len(suite.personas)
    )
    stored = json.loads(
        (suite.root / "snapshots/sim-qwen2.5-vl/test_value_preference[power].json").read_text()
    )
    assert stored["value"] == "power" and stored["identity"]["model"]["variant"] == "qwen2.5-vl"
    assert set(stored["items"]) and stored["n"] > 0
    suite.run("--model=sim:qwen2.5-vl").assert_outcomes(passed=10 + 2 * len(suite.personas))


def test_a_corrupt_snapshot_is_named(suite: SuiteProject) -> None:
    suite.make("sim")
    path = suite.root / "snapshots/sim/test_value_preference[power].json"
    path.write_text("{ not json")
    result = suite.run("--model=sim", "-k", "power")
    result.stdout.fnmatch_lines(
        ["*test_value_preference[[]power[]].json:1: snapshot is not valid JSON*"]
    )
