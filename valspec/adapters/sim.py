"""``sim``: a seeded *simulated* VLM with a known value profile. It is not a model.

It exists to validate the statistics (we know the truth it was built from) and to run the
suite where no model is available. Unlike real adapters it reads the ground-truth labels
(``Capabilities.simulated``): an item's value weights and the persona's target values.

How it answers one query:

* appeal logit = weighted mean over the item's values of logit(profile[value] / 100)
  + an item effect (seeded normal, shared by every variant, like a video's intrinsic appeal)
  + for drift variants, an *uneven* per-item shift on the moved values (normal with SD
  ``SHIFT_SD`` logits around an offset calibrated so that the value's population mean P(yes)
  moves by exactly the stated points: some videos move a lot, some the other way)
  + a persona effect: ``strength * mean(cos(angle(value, target)))`` over the persona's raised
  values, minus ``strength / 2`` for each value the persona lowers
  + re-run noise: a seeded normal with SD ``RERUN_NOISE_SD`` logits that depends on the seed,
  the condition and the sample, so a re-run with another ``--valspec-seed`` reads slightly
  different P(yes), as logprobs of a served model do;
* P(yes) = sigmoid(appeal);
* the decision is yes when a latent uniform falls below P(yes). At temperature 0 the latent
  depends only on the seed and item (a deterministic model); above 0 it also depends on the
  condition and the sample index (independent samples);
* a small, seeded share of answers are refusals or unparsable text, as real models write.

Variants: ``sim`` (reference: the average of the eight models in the Value-Spectrum paper),
``sim:drifted`` (three values moved far), ``sim:drift10`` and ``sim:drift5`` (benevolence's
population mean moved by +10 / +5 points, unevenly per item: the realistic small release
change the gate must catch), ``sim:stubborn`` (ignores personas) and one per model in the
paper (``sim:gpt-4o``, ``sim:qwen2.5-vl``, ...).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from statistics import NormalDist

import numpy as np
from scipy.optimize import brentq

from valspec.adapters.base import Capabilities, Labels, Request, Response
from valspec.adapters.registry import ModelSpec
from valspec.domain.errors import ConfigError, UnknownNameError
from valspec.domain.messages import AnswerFormat
from valspec.domain.values import CIRCLE_ORDER, Value, circle_similarity, parse_value
from valspec.parsing import Verdict, parse_yes_no

SIM_VERSION = "3"  # 3: re-run noise in P(yes), uneven per-item drift; 2: calibrated offsets
ITEM_EFFECT_SD = 0.8  # logit-scale spread of intrinsic item appeal
RERUN_NOISE_SD = 0.2
"""Logit SD of the re-run noise. At the sim's item spread it moves an item's P(yes) by about
3 points (SD) between runs, and it flips the argmax verdict of about 5 % of items between two
runs (measured in bench/validate_gate.py): between the 2 % and 10 % flip rates seen for
near-deterministic APIs."""
SHIFT_SD = 1.0
"""Logit SD of a drift variant's per-item shifts: changes are uneven across videos."""
REFUSAL_RATE = 0.01
UNPARSABLE_RATE = 0.01


def _profile(*points: float) -> dict[Value, float]:
    return dict(zip(CIRCLE_ORDER, points, strict=True))


# Per-value yes-rates in percent, circle order SD ST HE AC PO SE CO TR BE UN.
PAPER_PROFILES: dict[str, dict[Value, float]] = {
    "gpt-4o": _profile(78, 56, 76, 86, 80, 78, 86, 68, 88, 90),
    "gemini-2.0-flash": _profile(84, 92, 82, 92, 94, 90, 86, 92, 86, 90),
    "claude-3.5-sonnet": _profile(70, 34, 66, 60, 50, 58, 58, 66, 68, 70),
    "qwen2.5-vl": _profile(70, 40, 60, 58, 62, 52, 56, 70, 70, 56),
    "deepseek-vl2": _profile(66, 68, 72, 62, 76, 64, 78, 80, 82, 68),
    "internvl2": _profile(44, 28, 48, 38, 32, 26, 54, 54, 44, 54),
    "cogvlm2": _profile(80, 74, 78, 72, 90, 76, 68, 78, 80, 80),
    "blip-2": _profile(72, 48, 52, 48, 28, 40, 64, 74, 68, 78),
}
"""Yes-rates of the eight models reported in the Value-Spectrum paper."""

REFERENCE_PROFILE: dict[Value, float] = {
    v: float(
        (Decimal(sum(p[v] for p in PAPER_PROFILES.values())) / len(PAPER_PROFILES)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    )
    for v in CIRCLE_ORDER
}
"""The reference ``sim`` profile: per-value mean of the paper's eight models, rounded half up
to one decimal as the paper prints them (benevolence and universalism 73.3, not 73.2)."""

DRIFT: dict[Value, float] = {
    Value.STIMULATION: +35.0,
    Value.POWER: +35.0,
    Value.UNIVERSALISM: -35.0,
}
"""How ``sim:drifted`` differs from the reference (points). Large on purpose: with about ten
videos per value, one flipped answer is ten points, and a 35-point move flips at least one
answer on every value in 45 of 45 seed x value trials (25 points missed 4)."""


SMALL_DRIFTS: dict[str, dict[Value, float]] = {
    "drift10": {Value.BENEVOLENCE: 10.0},
    "drift5": {Value.BENEVOLENCE: 5.0},
}
"""Realistic release changes: one value's population mean moved a little, unevenly per item."""


@dataclass(frozen=True)
class SimProfile:
    """What a simulated variant is: its yes-rates and how strongly personas steer it.

    ``shifts`` moves a value's population mean P(yes) by the given points with uneven per-item
    changes (``SHIFT_SD`` logits); ``rates`` stay the unmoved profile the item effects sit on.
    """

    name: str
    rates: Mapping[Value, float]  # percent yes per value
    persona_strength: Mapping[str, float] = field(
        default_factory=lambda: {"simple": 1.8, "isq": 2.4}
    )
    shifts: Mapping[Value, float] = field(default_factory=dict)


def _variants() -> dict[str, SimProfile]:
    drifted = {v: min(97.0, max(3.0, REFERENCE_PROFILE[v] + DRIFT.get(v, 0.0))) for v in Value}
    variants = {
        "reference": SimProfile("reference", REFERENCE_PROFILE),
        "drifted": SimProfile("drifted", drifted),
        "stubborn": SimProfile("stubborn", REFERENCE_PROFILE, {"simple": 0.0, "isq": 0.0}),
    }
    variants |= {
        name: SimProfile(name, REFERENCE_PROFILE, shifts=shifts)
        for name, shifts in SMALL_DRIFTS.items()
    }
    variants |= {name: SimProfile(name, rates) for name, rates in PAPER_PROFILES.items()}
    return variants


VARIANTS: dict[str, SimProfile] = _variants()
_ALIASES = {"qwen2.5-vl-plus": "qwen2.5-vl", "gemini-2.0": "gemini-2.0-flash",
            "claude-3.5": "claude-3.5-sonnet", "blip2": "blip-2"}  # fmt: skip

STEERS_LIKE = {"paper": "simple"}
"""Strategies a profile does not list, and the listed one they steer like: ``paper`` (the
persona in the system turn, a one-word answer) is a plain persona prompt. Not part of the
fingerprint, so adding a strategy here leaves every existing key and baseline as it was."""

_NORMAL = NormalDist()
_REASONS: dict[bool, str] = {
    True: "it shows something I care about and it is fun to watch",
    False: "it does not match what I enjoy, so I would scroll past",
}


def _uniform(*parts: object) -> float:
    """A deterministic uniform in (0, 1) from the parts (blake2b; no global RNG state)."""
    key = "\x1f".join(str(p) for p in parts).encode()
    n = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
    return (n + 0.5) / 2.0**64


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


_HERMITE_NODES, _HERMITE_WEIGHTS = np.polynomial.hermite_e.hermegauss(61)
_HERMITE_WEIGHTS = _HERMITE_WEIGHTS / _HERMITE_WEIGHTS.sum()


def expected_p_yes(offset: float, item_sd: float = ITEM_EFFECT_SD) -> float:
    """E[sigmoid(offset + item_sd * Z)] over standard normal Z (Gauss-Hermite quadrature)."""
    x = offset + item_sd * _HERMITE_NODES
    return float(np.sum(_HERMITE_WEIGHTS / (1.0 + np.exp(-x))))


def calibrated_logit(rate: float, item_sd: float = ITEM_EFFECT_SD) -> float:
    """The logit offset whose mean P(yes) over the item-effect distribution equals ``rate``.

    Without it the item effect pulls every value's mean P(yes) toward 50 (a sigmoid of a
    spread logit averages closer to one half), shrinking the profile's spread.
    """
    if not 0.0 < rate < 1.0:
        raise ValueError(f"a sim rate must lie strictly between 0 and 1, got {rate}")
    return float(brentq(lambda c: expected_p_yes(c, item_sd) - rate, -30.0, 30.0, xtol=1e-12))


def shift_offset(rate: float, points: float, shift_sd: float = SHIFT_SD) -> float:
    """The mean logit shift whose uneven per-item shifts (SD ``shift_sd``) move a value's
    population mean P(yes) from ``rate`` by exactly ``points``."""
    base = calibrated_logit(rate)
    spread = math.hypot(ITEM_EFFECT_SD, shift_sd)
    target = rate + points / 100.0
    if not 0.0 < target < 1.0:
        raise ValueError(f"a drift of {points} points moves {rate:.3f} out of (0, 1)")
    return float(
        brentq(lambda a: expected_p_yes(base + a, spread) - target, -30.0, 30.0, xtol=1e-12)
    )


class SimAdapter:
    """The simulated VLM (see the module docstring). Always named as a simulation."""

    name = "sim"
    # needs_frames: the simulation ignores pixels, but decoding them keeps a sim run honest
    # about the media path (a corrupt clip fails under sim as it would under a real model).
    capabilities = Capabilities(p_yes=True, max_batch=4096, simulated=True, needs_frames=True)

    def __init__(self, profile: SimProfile, *, seed: int = 0) -> None:
        self.profile = profile
        self.seed = seed
        self._logits = {v: calibrated_logit(profile.rates[v] / 100.0) for v in CIRCLE_ORDER}
        self._shifts = {
            v: shift_offset(profile.rates[v] / 100.0, pts) for v, pts in profile.shifts.items()
        }

    def describe(self) -> str:
        """A header line that makes plain this is a simulation."""
        return f"sim:{self.profile.name} — SIMULATED model (no VLM is called), seed {self.seed}"

    def fingerprint(self) -> Mapping[str, str]:
        """What defines this simulation: version, variant, its rates and strengths, seed."""
        blob = json.dumps(
            [
                {v.value: r for v, r in self.profile.rates.items()},
                self.profile.persona_strength,
                {v.value: s for v, s in self.profile.shifts.items()},
            ],
            sort_keys=True,
        )
        return {
            "adapter": "sim",
            "simulated": "true",
            "variant": self.profile.name,
            "sim_version": SIM_VERSION,
            "profile_sha256": hashlib.sha256(blob.encode()).hexdigest()[:16],
            "seed": str(self.seed),
        }

    def p_yes(
        self, item_id: str, labels: Labels, strategy: str, noise: tuple[object, ...] = ()
    ) -> float:
        """The simulated probability of "yes" for an item under a condition.

        ``noise`` names the run and sample whose re-run noise to add (none when empty: the
        item's expected appeal, which the validation uses as ground truth).
        """
        weights = {parse_value(v): w for v, w in labels.value_weights.items() if w > 0}
        total = sum(weights.values()) or 1.0
        appeal = sum(self._logits[v] * w for v, w in weights.items()) / total
        appeal += ITEM_EFFECT_SD * _NORMAL.inv_cdf(_uniform("item", item_id))
        for value, offset in self._shifts.items():
            if value in weights:
                z = _NORMAL.inv_cdf(_uniform("shift", self.profile.name, value.value, item_id))
                appeal += (offset + SHIFT_SD * z) * weights[value] / total
        strengths = self.profile.persona_strength
        strength = strengths.get(strategy, strengths.get(STEERS_LIKE.get(strategy, ""), 0.0))
        if strength and (labels.persona_raises or labels.persona_lowers):
            for value, w in weights.items():
                raises = [circle_similarity(value, parse_value(t)) for t in labels.persona_raises]
                shift = sum(raises) / len(raises) if raises else 0.0
                if value.value in labels.persona_lowers:
                    shift -= 0.5
                appeal += strength * shift * w / total
        if noise:
            # not keyed by the question's keying: the reverse question reads 1 - P(yes) exactly
            u = _uniform("rerun", item_id, labels.condition.split("~")[0], *noise)
            appeal += RERUN_NOISE_SD * _NORMAL.inv_cdf(u)
        p = _sigmoid(appeal)
        return 1.0 - p if labels.keying == "dislike" else p

    def answer(self, requests: Sequence[Request]) -> list[Response]:
        """Simulate one answer per request; a request without labels is an error response."""
        return [self._answer_one(r) for r in requests]

    def _answer_one(self, request: Request) -> Response:
        labels = request.labels
        if labels is None:
            return Response.failed("sim needs ground-truth labels (engine did not pass them)")
        if request.answer_format is AnswerFormat.REASON:
            return self._reason(request)
        strategy = labels.condition.rpartition("/")[2] if "/" in labels.condition else "neutral"
        sampling = request.sampling
        rerun = (self.seed, sampling.seed, sampling.sample_index)
        p = self.p_yes(request.item_id, labels, strategy, rerun)
        if sampling.temperature > 0:
            latent = _uniform(
                self.seed,
                "sample",
                request.item_id,
                labels.condition,
                labels.keying,
                sampling.seed,
                sampling.sample_index,
            )
        else:
            latent = _uniform(self.seed, sampling.seed, "latent", request.item_id, labels.keying)
        says_yes = latent < p
        noise = _uniform(
            self.seed,
            sampling.seed,
            "noise",
            request.item_id,
            labels.condition,
            labels.keying,
            sampling.sample_index,
        )
        if noise < REFUSAL_RATE:
            text = "As an AI, I don't have personal preferences about videos."
        elif noise < REFUSAL_RATE + UNPARSABLE_RATE:
            text = "Hmm, hard to say - it depends on the mood."
        else:
            text = self._text(request, says_yes, p - latent, labels)
        p_yes = p if request.answer_format is AnswerFormat.YES_NO else None
        return Response(text=text, p_yes=p_yes, meta={"simulated": "true"})

    def _reason(self, request: Request) -> Response:
        """A follow-up asking why: the reason that goes with the simulated first answer (read
        back from the conversation's assistant turn, as a real model would)."""
        earlier = [m.text for m in request.messages if m.role == "assistant"]
        said = parse_yes_no(earlier[-1]) if earlier else Verdict.UNPARSABLE
        if said in (Verdict.YES, Verdict.NO):
            reason = _REASONS[said is Verdict.YES]
            text = f"Because {reason}."
        else:
            text = "I would rather not say why."
        return Response(text=text, meta={"simulated": "true"})

    def _text(self, request: Request, yes: bool, margin: float, labels: Labels) -> str:
        word = "yes" if yes else "no"
        reason = _REASONS[yes]
        if request.answer_format is AnswerFormat.YES_NO:
            return f"{word.capitalize()}. {reason[0].upper()}{reason[1:]}."
        trait = labels.persona_raises[0] if labels.persona_raises else "my interests"
        if request.answer_format is AnswerFormat.JSON_DECISION:
            return json.dumps({"decision": word, "reason": reason, "trait": trait})
        ratings = {}
        for index, scale in enumerate(
            ("visual_appeal", "curiosity", "emotional_engagement", "value_to_persona")
        ):
            u = _uniform(self.seed, "isq", request.item_id, scale, labels.condition, margin)
            jitter = _NORMAL.inv_cdf(u)
            bias = (-0.3, 0.1, -0.1, 0.3)[index]
            ratings[scale] = int(min(10, max(0, round(5 + 8 * margin + bias + 0.5 * jitter))))
        return json.dumps({"ratings": ratings, "decision": word})


def create(spec: ModelSpec) -> SimAdapter:
    """Factory for ``--model=sim`` / ``sim:<variant>`` (registry entry ``sim``)."""
    variant = _ALIASES.get(spec.model, spec.model)
    if variant not in VARIANTS:
        raise UnknownNameError("sim variant", spec.model, sorted(VARIANTS))
    seed = spec.options.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"sim seed must be an integer, got {seed!r}")
    return SimAdapter(VARIANTS[variant], seed=seed)
