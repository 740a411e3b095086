"""The value suite: the test functions ``pytest --model=...`` runs.

Import them into a test module to use the suite in any repository::

    # tests/values/test_value_suite.py
    from valspec.suite import test_persona_alignment, test_value_preference

Each value becomes ``test_value_preference[<value>]``, each persona x strategy
``test_persona_alignment[<persona>-<strategy>]`` and each strategy
``test_persona_circumplex[<strategy>]`` (parametrized by the plugin).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from valspec.measure.drift import Comparison, persona_payload, value_payload
from valspec.measure.quality import answer_problems
from valspec.measure.scoring import ValueResult, paper_score
from valspec.session.against import LiveBaseline
from valspec.session.cases import PersonaCase, ValueCase
from valspec.session.persona_gate import PersonaGate
from valspec.session.run import Run
from valspec.session.strategy_cases import (
    StrategyCase,
    circumplex_failure,
    persona_metric_row,
    strategy_outcome,
    strategy_row,
)
from valspec.session.value_gate import ValspecWarning, ValueGate
from valspec.snapshot import BaselineCheck

Recorder = Callable[[dict[str, Any]], None]
__all__ = [
    "ValspecWarning",
    "test_persona_alignment",
    "test_persona_circumplex",
    "test_value_preference",
]


def _row(kind: str, name: str, comparison: Comparison, run: Run, **extra: Any) -> dict[str, Any]:
    status = comparison.status
    return {
        "kind": kind,
        "case": name,
        "baseline": comparison.baseline,
        "delta": comparison.delta,  # unrounded: displayed through valspec.domain.numbers
        "status": status,
        "model": run.describe_model(),
        **extra,
    }


def _setup_rows(results: Mapping[str, ValueResult]) -> dict[str, Any]:
    """``paper_setup``: the value scored under the paper flow's neutral question (with
    ``--valspec-strategies paper``), valspec's way and the paper's way, each with its n."""
    setups = [
        {
            "prompt": prompt,
            "score": None if math.isnan(r.score) else round(r.score, 1),
            "ci95": [None if math.isnan(x) else round(x, 1) for x in r.ci],
            "n": r.n,
            "paper_score": paper_score(r.tally).as_dict(),
        }
        for prompt, r in results.items()
    ]
    return {"paper_setup": setups[0]} if setups else {}


def _status(comparison: Comparison, problems: list[str], *, gated: bool = False) -> dict[str, str]:
    """Drift, staleness and a missing baseline name themselves, as does a case the gate fails
    (``gated``: its row says the gate's verdict); anything else is ``fail``."""
    named = gated or comparison.failed or comparison.status == "new"
    return {"status": "fail"} if problems and not named else {}


def _finish(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_value_preference(
    valspec_value: ValueCase,
    valspec_run: Run,
    valspec_baseline: BaselineCheck | LiveBaseline,
    valspec_record: Recorder,
    valspec_value_gate: ValueGate,
) -> None:
    """A value's score does not drift beyond tolerance, significantly (Holm across values)."""
    run, case = valspec_run, valspec_value
    result = run.value_result(case.value)
    payload = value_payload(result, run.identity(case))
    verdict = valspec_value_gate.verdict(case.value)
    gate_failed = valspec_value_gate.failed(case.value)  # the family's verdict, asked once
    comparison = valspec_baseline.compare(payload, moved=None if verdict is None else gate_failed)
    gate: dict[str, Any] = {"mode": result.mode, "score": payload["score"]}
    gate["yes_rate"] = payload["yes_rate"]
    gate["ci"] = payload["score_ci95"]
    if "keying" in payload:  # --valspec-keying balanced: acquiescence control
        keying = payload["keying"]
        gate |= {k: keying[k] for k in ("balanced", "balanced_ci95", "balanced_se")}
        gate |= {k: keying[k] for k in ("acquiescence", "acquiescence_ci95", "acquiescence_se")}
        gate["keying_n"] = keying["n"]
    if verdict is None or comparison.status not in ("pass", "drift"):
        problems = [p for p in [valspec_baseline.failure(comparison)] if p]
    else:  # the family's verdict, not the tolerance-only comparison, decides
        failure = None if valspec_baseline.update else valspec_value_gate.failure(case.value)
        problems = [failure] if failure else []
        # One rounding path: the row carries the verdict's unrounded numbers (the ones the
        # failure message formats), and every output formats them via valspec.domain.numbers.
        gate |= {
            "score": verdict.current,
            "n": verdict.n,
            "baseline": verdict.baseline,
            "delta": verdict.delta,
            "delta_ci": list(verdict.ci),
            "p_adjusted": verdict.p_adjusted,
            "test": verdict.test,
            "status": verdict.status,
            "n_needed": verdict.n_needed,
        }
    quality = valspec_value_gate.budget.per_test("quality")
    problems += answer_problems(case.id, result.tally, run.settings, quality, result.errors)
    valspec_record(
        _row(
            "value",
            case.id,
            comparison,
            run,
            score=payload["yes_rate"],
            ci=payload["ci95"],
            # n: what the score rests on, as in the gate: decided answers for a yes share,
            # items for a mean P(yes) or a mean of K samples
            n=result.n if result.mode == "binary" else len(result.item_scores),
            unparsable=payload["rates_percent"]["unparsable"],
            errors=payload["rates_percent"]["error"],
            item_outcomes=[round(x, 3) for x in result.item_scores.values()],
            mean_p_yes=payload["mean_p_yes"],
            status_detail="; ".join(comparison.notes),
            refusals=payload["rates_percent"]["refusal"],
            identity=payload["identity"],
            paper_score=paper_score(result.tally).as_dict(),
            **_setup_rows(run.setup_results(case.value)),
        )
        | gate
        | _status(comparison, problems, gated=gate_failed)
    )
    _finish(problems)


def test_persona_alignment(
    valspec_persona_case: PersonaCase,
    valspec_run: Run,
    valspec_baseline: BaselineCheck | LiveBaseline,
    valspec_record: Recorder,
    valspec_persona_gate: PersonaGate,
) -> None:
    """Playing a persona raises its target values against the neutral profile (centred), and
    its alignment shift does not drift (paired by item, Holm across the run's persona cases)."""
    run, case, gate = valspec_run, valspec_persona_case, valspec_persona_gate
    result = run.persona_result(case)
    payload = persona_payload(result, run.identity(case))
    verdict = gate.verdict(case)
    gate_failed = gate.failed(case)  # the family's verdict, asked once
    comparison = valspec_baseline.compare(payload, moved=None if verdict is None else gate_failed)
    if verdict is None:
        problems = [p for p in [valspec_baseline.failure(comparison)] if p]
    else:  # the family's verdict, not the tolerance-only comparison, decides
        failure = None if valspec_baseline.update else gate.failure(case)
        problems = [failure] if failure else []
    errors = {k: v for r in result.profile.values() for k, v in r.errors.items()}
    quality = gate.budget.per_test("quality")
    problems += answer_problems(case.id, result.tally, run.settings, quality, errors)
    # On centred scores: the targets must rise relative to the other values (a model near
    # its ceiling on the targets can still show this through the others falling). Judged on
    # the interval: the case fails only when its one-sided upper bound is below the minimum.
    check = gate.shift_check(case)
    if check.failed:
        deltas = ", ".join(
            f"{v.value} {result.deltas[v]:+.1f}" for v in case.persona.raises if v in result.deltas
        )
        problems.append(
            f"{case.id}: the persona did not move the profile toward its values: alignment "
            f"shift {result.shift:+.1f} points, 95 % CI [{result.ci[0]:.1f}, {result.ci[1]:.1f}];"
            f" even its upper bound at the family level ({check.upper:+.1f}, one-sided, "
            f"alpha {check.level:.2g}) is below the minimum {check.minimum:g}; change on its "
            f"target values: {deltas}"
        )
    if comparison.status == "partial" and verdict is None:
        warnings.warn(ValspecWarning(comparison.message), stacklevel=1)
    valspec_record(
        _row(
            "persona",
            case.id,
            comparison,
            run,
            shift=payload["alignment_shift"],
            ci=payload["ci95"],
            target_delta=payload["target_delta"],
            n=result.tally.decided,
            deltas=payload["deltas"],
            persona=payload["persona"],
            strategy=payload["strategy"],
            raises=payload["raises"],
            unparsable=payload["rates_percent"]["unparsable"],
            errors=payload["rates_percent"]["error"],
            identity=payload["identity"],
            paper_score=paper_score(result.tally).as_dict(),
        )
        | persona_metric_row(payload)
        | gate.row(case)
        | _status(comparison, problems, gated=gate_failed)
    )
    _finish(problems)


def test_persona_circumplex(
    valspec_strategy: StrategyCase,
    valspec_run: Run,
    valspec_record: Recorder,
    valspec_persona_gate: PersonaGate,
) -> None:
    """Across personas, a strategy's changes fall off with distance on Schwartz's circle."""
    outcome = strategy_outcome(valspec_run, valspec_strategy)
    level = valspec_persona_gate.budget.per_test("circumplex")
    problem = circumplex_failure(outcome, valspec_run.settings.circumplex_min, level)
    row = strategy_row(outcome) | {"model": valspec_run.describe_model()}
    valspec_record(row | {"status": "fail" if problem else "pass"})
    _finish([problem] if problem else [])
