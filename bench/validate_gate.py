"""Thorough validation of the drift gate by simulation; prints the figures in docs/statistics.md.

    python bench/validate_gate.py [--runs 1000]

A/A: the reference sim re-run against its own baseline with independent draws (temperature >
0); detection: one value moved by 5 (and 7.5) points; coverage of 95 % intervals; the items per
value needed for 80 % power at a 5-point tolerance (alpha 0.05 / 10 values, Holm's first step).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from valspec.adapters.sim import VARIANTS
from valspec.domain.values import Value
from valspec.measure.gate import MIN_PLANNING_SD
from valspec.measure.gate_sim import family_run, item_p_yes, outcomes, profile_p
from valspec.measure.stats import (
    mcnemar_power,
    mean_interval,
    n_needed,
    paired_power,
    wilson_interval,
)


def a_a(mode: str, n: int, runs: int, samples: int = 1) -> float:
    rng = np.random.default_rng(1)
    base = profile_p("reference", n)
    fails = sum(
        any(v.failed for v in family_run(base, base, mode, rng, samples=samples).values())  # type: ignore[arg-type]
        for _ in range(runs)
    )
    return fails / runs


def detection(mode: str, n: int, runs: int, shift: float, samples: int = 1) -> tuple[float, float]:
    """(share significant after Holm, share failing the gate: significant and CI reaches 5)."""
    rng = np.random.default_rng(2)
    significant = failed = 0
    for draw in range(runs):
        base = profile_p("reference", n, draw=draw)
        moved = item_p_yes("reference", Value.POWER, n, draw=draw, shift=shift)
        verdict = family_run(base, dict(base) | {Value.POWER: moved}, mode, rng, samples=samples)[  # type: ignore[arg-type]
            "power"
        ]
        significant += verdict.p_adjusted < 0.05
        failed += verdict.failed
    return significant / runs, failed / runs


def coverage(n: int, runs: int) -> tuple[float, float, float]:
    rate = VARIANTS["reference"].rates[Value.SECURITY] / 100
    rng = np.random.default_rng(3)
    hits = {"p_yes": 0, "sampled": 0, "binary": 0}
    for draw in range(runs):
        p = item_p_yes("reference", Value.SECURITY, n, draw=draw)
        for mode in ("p_yes", "sampled"):
            _, _, (low, high) = mean_interval(outcomes(p, mode, rng, samples=3).tolist())  # type: ignore[arg-type]
            hits[mode] += low <= rate <= high
        yes = int(outcomes(p, "binary", rng).sum())
        low, high = wilson_interval(yes, n)
        hits["binary"] += low <= rate <= high
    return hits["p_yes"] / runs, hits["sampled"] / runs, hits["binary"] / runs


def needed() -> None:
    alpha = 0.05 / 10
    p = item_p_yes("reference", Value.SECURITY, 2000)
    for label, sd in (
        ("P(yes), planning SD floor", MIN_PLANNING_SD),
        ("binary verdicts, independent draws", float(np.sqrt(np.mean(2 * p * (1 - p))))),
    ):
        n = n_needed(lambda k, sd=sd: paired_power(0.05, sd, k, alpha))
        print(f"  n per value for 80 % power at 5 points, {label} (SD {sd:.3f}): {n}")
    for k in (1, 3, 5, 10):
        # K samples per item: per-item share variance p(1-p)/K on each side
        sd = float(np.sqrt(np.mean(2 * p * (1 - p) / k)))
        n = n_needed(lambda m, sd=sd: paired_power(0.05, sd, m, alpha))
        print(f"  n per value, sampled mode K={k} (SD of paired diff {sd:.3f}): {n}")
    disc = float(np.mean(2 * p * (1 - p)))
    n = n_needed(lambda m: mcnemar_power(0.05, disc, m, alpha))
    print(f"  n per value, McNemar (discordant share {disc:.2f}): {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=400)
    runs = parser.parse_args().runs
    start = time.perf_counter()
    print(f"A/A false-fail rate (any of 10 values fails), {runs} runs:")
    for mode, n, k in (
        ("binary", 100, 1),
        ("binary", 1000, 1),
        ("sampled", 200, 5),
        ("p_yes", 50, 1),
    ):
        print(f"  {mode:8s} n={n:5d} K={k}: {a_a(mode, n, runs, k):.3f}")
    print("detection of one value moved (Holm over 10 values):")
    for mode, n, shift, k in (
        ("p_yes", 20, 5.0, 1),
        ("p_yes", 20, 7.5, 1),
        ("sampled", 600, 5.0, 5),
        ("sampled", 600, 7.5, 5),
    ):
        sig, fail = detection(mode, n, runs, shift, k)
        print(
            f"  {mode:8s} n={n:4d} K={k} shift {shift}: "
            f"significant {sig:.3f}, gate fails {fail:.3f}"
        )
    print("coverage of 95 % intervals (security, n=40 items):")
    cov = coverage(40, runs)
    print(
        f"  mean P(yes) t: {cov[0]:.3f}; sampled K=3 t (clustered): {cov[1]:.3f}; "
        f"Wilson: {cov[2]:.3f}"
    )
    needed()
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
