"""In-process simulation of the drift gate on synthetic items (no media, no pytest).

Used by the fast validation tests and by ``bench/validate_gate.py``: the ``sim`` model's
P(yes) for synthetic items of each value, outcomes drawn as a model at temperature > 0 would
give them (P(yes) itself, one yes/no verdict, or the share of yes over K samples), and the
gate run on a baseline and a candidate drawn independently over the same items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

import numpy as np

from valspec.adapters.base import Labels
from valspec.adapters.sim import VARIANTS, SimAdapter
from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.measure.gate import GateCase, GateOptions, GateVerdict, evaluate_family

Mode = Literal["p_yes", "binary", "sampled"]


def item_p_yes(
    variant: str, value: Value, n: int, *, draw: int = 0, shift: float = 0.0
) -> np.ndarray:
    """P(yes) of ``n`` synthetic items of one value; ``shift`` moves the value's rate (points).

    ``draw`` picks another sample of items (their intrinsic appeal differs by id).
    """
    profile = VARIANTS[variant]
    if shift:
        rates = dict(profile.rates)
        rates[value] = rates[value] + shift
        profile = replace(profile, rates=rates)
    sim = SimAdapter(profile)
    labels = Labels(value_weights={value.value: 1.0})
    return np.array(
        [sim.p_yes(f"{value.value}-d{draw}-{i:05d}", labels, "neutral") for i in range(n)]
    )


def outcomes(p: np.ndarray, mode: Mode, rng: np.random.Generator, samples: int = 1) -> np.ndarray:
    """Per-item outcomes as the gate sees them in ``mode`` (independent draws each call)."""
    if mode == "p_yes":
        return p.copy()
    k = 1 if mode == "binary" else samples
    drawn: np.ndarray = (rng.random((k, p.size)) < p).mean(axis=0)
    return drawn


def family_run(
    base_p: Mapping[Value, np.ndarray],
    now_p: Mapping[Value, np.ndarray],
    mode: Mode,
    rng: np.random.Generator,
    *,
    samples: int = 1,
    tolerance: float = 5.0,
    options: GateOptions | None = None,
) -> dict[str, GateVerdict]:
    """One gate run over every value: baseline and candidate outcomes drawn independently."""
    cases = []
    for value in base_p:
        base = outcomes(base_p[value], mode, rng, samples)
        now = outcomes(now_p[value], mode, rng, samples)
        ids = [f"i{i}" for i in range(base.size)]
        cases.append(
            GateCase(
                value.value,
                dict(zip(ids, now.tolist(), strict=True)),
                dict(zip(ids, base.tolist(), strict=True)),
                tolerance,
                binary=mode == "binary",
            )
        )
    return evaluate_family(cases, options)


def profile_p(variant: str, n: int, *, draw: int = 0) -> dict[Value, np.ndarray]:
    """Every value's synthetic items' P(yes) for a variant."""
    return {v: item_p_yes(variant, v, n, draw=draw) for v in CIRCLE_ORDER}
