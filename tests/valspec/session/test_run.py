"""Run wiring for the ``paper`` strategy, and what a persona's ``source`` does not touch."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from valspec.domain.config import load_settings
from valspec.domain.errors import UnknownNameError
from valspec.engine.queries import NEUTRAL_CONDITION, Condition
from valspec.measure.drift import persona_payload
from valspec.session.cases import PersonaCase, neutral_condition
from valspec.session.options import RunOptions
from valspec.session.run import Run

REPO = Path(__file__).resolve().parents[3]


def _run(**options: object) -> Run:
    settings = load_settings(REPO)
    opts = {"model": "sim", "limit": 1, "personas": ("family-oriented",), "no_cache": True}
    return Run(settings, RunOptions(**(opts | options)))  # type: ignore[arg-type]


def test_changing_a_persona_source_changes_no_key_identity_or_payload() -> None:
    run = _run(strategies=("simple", "paper"))
    persona = run.personas[0]
    relabelled = replace(persona, source="somewhere else entirely")
    item = run.dataset.items[0]
    for strategy in ("simple", "isq", "paper"):
        before, after = Condition(strategy, persona), Condition(strategy, relabelled)
        assert run.engine.key_for(item, before, 0) == run.engine.key_for(item, after, 0)
        case, moved = PersonaCase(persona, strategy), PersonaCase(relabelled, strategy)
        assert run.identity(case) == run.identity(moved)
    result = run.persona_result(PersonaCase(persona, "simple"))
    assert persona_payload(result, {}) == persona_payload(replace(result, persona=relabelled), {})
    run.close()


def test_bundled_personas_say_their_texts_are_valspecs_own() -> None:
    for persona in _run().all_personas:
        assert persona.source.startswith("valspec ("), (persona.id, persona.source)
        assert "paper (persona example)" not in persona.source


def test_paper_cases_compare_with_the_paper_neutral_and_value_cases_ask_it_too() -> None:
    run = _run(strategies=("paper",))
    (case,) = run.persona_cases()
    assert neutral_condition("paper") == Condition("paper") != NEUTRAL_CONDITION
    assert neutral_condition("simple") is NEUTRAL_CONDITION
    assert {c.id for c, _ in run._groups(case)} == {"neutral:paper", "family-oriented/paper"}
    value_case = run.value_cases()[0]
    assert {c.id for c, _ in run._groups(value_case)} == {"neutral", "neutral:paper"}
    assert run.identity(case)["prompt"].startswith("paper-neutral-v1-")
    # default strategies keep the value cases and identities they had
    default = _run()
    assert {c.id for c, _ in default._groups(default.value_cases()[0])} == {"neutral"}
    simple = PersonaCase(default.personas[0], "simple")
    assert default.identity(simple)["prompt"].startswith("neutral-v2-")


def test_reason_turns_only_with_paper_reason() -> None:
    run = _run(strategies=("paper",))
    cases = run.persona_cases()
    run.prepare(cases, progress=lambda done, total, errors: None)
    assert run.follow_up_queries(cases) == []
    with_reason = Run(replace(run.settings, paper_reason=True), run.options)
    with_reason.prepare(cases, progress=lambda done, total, errors: None)
    reasons = with_reason.follow_up_queries(cases)
    assert len(reasons) == 2 * 10 and all(q.condition.follows for q in reasons)
    records = with_reason.records_for(cases)
    assert sum(r.condition.endswith(">reason") for r in records) == 20


def test_unknown_strategy_lists_the_opt_in_one() -> None:
    with pytest.raises(UnknownNameError, match="paper"):
        RunOptions(strategies=("papr",))
