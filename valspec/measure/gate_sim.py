"""In-process simulation of the drift gate on synthetic items (no media, no pytest).

Used by the fast validation tests and by ``bench/validate_gate.py``. Items carry the ``sim``
model's logit (value profile plus intrinsic item appeal); a run reads them the way a model
would be read:

* ``p_yes``: P(yes) with the sim's re-run noise (``RERUN_NOISE_SD`` logits, fresh per run);
* ``p_yes_mean``: the mean P(yes) over K samples (a baseline recorded with
  ``--valspec-samples K``: its re-run noise K times smaller);
* ``binary``: one sampled verdict per item (a model at temperature > 0, or a fresh seed);
* ``sampled``: the share of yes over K sampled verdicts;
* ``flip``: a near-deterministic model: each item's argmax verdict, re-answered differently
  with probability ``flip`` in each run.

A drift moves a value's population mean by ``shift`` points with *uneven* per-item changes
(``SHIFT_SD`` logits, redrawn per replicate), as real model updates do; the gate then runs on a
baseline and a candidate drawn independently over the same items, with the value family's
share of the suite's alpha.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from valspec.adapters.base import Labels
from valspec.adapters.sim import (
    ITEM_EFFECT_SD,
    RERUN_NOISE_SD,
    SHIFT_SD,
    VARIANTS,
    SimAdapter,
    shift_offset,
)
from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.measure.gate import GateCase, GateOptions, GateVerdict, evaluate_family

Mode = Literal["p_yes", "p_yes_mean", "binary", "sampled", "flip"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


def item_logits(variant: str, value: Value, n: int, *, draw: int = 0) -> np.ndarray:
    """The sim's expected appeal logits of ``n`` synthetic items of one value (no run noise).

    ``draw`` picks another sample of items (their intrinsic appeal differs by id).
    """
    sim = SimAdapter(VARIANTS[variant])
    labels = Labels(value_weights={value.value: 1.0})
    p = np.array([sim.p_yes(f"{value.value}-d{draw}-{i:05d}", labels, "neutral") for i in range(n)])
    return np.log(p / (1.0 - p))


def item_p_yes(variant: str, value: Value, n: int, *, draw: int = 0) -> np.ndarray:
    """Expected P(yes) of ``n`` synthetic items of one value (see :func:`item_logits`)."""
    return _sigmoid(item_logits(variant, value, n, draw=draw))


def shifted(logits: np.ndarray, rate: float, points: float, rng: np.random.Generator) -> np.ndarray:
    """The logits after a drift of ``points`` on a value whose profile rate is ``rate`` (0-1):
    per-item shifts drawn around the calibrated offset with SD ``SHIFT_SD`` logits."""
    if points == 0:
        return logits
    offset = shift_offset(rate, points)
    return logits + offset + SHIFT_SD * rng.standard_normal(logits.size)


@dataclass(frozen=True)
class Reader:
    """How a run reads the items: the scoring mode and its settings."""

    mode: Mode
    samples: int = 5  # K for ``sampled``
    noise_sd: float = RERUN_NOISE_SD  # re-run noise in logits (p_yes, binary, sampled)
    flip: float = 0.05  # re-answer rate for ``flip``

    @property
    def binary(self) -> bool:
        """Whether outcomes are single 1/0 verdicts (the gate then uses McNemar)."""
        return self.mode in ("binary", "flip")


def outcomes(logits: np.ndarray, reader: Reader, rng: np.random.Generator) -> np.ndarray:
    """Per-item outcomes of one run as the gate sees them (independent draws each call)."""
    if reader.mode == "flip":
        stable = (logits > 0).astype(float)
        flipped = rng.random(logits.size) < reader.flip
        return np.where(flipped, 1.0 - stable, stable)
    if reader.mode == "p_yes_mean":
        draws = logits + reader.noise_sd * rng.standard_normal((reader.samples, logits.size))
        mean: np.ndarray = _sigmoid(draws).mean(axis=0)
        return mean
    p = _sigmoid(logits + reader.noise_sd * rng.standard_normal(logits.size))
    if reader.mode == "p_yes":
        return p
    k = 1 if reader.mode == "binary" else reader.samples
    drawn: np.ndarray = (rng.random((k, p.size)) < p).mean(axis=0)
    return drawn


def family_run(
    base_logits: Mapping[Value, np.ndarray],
    now_logits: Mapping[Value, np.ndarray],
    reader: Reader,
    rng: np.random.Generator,
    *,
    tolerance: float = 5.0,
    options: GateOptions | None = None,
    alpha: float | None = None,
    baseline: Mapping[Value, np.ndarray] | None = None,
    binary: bool | None = None,
) -> dict[str, GateVerdict]:
    """One gate run over every value: baseline and candidate outcomes drawn independently.

    ``baseline`` fixes the baseline's outcomes (a committed snapshot reused by every re-run);
    ``alpha`` is the value family's level (default: the options' alpha); ``binary`` says
    whether both sides are single verdicts (default: the reader's; a K-sample baseline of
    shares against single verdicts is compared as shares, as ``comparable_outcomes`` does).
    """
    binary = reader.binary if binary is None else binary
    cases = []
    for value in base_logits:
        base = (
            baseline[value] if baseline is not None else outcomes(base_logits[value], reader, rng)
        )
        now = outcomes(now_logits[value], reader, rng)
        ids = [f"i{i}" for i in range(base.size)]
        cases.append(
            GateCase(
                value.value,
                dict(zip(ids, now.tolist(), strict=True)),
                dict(zip(ids, base.tolist(), strict=True)),
                tolerance,
                binary=binary,
            )
        )
    return evaluate_family(cases, options, alpha=alpha, family_size=len(cases))


def profile_logits(variant: str, n: int, *, draw: int = 0) -> dict[Value, np.ndarray]:
    """Every value's synthetic items' logits for a variant."""
    return {v: item_logits(variant, v, n, draw=draw) for v in CIRCLE_ORDER}


def profile_p(variant: str, n: int, *, draw: int = 0) -> dict[Value, np.ndarray]:
    """Every value's synthetic items' expected P(yes) for a variant."""
    return {v: _sigmoid(x) for v, x in profile_logits(variant, n, draw=draw).items()}


def rates(variant: str) -> dict[Value, float]:
    """The variant's profile as fractions (what :func:`shifted` calibrates against)."""
    return {v: VARIANTS[variant].rates[v] / 100.0 for v in CIRCLE_ORDER}


__all__ = [
    "ITEM_EFFECT_SD",
    "Reader",
    "family_run",
    "item_logits",
    "item_p_yes",
    "outcomes",
    "profile_logits",
    "profile_p",
    "rates",
    "shifted",
]
