"""Fast validation of the gate by simulation (the thorough version: bench/validate_gate.py)."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from valspec.adapters.sim import VARIANTS
from valspec.domain.values import Value
from valspec.measure.budget import SHARES
from valspec.measure.gate_sim import (
    Reader,
    family_run,
    item_logits,
    outcomes,
    profile_logits,
    profile_p,
    rates,
    shifted,
)
from valspec.measure.stats import mean_interval

# Binomial sampling error of a share estimated from R runs is about sqrt(.05 * .95 / R):
# the fast tests allow two of them above the target; the bench measures with many more runs.
RUNS = 120
SLACK = 2 * (0.05 * 0.95 / RUNS) ** 0.5
VALUE_ALPHA = 0.05 * SHARES["value"]


@pytest.mark.parametrize("reader", [Reader("binary"), Reader("p_yes"), Reader("flip", flip=0.1)])
def test_a_a_rerun_fails_no_more_than_5_percent(reader: Reader) -> None:
    rng = np.random.default_rng(11)
    base = profile_logits("reference", 100)
    fails = sum(
        any(v.failed for v in family_run(base, base, reader, rng, alpha=VALUE_ALPHA).values())
        for _ in range(RUNS)
    )
    assert fails / RUNS <= 0.05 + SLACK


def test_an_uneven_10_point_move_is_caught_at_the_shipped_size() -> None:
    """40 items per value in P(yes) mode: the gate itself (significant and the CI reaches the
    tolerance) catches most +10 moves with per-item shifts redrawn, and no unmoved value."""
    rng = np.random.default_rng(12)
    base = profile_logits("reference", 40)
    rate = rates("reference")[Value.BENEVOLENCE]
    failed = others = 0
    for _ in range(40):
        now = dict(base) | {Value.BENEVOLENCE: shifted(base[Value.BENEVOLENCE], rate, 10, rng)}
        verdicts = family_run(base, now, Reader("p_yes"), rng, alpha=VALUE_ALPHA)
        failed += verdicts["benevolence"].failed
        others += any(v.failed for k, v in verdicts.items() if k != "benevolence")
    assert failed / 40 >= 0.7  # 0.86 over 200 replicates (docs/statistics.md)
    assert others == 0


def test_a_shift_well_beyond_tolerance_fails_the_gate() -> None:
    rng = np.random.default_rng(13)
    base = profile_logits("reference", 40)
    now = dict(base) | {
        Value.POWER: shifted(base[Value.POWER], rates("reference")[Value.POWER], 25, rng)
    }
    verdicts = family_run(base, now, Reader("p_yes"), rng, alpha=VALUE_ALPHA)
    assert {k for k, v in verdicts.items() if v.failed} == {"power"}


def test_a_drift_moves_the_population_mean_by_exactly_the_stated_points() -> None:
    rng = np.random.default_rng(15)
    logits = item_logits("reference", Value.SECURITY, 20000)
    rate = rates("reference")[Value.SECURITY]
    moved = shifted(logits, rate, 10.0, rng)
    change = 100 * (np.mean(1 / (1 + np.exp(-moved))) - np.mean(1 / (1 + np.exp(-logits))))
    assert change == pytest.approx(10.0, abs=0.6)


def test_95_percent_intervals_cover_the_true_rate() -> None:
    rate = VARIANTS["reference"].rates[Value.SECURITY] / 100
    rng = np.random.default_rng(14)
    covered = 0
    draws = 300
    for draw in range(draws):
        logits = item_logits("reference", Value.SECURITY, 40, draw=draw)
        _, _, (low, high) = mean_interval(
            outcomes(logits, Reader("sampled", samples=3), rng).tolist()
        )
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


KNOWN_MISMATCH = pytest.param(
    "cogvlm2",
    marks=pytest.mark.xfail(
        strict=True,
        reason="known mismatch: the paper's per-value figure for CogVLM2 gives SD 5.87 across "
        "values, its table says 6.99; no profile can match both",
    ),
)


@pytest.mark.parametrize("model", [*sorted(PUBLISHED_SD), KNOWN_MISMATCH])
def test_published_profile_has_the_published_spread_to_its_rounding(model: str) -> None:
    published = {**PUBLISHED_SD, "cogvlm2": 6.99}[model]
    digits = len(str(published).split(".")[1])
    sd = statistics.stdev(VARIANTS[model].rates.values())
    assert round(sd, digits) == published, (model, sd)


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
