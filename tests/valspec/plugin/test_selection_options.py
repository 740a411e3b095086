"""Selection options: limit, personas, strategies and platforms."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject


def test_limit_compares_values_on_the_common_items(suite: SuiteProject) -> None:
    result = suite.make("sim").run("--model=sim", "--valspec-limit=3", "-k", "preference")
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(["power * 3 *"])


def test_limit_gates_persona_baselines_on_the_common_items(suite: SuiteProject) -> None:
    result = suite.make("sim").run(
        "--model=sim", "--valspec-limit=6", "--valspec-personas=family-oriented", "-k", "persona"
    )
    assert (
        "not compared" not in result.stdout.str()
    )  # valspec/session/persona_gate.py pairs by item
    result.stdout.fnmatch_lines(["family-oriented-isq * 60 * +0.0 *"])


def test_persona_and_strategy_selection_leave_other_baselines_alone(suite: SuiteProject) -> None:
    suite.make("sim")
    before = suite.snapshots("sim")
    result = suite.run(
        "--model=sim",
        "--valspec-personas=family-oriented",
        "--valspec-strategies=isq",
        "--snapshot-update",
    )
    result.assert_outcomes(passed=11)
    assert suite.snapshots("sim") == before  # unchanged, and nothing deleted as "unused"
    result = suite.run("--model=sim", "--valspec-personas=family-oriented")
    result.assert_outcomes(passed=12)


def test_platform_selection(suite: SuiteProject) -> None:
    result = suite.make("sim").run("--model=sim", "--valspec-platforms=tiktok", "-k", "preference")
    result.assert_outcomes(passed=10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--valspec-personas=family-orientated"],
            "*unknown persona 'family-orientated'. Did you mean 'family-oriented'?*",
        ),
        (["--valspec-strategies=isqq"], "*unknown persona strategy 'isqq'*"),
        (["--valspec-limit=0"], "*--valspec-limit must be at least 1*"),
        (["--valspec-platforms=vine"], "*--valspec-platforms: unknown platform 'vine'*"),
    ],
)
def test_bad_selection_is_a_usage_error(suite: SuiteProject, args: list[str], message: str) -> None:
    result = suite.make("sim").run("--model=sim", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()
