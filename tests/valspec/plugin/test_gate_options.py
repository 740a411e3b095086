"""The drift gate's options and messages, end to end on the simulated model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject


def test_too_few_items_warn_inconclusive_and_equivalence_decides(suite: SuiteProject) -> None:
    suite.make("sim")
    result = suite.run("--model=sim", "-k", "preference", "--valspec-limit=3")
    result.assert_outcomes(passed=10)
    # one line per family in the summary, not one warning per case
    result.stdout.fnmatch_lines(["inconclusive: */10 values (they pass; ~* items would decide)"])
    assert "ValspecWarning" not in result.stdout.str()
    result.stdout.fnmatch_lines(["value *P(yes) %*adj. p*status", "power *inconclusive"])
    strict = suite.run("--model=sim", "-k", "preference", "--valspec-limit=3", "--valspec-strict")
    assert len(suite.failed(strict)) == 10  # strict mode: undecided cases fail
    strict.stdout.fnmatch_lines(["*strict mode: *inconclusive*"])
    # TOST: an unchanged model is shown equivalent; a drifted one is not.
    suite.run("--model=sim", "--valspec-equivalence", "-k", "preference").assert_outcomes(passed=10)
    drifted = suite.run(
        "--model=sim:drifted", "--valspec-baseline=sim", "--valspec-equivalence", "-k", "preference"
    )
    # the moved values certainly fail; values whose items moved a little (mixed value weights)
    # may not be shown equivalent on 10 items either, which is TOST being honest
    assert {"stimulation", "power", "universalism"} <= suite.failed(drifted)
    drifted.stdout.fnmatch_lines(["power is not shown equivalent:"])


def test_an_old_schema_baseline_is_stale_with_a_re_baseline_hint(suite: SuiteProject) -> None:
    suite.make("sim")
    path = suite.root / "snapshots" / "sim" / "test_value_preference[power].json"
    stored = json.loads(path.read_text())
    stored["schema"] = "valspec/value-preference@1"
    path.write_text(json.dumps(stored))
    result = suite.run("--model=sim", "-k", "preference")
    assert suite.failed(result) == {"power"}
    result.stdout.fnmatch_lines(["*power: the baseline is stale*@1*--snapshot-update*"])


def test_bad_alpha_is_a_usage_error(suite: SuiteProject) -> None:
    result = suite.make("sim").run("--model=sim", "--valspec-alpha=2", "-k", "power")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--valspec-alpha: expected a number between 0 and 1*"])


def test_alpha_comes_from_pyproject_and_the_option_overrides_it(suite: SuiteProject) -> None:
    suite.make("sim", extra_config="alpha = 0.01\n")
    args = ("--model=sim:drifted", "--valspec-baseline=sim", "-k", "preference and power")
    suite.run(*args).stdout.fnmatch_lines(
        ["*(paired-t, alpha 0.005 of the run's 0.01, Holm across values); tolerance*"]
    )
    overridden = suite.run(*args, "--valspec-alpha=0.02")
    overridden.stdout.fnmatch_lines(
        ["*(paired-t, alpha 0.01 of the run's 0.02, Holm across values); tolerance*"]
    )


def test_alpha_outside_0_1_in_pyproject_names_the_key(tmp_path: Path) -> None:
    from valspec.domain.config import load_settings
    from valspec.domain.errors import ConfigError

    for bad in ("0", "1", "1.5", "-0.1"):
        (tmp_path / "pyproject.toml").write_text(f"[tool.valspec]\nalpha = {bad}\n")
        with pytest.raises(ConfigError, match=r"\[tool.valspec\] alpha: must be between 0 and 1"):
            load_settings(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.valspec]\nalpha = 0.1\n")
    assert load_settings(tmp_path).alpha == 0.1
