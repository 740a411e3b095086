"""The suite-level gate through pytest: an unchanged model re-run passes, a realistic move fails.

Short versions of the figures in docs/statistics.md ("Through pytest"); persona cases are
narrowed to a few personas to keep valspec's own run fast (the families keep their full
sizes, so the verdicts are those of the full run).
"""

from __future__ import annotations

import pytest

from tests.valspec.plugin.conftest import SuiteProject

PERSONAS = "--valspec-personas=family-oriented,thrill-seeker,tradition-respecting"


@pytest.mark.parametrize("seed", [1, 2])
def test_an_unchanged_model_rerun_with_a_fresh_seed_passes(suite: SuiteProject, seed: int) -> None:
    result = suite.make("sim").run("--model=sim", f"--valspec-seed={seed}", PERSONAS)
    assert suite.failed(result) == set(), result.stdout.str()[-3000:]
    out = result.stdout.str()
    assert "gate: alpha 0.05 for the whole run" in out
    assert "value drift 0.025 over 10" in out and "persona drift 0.015 over 40" in out


def test_a_realistic_10_point_move_fails_only_its_value(suite: SuiteProject) -> None:
    result = suite.make("sim").run(
        "--model=sim:drift10", "--valspec-baseline=sim", "--valspec-seed=1", "-k", "preference"
    )
    assert suite.failed(result) == {"benevolence"}
    assert "benevolence drifted beyond tolerance" in result.stdout.str()


def test_a_persona_that_moves_nothing_fails_on_its_interval(suite: SuiteProject) -> None:
    result = suite.make("sim").run(
        "--model=sim:stubborn", "--valspec-baseline=sim", PERSONAS, "-k", "persona_alignment"
    )
    out = result.stdout.str()
    assert suite.failed(result)  # the minimum shift is judged on the upper bound
    assert "even its upper bound at the family level" in out


def test_strict_mode_fails_what_the_gate_cannot_decide(suite: SuiteProject) -> None:
    args = ("--model=sim", "--valspec-seed=1", "--valspec-personas=family-oriented")
    lenient = suite.make("sim").run(*args, "-k", "persona_alignment")
    assert suite.failed(lenient) == set()
    strict = suite.run(*args, "-k", "persona_alignment", "--valspec-strict")
    out = strict.stdout.str()
    if suite.failed(strict):
        assert "strict mode" in out
    else:  # every case was decided: strict changes nothing
        assert "inconclusive" not in out.split("short test summary")[-1]


def test_champion_challenger_pairs_two_models_in_one_run(suite: SuiteProject) -> None:
    moved = suite.make().run("--model=sim:drift10", "--valspec-against=sim", "-k", "preference")
    assert suite.failed(moved) == {"benevolence"}
    same = suite.run("--model=sim", "--valspec-against=sim", "--valspec-seed=3", "-k", "preference")
    assert suite.failed(same) == set()
    assert not (suite.root / "snapshots").exists()  # nothing read or written


def test_against_and_baseline_together_is_a_usage_error(suite: SuiteProject) -> None:
    result = suite.make().run("--model=sim", "--valspec-against=sim", "--valspec-baseline=sim")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "contradicts" in result.stderr.str()
