"""Per-strategy cases: how well a prompting strategy steers, summarised across the personas.

``test_persona_circumplex[<strategy>]`` is one case per selected strategy. It needs every
selected persona under that strategy (and under the reference strategy, ``simple``, when that
is selected too, to say which of the two steers better, paired by persona and video).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from valspec.domain.prompts import STRATEGIES
from valspec.measure.persona_metrics import Estimate, StrategySummary, compare_strategies
from valspec.measure.persona_metrics import summarise_strategy as _summarise
from valspec.measure.scoring import PersonaResult
from valspec.measure.stats import one_sided_below_p
from valspec.session.cases import PersonaCase
from valspec.session.run import Run

CIRCUMPLEX_SE_FLOOR = 0.01
"""Smallest SE assumed for a mean Spearman (when no persona moved, every replicate is 0)."""
REFERENCE_STRATEGY = STRATEGIES[0]
"""The strategy others are compared with (valspec's plain persona prompt, its own design)."""


@dataclass(frozen=True)
class StrategyCase:
    """A per-strategy case: the circumplex consistency of one strategy across personas."""

    strategy: str

    @property
    def id(self) -> str:
        """The pytest id, e.g. ``isq``."""
        return self.strategy


@dataclass(frozen=True)
class StrategyOutcome:
    """A strategy's summary, its personas' results, and its difference from the reference."""

    summary: StrategySummary
    results: tuple[PersonaResult, ...]
    versus: str | None = None  # the reference strategy compared with, if any
    difference: Mapping[str, Estimate] | None = None  # this strategy minus the reference


def strategy_cases(run: Run) -> list[StrategyCase]:
    """One case per selected strategy (none when no persona is selected)."""
    if not run.personas:
        return []
    return [StrategyCase(s) for s in run.options.strategies]


def persona_cases_for(run: Run, case: StrategyCase) -> list[PersonaCase]:
    """The persona cases a strategy case reads: its own, plus the reference strategy's."""
    wanted = {case.strategy}
    if REFERENCE_STRATEGY in run.options.strategies:
        wanted.add(REFERENCE_STRATEGY)
    return [c for c in run.persona_cases() if c.strategy in wanted]


def strategy_outcome(run: Run, case: StrategyCase) -> StrategyOutcome:
    """Score every persona under the strategy and summarise (compared with the reference)."""
    results = {
        (c.persona.id, c.strategy): run.persona_result(c) for c in persona_cases_for(run, case)
    }
    own = [r for (_, strategy), r in results.items() if strategy == case.strategy]
    summary = _summarise(
        case.strategy,
        [r.metrics for r in own if r.metrics is not None],
        [r.isq_disagreement for r in own],
    )
    if case.strategy == REFERENCE_STRATEGY or REFERENCE_STRATEGY not in run.options.strategies:
        return StrategyOutcome(summary, tuple(own))
    reference, other = [], []
    for result in own:
        base = results[(result.persona.id, REFERENCE_STRATEGY)].metrics
        if base is not None and result.metrics is not None:
            reference.append(base)
            other.append(result.metrics)
    difference = compare_strategies(reference, other)
    return StrategyOutcome(summary, tuple(own), REFERENCE_STRATEGY, difference)


def persona_metric_row(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The persona metrics of a payload as summary-row fields (for the report tables)."""
    rank, opposite = payload.get("target_rank") or {}, payload.get("opposite") or {}
    return {
        "target_rank": rank.get("estimate"),
        "best_rank": rank.get("best"),
        "circumplex": (payload.get("circumplex") or {}).get("estimate"),
        "opposite": opposite.get("value"),
        "opposite_drop": opposite.get("estimate"),
        "isq_disagreement": payload.get("isq_disagreement_percent"),
    }


def _rounded(estimate: Estimate, digits: int) -> dict[str, Any]:
    def r(x: float) -> float | None:
        return None if math.isnan(x) else round(x, digits)

    return {"estimate": r(estimate.value), "ci95": [r(estimate.ci[0]), r(estimate.ci[1])]}


def strategy_row(outcome: StrategyOutcome) -> dict[str, Any]:
    """A per-strategy summary row: each mean with its interval, and the reference difference."""
    summary = outcome.summary
    digits = {"circumplex": 2}
    row: dict[str, Any] = {
        "kind": "strategy",
        "case": summary.strategy,
        "personas": summary.personas,
        "means": {k: _rounded(e, digits.get(k, 1)) for k, e in summary.means.items()},
        "isq_disagreement": None
        if summary.isq_disagreement is None
        else round(100.0 * summary.isq_disagreement, 1),
        "versus": outcome.versus,
    }
    if outcome.difference is not None:
        row["difference"] = {
            k: _rounded(e, digits.get(k, 1)) for k, e in outcome.difference.items()
        }
    return row


def circumplex_failure(outcome: StrategyOutcome, threshold: float, level: float) -> str | None:
    """Why a strategy's circumplex consistency is shown to be below ``threshold``, or None.

    One-sided test on the mean across personas (bootstrap SE, normal): the case fails only
    when the consistency is significantly below the threshold at the per-test ``level``.
    """
    mean = outcome.summary.means["circumplex"]
    p = one_sided_below_p(mean.value, mean.se, threshold, floor=CIRCUMPLEX_SE_FLOOR)
    if math.isnan(p) or p >= level:
        return None
    worst = sorted(
        (r for r in outcome.results if r.metrics is not None),
        key=lambda r: r.metrics.circumplex.value if r.metrics else 0.0,
    )[:5]
    listed = ", ".join(
        f"{r.persona.id} {r.metrics.circumplex.value:+.2f}" for r in worst if r.metrics
    )
    return (
        f"{outcome.summary.strategy}: changes do not follow Schwartz's circle: mean circumplex "
        f"consistency (Spearman) {mean.value:+.2f}, 95 % CI [{mean.ci[0]:.2f}, {mean.ci[1]:.2f}]"
        f" over {outcome.summary.personas} personas, below {threshold:g} (one-sided p {p:.2g} "
        f"< {level:.2g}); lowest: {listed}"
    )
