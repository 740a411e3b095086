"""pytest-xdist: the suite gives the same outcomes and summary across workers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject


def test_suite_under_two_workers(suite: SuiteProject) -> None:
    suite.make("sim")
    result = suite.pytester.runpytest_subprocess("--model=sim", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=10 + 2 * len(suite.personas))
    result.stdout.fnmatch_lines(["*valspec value profile*", "universalism *"])
