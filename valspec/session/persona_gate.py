"""The persona family of one run: every persona case's alignment shift against its baseline,
paired by item and Holm-corrected across the cases.

An alignment shift is a contrast of per-value changes (mean change on the targets minus mean
change on the other values). Written per item, it is the mean of *contrast outcomes*
``c_i = N * w_i * d_i``: ``d_i`` is the item's persona-minus-neutral change, ``N`` the number
of items compared and ``w_i`` = +1/(|targets| n_v) for an item of a target value v, and
-1/(|others| n_v) otherwise. The same weights (from the items both runs share) are used on
both sides, so a paired t test on ``c_i`` tests the change of the shift on common items,
including for a limited run (``--valspec-limit``). As for values (see
valspec/session/value_gate.py), the family is every persona case of the run, computed once
per session.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from valspec.domain.numbers import interval, p_value, signed
from valspec.measure.budget import Budget
from valspec.measure.drift import Comparison, Payload, compare_persona, persona_payload
from valspec.measure.gate import (
    GateCase,
    GateOptions,
    GateVerdict,
    drift_headline,
    evaluate_family,
    inconclusive_message,
)
from valspec.measure.stats import Z95, one_sided_below_p
from valspec.session.cases import PersonaCase
from valspec.session.families import suite_budget
from valspec.session.run import Run
from valspec.session.value_gate import ValspecWarning, baseline_for

PERSONA_TEST = "test_persona_alignment"
"""The suite's persona test; snapshots are ``<model dir>/test_persona_alignment[<case>].json``."""
GATED = ("pass", "drift", "partial")
"""Comparison statuses the gate decides (new and stale baselines are the snapshot check's)."""


def contrast_outcomes(
    current: Payload, baseline: Payload
) -> tuple[dict[str, float], dict[str, float]]:
    """Per-item contrast outcomes (``value/item`` -> c_i) of both runs on their common items.

    Empty when the payloads lack per-item changes, score them in different modes, or share
    no item of a target value or no item of another value (the shift is then undefined).
    """
    now: Mapping[str, Mapping[str, float]] = current.get("item_deltas") or {}
    base: Mapping[str, Mapping[str, float]] = baseline.get("item_deltas") or {}
    if not now or not base or current.get("item_mode") != baseline.get("item_mode"):
        return {}, {}
    common = {v: sorted(set(now[v]).intersection(base.get(v, {}))) for v in now}
    common = {v: items for v, items in common.items() if items}
    raises = set(current.get("raises", ()))
    targets = [v for v in common if v in raises]
    others = [v for v in common if v not in raises]
    if not targets or not others:
        return {}, {}
    total = sum(len(items) for items in common.values())
    out_now: dict[str, float] = {}
    out_base: dict[str, float] = {}
    for value, items in common.items():
        group = len(targets) if value in raises else -len(others)
        weight = total / (group * len(items))
        # Whole-list passes per value (a large run has tens of thousands of items per value).
        keys = [f"{value}/{item}" for item in items]
        now_of, base_of = now[value].__getitem__, base[value].__getitem__
        out_now.update(zip(keys, [weight * float(x) for x in map(now_of, items)], strict=True))
        out_base.update(zip(keys, [weight * float(x) for x in map(base_of, items)], strict=True))
    return out_now, out_base


@dataclass(frozen=True)
class _Member:
    payload: Payload
    baseline: Payload | None
    comparison: Comparison


SHIFT_SE_FLOOR = 1.0
"""Smallest SE (points) assumed for an alignment shift: one changed answer's worth."""


@dataclass(frozen=True)
class ShiftCheck:
    """The one-sided test that a persona moves the profile by at least the minimum shift."""

    shift: float
    se: float
    minimum: float
    p_value: float
    level: float  # per-test level: the family's share of alpha over its full size (Bonferroni)
    upper: float  # one-sided upper bound of the shift at that level

    @property
    def failed(self) -> bool:
        """The whole one-sided interval lies below the minimum."""
        return not math.isnan(self.p_value) and self.p_value < self.level


class PersonaGate:
    """Lazily compares every persona case of a run with its baseline and decides each one."""

    def __init__(
        self,
        run: Run,
        directory: Path,
        tolerance: Callable[[Payload], float],
        options: GateOptions,
        budget: Budget | None = None,
    ) -> None:
        self.run = run
        self.directory = directory
        self.tolerance = tolerance
        self.options = options
        self.budget = budget or suite_budget(run, options.alpha)

    def baseline_path(self, case: PersonaCase) -> Path:
        """Where a persona case's baseline lives (the snapshot syrupy writes for its test)."""
        return self.directory / f"{PERSONA_TEST}[{case.id}].json"

    @cached_property
    def members(self) -> dict[str, _Member]:
        """Each case's payload, baseline and tolerance-only comparison, by case id."""
        members = {}
        for case in self.run.selected_persona_cases():  # the family: the selected cases
            payload = persona_payload(self.run.persona_result(case), self.run.identity(case))
            baseline = baseline_for(self.run, payload, self.baseline_path(case))
            comparison = compare_persona(payload, baseline, self.tolerance(payload))
            members[case.id] = _Member(payload, baseline, comparison)
        return members

    @cached_property
    def verdicts(self) -> dict[str, GateVerdict]:
        """The gate's verdict for every case with a comparable baseline holding item changes."""
        cases = []
        for name, member in self.members.items():
            if member.baseline is None or member.comparison.status not in GATED:
                continue
            now, base = contrast_outcomes(member.payload, member.baseline)
            if now:
                cases.append(GateCase(name, now, base, self.tolerance(member.payload)))
        return evaluate_family(
            cases,
            self.options,
            alpha=self.budget.alpha_for("persona"),
            family_size=self.budget.size("persona"),
        )

    def shift_check(self, case: PersonaCase) -> ShiftCheck:
        """Whether the persona moved the profile toward its values by the minimum shift.

        Judged on the interval, never on the point estimate: the case fails only when the
        shift's one-sided upper bound, at the family's per-test level, lies below the minimum.
        """
        result = self.run.persona_result(case)
        minimum = case.persona.min_shift or self.run.settings.persona_min_shift
        low, high = result.ci
        se = (high - low) / (2.0 * Z95) if not math.isnan(high - low) else math.nan
        level = self.budget.per_test("persona-shift")
        upper = result.shift + float(_z(level)) * se if not math.isnan(se) else math.nan
        p = one_sided_below_p(result.shift, se, minimum, floor=SHIFT_SE_FLOOR)
        return ShiftCheck(result.shift, se, minimum, p, level, upper)

    def verdict(self, case: PersonaCase) -> GateVerdict | None:
        """This case's verdict, or None when it has no comparable baseline."""
        return self.verdicts.get(case.id)

    def failed(self, case: PersonaCase) -> bool:
        """The gate fails the case (or, in strict mode, could not decide it).

        An inconclusive verdict passes with a warning naming the items that would decide it;
        the point estimate alone never fails a case.
        """
        verdict = self.verdict(case)
        if verdict is None:
            return False
        return verdict.failed or (self.options.strict and verdict.status == "inconclusive")

    def failure(self, case: PersonaCase) -> str | None:
        """The failure message of a case the gate fails, with the family table."""
        verdict = self.verdict(case)
        if verdict is None or not self.failed(case):
            return None
        member = self.members[case.id]
        equivalence = verdict.status in ("equivalent", "not-equivalent")
        what = (
            "is not shown equivalent"
            if equivalence
            else drift_headline(verdict.delta, verdict.tolerance)
        )
        # Short enough to review: the run's table of persona cases is printed once, in the
        # summary, not in every failing case.
        lines = [
            f"{case.persona.id}/{case.strategy}: alignment shift {what}:",
            f"  {signed(verdict.baseline)} -> {signed(verdict.current)}, Δ {signed(verdict.delta)}"
            f" points (95 % CI of Δ {interval(verdict.ci)}), n={verdict.n} items",
            f"  adj. p {p_value(verdict.p_adjusted)} ({verdict.test}, Holm over persona cases), "
            f"{100 * verdict.power:.0f} % power; tolerance ±{verdict.tolerance:g}",
        ]
        if verdict.status == "inconclusive":
            lines.append(
                f"  strict mode: undecided: {verdict.n} items give "
                f"{100 * verdict.power:.0f} % power, about {verdict.n_needed} would decide"
            )
        lines += [
            f"  note: {n}" for n in member.comparison.notes if member.comparison.status != "partial"
        ]
        return "\n".join(lines)

    def warn_if_inconclusive(self, case: PersonaCase) -> None:
        """Emit a ValspecWarning naming the n needed when the gate could not decide."""
        verdict = self.verdict(case)
        if verdict is not None and verdict.status == "inconclusive" and not self.failed(case):
            message = inconclusive_message(verdict, power=self.options.power)
            warnings.warn(ValspecWarning(message), stacklevel=2)

    def row(self, case: PersonaCase) -> dict[str, Any]:
        """The verdict's fields for the summary row (empty without a verdict)."""
        verdict = self.verdict(case)
        if verdict is None:
            return {}
        return {
            # unrounded: every output formats these through valspec.domain.numbers
            "shift": verdict.current,
            "n": verdict.n,
            "baseline": verdict.baseline,
            "delta": verdict.delta,
            "delta_ci": list(verdict.ci),
            "p_adjusted": verdict.p_adjusted,
            "test": verdict.test,
            "status": "drift" if self.failed(case) else verdict.status,
            "gate": verdict.status,
            "n_needed": verdict.n_needed,
        }


def _z(level: float) -> float:
    """The one-sided normal quantile for ``level`` (the upper bound's multiplier)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(1.0 - level)
