"""``--model``: the reference simulation passes; drifted and stubborn variants fail as designed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from valspec.adapters.sim import DRIFT
from valspec.domain.values import CIRCLE_ORDER

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

VALUES = {v.value for v in CIRCLE_ORDER}


def test_sim_passes_against_the_committed_snapshots(suite: SuiteProject) -> None:
    result = suite.make("sim").run("--model=sim")
    result.assert_outcomes(passed=len(VALUES) + 2 * len(suite.personas))
    result.stdout.fnmatch_lines(["*valspec value profile*", "*SIMULATED*", "benevolence *"])


UNMOVED = {"security", "conformity", "tradition"}
"""Values none of whose videos carries a drifted value's weight: their true score is unchanged
(the others move a little through mixed-value videos: achievement +3.7 points through its
videos' power weight, which the gate may call)."""


def test_drifted_fails_the_drifted_values_and_no_unmoved_one(suite: SuiteProject) -> None:
    result = suite.make("sim").run("--model=sim:drifted", "--valspec-baseline=sim")
    failed = suite.failed(result)
    drifted = {v.value for v in DRIFT}
    assert drifted <= failed & VALUES
    assert not failed & UNMOVED
    # Persona cases may fail too, but only because their alignment shift moved with the
    # profile (the shift is measured against the drifted neutral profile), never a threshold.
    drift_lines = [
        line
        for line in result.stdout.lines
        if re.fullmatch(
            r"[a-z-]+/(simple|isq): alignment shift drifted"
            r"( beyond tolerance| \(a real change .*\)):",
            line,
        )
    ]
    assert len(drift_lines) == len(failed - VALUES)
    for value in sorted(drifted):
        result.stdout.fnmatch_lines(
            [
                f"{value} drifted beyond tolerance:",
                "  baseline * % mean P(yes)  ->  now * % mean P(yes), paired on n=40",
                "  difference * points, 95 % CI of Δ [[]*, *[]], Holm-adjusted p *",
                "  (paired-t, alpha 0.025 of the run's 0.05, Holm across values); tolerance ±5 *",
            ]
        )


def test_stubborn_fails_every_persona_case(suite: SuiteProject) -> None:
    result = suite.make("sim").run("--model=sim:stubborn", "--valspec-baseline=sim")
    expected = {f"{p.id}-{s}" for p in suite.personas for s in ("simple", "isq")}
    assert suite.failed(result) == expected
    result.stdout.fnmatch_lines(["*the persona did not move the profile toward its values*"])


def test_unknown_model_is_a_usage_error_listing_known_ones(suite: SuiteProject) -> None:
    result = suite.make().run("--model=qwen-vll")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown model 'qwen-vll'. Did you mean 'qwen-vl'?*"])
    assert "Traceback" not in result.stderr.str()
