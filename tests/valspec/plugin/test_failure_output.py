"""A failing run reads top-down and fits a screenful: the drift demo at 80 columns."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject


def test_the_drift_demo_fits_in_200_lines_at_80_columns(suite: SuiteProject) -> None:
    suite.make("sim")
    result = suite.run("--model=sim:drifted", "--valspec-baseline=sim", "-p", "no:benchmark")
    lines = result.stdout.lines
    wrapped = sum(max(1, math.ceil(len(line) / 80)) for line in lines)
    assert wrapped <= 200, "\n".join(lines)
    text = result.stdout.str()
    # shared tables once, in the summary: not in each failing case
    assert text.count("persona / strategy") <= 1 and text.count("value  ") <= 2
    assert "the run's values (alpha" not in text and "ValspecWarning" not in text
    # the headline of a drifted value, its items, and one command that accepts the changes
    result.stdout.fnmatch_lines(
        [
            "stimulation drifted beyond tolerance:",
            "  baseline * ->  now *, paired on n=40",
            "  difference +* points, 95 % CI of Δ [[]*], Holm-adjusted p *",
            "*items that moved most*stimulation-*",
            "*valspec value profile*",
            "baseline: snapshots?sim",  # relative to the rootdir: readable in CI logs
            "to accept these changes: pytest *--model=sim:drifted --valspec-baseline=sim*"
            " --snapshot-update",
        ]
    )


def test_verbose_shows_every_persona_case_and_the_heat_map(suite: SuiteProject) -> None:
    suite.make("sim")
    result = suite.run("--model=sim:drifted", "--valspec-baseline=sim", "-v", "-k", "persona")
    result.stdout.fnmatch_lines(["*-simple * inconclusive", "Δ points vs neutral *"])


def test_an_update_run_does_not_offer_to_accept_again(suite: SuiteProject) -> None:
    suite.make("sim")
    result = suite.run(
        "--model=sim:drifted", "--valspec-baseline=sim", "--valspec-limit=3", "--snapshot-update"
    )
    assert result.ret == 0, result.stdout.str()
    assert "to accept these changes" not in result.stdout.str()
