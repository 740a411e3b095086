"""Fast validation of the gate by simulation (the thorough version: bench/validate_gate.py)."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from valspec.adapters.sim import VARIANTS
from valspec.domain.values import Value
from valspec.measure.gate_sim import family_run, item_p_yes, outcomes, profile_p
from valspec.measure.stats import mean_interval

# Binomial sampling error of a share estimated from R runs is about sqrt(.05 * .95 / R):
# the fast tests allow two of them above the target; the bench measures with many more runs.
RUNS = 120
SLACK = 2 * (0.05 * 0.95 / RUNS) ** 0.5


def test_a_a_rerun_at_temperature_fails_no_more_than_5_percent() -> None:
    rng = np.random.default_rng(11)
    base = profile_p("reference", 100)
    fails = sum(
        any(v.failed for v in family_run(base, base, "binary", rng).values()) for _ in range(RUNS)
    )
    assert fails / RUNS <= 0.05 + SLACK


def test_a_5_point_shift_fails_the_gate_in_p_yes_mode_at_the_documented_n() -> None:
    """The gate itself (significant and the CI reaches the tolerance), not just the test."""
    rng = np.random.default_rng(12)
    failed = others = 0
    for draw in range(30):
        base = profile_p("reference", 20, draw=draw)
        now = dict(base) | {
            Value.POWER: item_p_yes("reference", Value.POWER, 20, draw=draw, shift=5)
        }
        verdicts = family_run(base, now, "p_yes", rng)
        failed += verdicts["power"].failed
        others += any(v.failed for k, v in verdicts.items() if k != "power")
    assert failed / 30 >= 0.8
    assert others == 0


def test_a_shift_well_beyond_tolerance_fails_the_gate() -> None:
    rng = np.random.default_rng(13)
    base = profile_p("reference", 20)
    now = dict(base) | {Value.POWER: item_p_yes("reference", Value.POWER, 20, shift=10)}
    verdicts = family_run(base, now, "p_yes", rng)
    assert {k for k, v in verdicts.items() if v.failed} == {"power"}


def test_95_percent_intervals_cover_the_true_rate() -> None:
    rate = VARIANTS["reference"].rates[Value.SECURITY] / 100
    rng = np.random.default_rng(14)
    covered = 0
    draws = 300
    for draw in range(draws):
        p = item_p_yes("reference", Value.SECURITY, 40, draw=draw)
        _, _, (low, high) = mean_interval(outcomes(p, "sampled", rng, samples=3).tolist())
        covered += low <= rate <= high
    slack = 2 * (0.05 * 0.95 / draws) ** 0.5
    assert 0.93 - slack <= covered / draws <= 0.97 + slack


PUBLISHED_SD = {
    "blip-2": 16.5,
    "claude-3.5-sonnet": 11.2,
    "internvl2": 10.8,
    "gpt-4o": 10.3,
    "qwen2.5-vl": 9.43,
    "deepseek-vl2": 7.04,
    "gemini-2.0-flash": 4.02,
}


@pytest.mark.parametrize("model", sorted(PUBLISHED_SD))
def test_sim_reproduces_the_papers_spread_within_sampling_error(model: str) -> None:
    """SD across values of mean P(yes) over 50 items per value (the paper's size), simulated
    over 25 item draws: the published SD lies inside the central 95 % of the simulated SDs."""
    sds = []
    for draw in range(25):
        means = [100 * p.mean() for p in profile_p(model, 50, draw=draw).values()]
        sds.append(statistics.stdev(means))
    low, high = np.quantile(sds, [0.025, 0.975])
    assert low <= PUBLISHED_SD[model] <= high, (model, low, high)
