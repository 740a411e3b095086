"""``-k`` and other deselection narrow the planned queries to what the selected cases need."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

COUNTING = """
import pytest
import valspec.adapters.sim as sim

SENT = []
_original = sim.SimAdapter.answer


def _counting(self, requests):
    SENT.append(len(requests))
    return _original(self, requests)


def pytest_configure(config):
    sim.SimAdapter.answer = _counting


def pytest_unconfigure(config):
    sim.SimAdapter.answer = _original
    (config.rootpath / "sent.txt").write_text(str(sum(SENT)))
"""


def _sent(suite: SuiteProject) -> int:
    return int((suite.root / "sent.txt").read_text())


def test_k_plans_and_sends_only_what_the_selected_cases_need(suite: SuiteProject) -> None:
    suite.make("sim")
    suite.pytester.makeconftest(COUNTING)
    selection = "test_value_preference or family-oriented-simple"
    result = suite.run("--model=sim", "-k", selection, "--valspec-limit=2")
    result.assert_outcomes(passed=11, deselected=39)
    # 10 values x 2 items, neutral (20) + the same 20 items as the persona (20)
    result.stdout.fnmatch_lines(
        ["valspec: selected 10/10 value and 1/40 persona cases -> 40 queries planned"]
    )
    assert _sent(suite) == 40


def test_one_value_sends_only_its_own_items(suite: SuiteProject) -> None:
    suite.make("sim")
    suite.pytester.makeconftest(COUNTING)
    result = suite.run("--model=sim", "-k", "preference and power", "--valspec-limit=3")
    result.assert_outcomes(passed=1, deselected=49)
    result.stdout.fnmatch_lines(
        ["valspec: selected 1/10 value and 0/40 persona cases -> 3 queries planned"]
    )
    assert _sent(suite) == 3


def test_the_full_suite_says_all(suite: SuiteProject) -> None:
    suite.make("sim")
    result = suite.run("--model=sim", "--valspec-limit=1", "--collect-only", "-q")
    assert "valspec: all 10/10 value and 40/40 persona cases" in result.stdout.str()
