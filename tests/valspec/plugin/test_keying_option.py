"""Acquiescence control: --valspec-keying balanced, and the per-item answer-order wording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valspec.domain.config import Settings
from valspec.domain.prompts import answer_order_for
from valspec.domain.values import Value
from valspec.measure.stats import keying_scores
from valspec.session.cases import DISLIKE_CONDITION, ValueCase
from valspec.session.options import RunOptions
from valspec.session.run import Run

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

REPO = Path(__file__).resolve().parents[3]


def _run(keying: str) -> Run:
    settings = Settings(root=REPO, dataset=REPO / "fixtures" / "videos")
    return Run(settings, RunOptions(model="sim", keying=keying, no_cache=True))


def test_balanced_keying_asks_both_questions_each_item_in_its_answer_order() -> None:
    run = _run("balanced")
    try:
        planned = run.planned_queries(ValueCase(Value.POWER))
        items = run.items_by_value[Value.POWER]
        assert len(planned) == 2 * len(items)
        assert {q.condition.keying for q in planned} == {"like", "dislike"}
        for query in planned:
            assert query.condition.order == answer_order_for(query.item.id)
            wording = ("Yes or No", "No or Yes")[query.condition.order]
            text = query.condition.template.render(platform=query.item.platform)[1].content[1]
            assert f"Answer {wording} first" in getattr(text, "text", "")
        # the key covers the rendered wording: the other order is another query
        query = planned[0]
        flipped = type(query.condition)(
            keying=query.condition.keying, order=1 - query.condition.order
        )
        assert run.engine.key_for(query.item, flipped, 0) != query.key
        result = run.value_result(Value.POWER)
        assert result.keying is not None and result.keying.n == len(items)
        # the sim answers the reverse-keyed question coherently: P(yes|dislike) = 1 - P(yes|like)
        assert result.keying.acquiescence == pytest.approx(0.0, abs=1e-9)
        assert result.keying.balanced == pytest.approx(result.mode_score)
        assert "neutral-dislike" in run.identity(ValueCase(Value.POWER))["prompt"]
        assert DISLIKE_CONDITION.id == "neutral~dislike"
    finally:
        run.close()


def test_like_keying_is_the_default_and_asks_one_question() -> None:
    run = _run("like")
    try:
        planned = run.planned_queries(ValueCase(Value.POWER))
        assert {q.condition.keying for q in planned} == {"like"}
        assert {q.condition.order for q in planned} == {0, 1}  # counterbalanced all the same
        assert run.value_result(Value.POWER).keying is None
    finally:
        run.close()


def test_keying_scores_separate_acquiescence_from_preference() -> None:
    like = {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}
    yes_sayer = {k: min(1.0, 1.0 - v + 0.3) for k, v in like.items()}  # says yes to both
    scores = keying_scores(like, yes_sayer)
    assert scores.acquiescence == pytest.approx(30.0) and scores.n == 4
    assert scores.balanced == pytest.approx(100 * (sum(like.values()) / 4) - 15.0)
    assert scores.acquiescence_ci[0] <= 30.0 <= scores.acquiescence_ci[1]


def test_balanced_option_end_to_end(suite: SuiteProject) -> None:
    suite.make()
    args = ("--model=sim", "-k", "preference", "--valspec-keying=balanced")
    result = suite.run(*args, "--snapshot-update")
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(
        [
            "value *P(yes) %*balanced*balanced CI*acquiesc.*acquiesc. CI",
            "overall (all values, like + reverse-keyed): balanced score * [[]*, *[]];"
            " acquiescence index 0.0 [[]0.0, 0.0[]]",
        ]
    )
    stored = json.loads(
        (suite.root / "snapshots" / "sim" / "test_value_preference[power].json").read_text()
    )
    assert set(stored["keying"]) >= {"balanced", "balanced_ci95", "acquiescence", "n"}
    assert "+neutral-dislike-v1-" in stored["identity"]["prompt"]
    suite.run(*args).assert_outcomes(passed=10)
    # a like-only run against the balanced baseline is another prompt: stale, never compared
    stale = suite.run("--model=sim", "-k", "preference")
    stale.stdout.fnmatch_lines(["*power: the baseline is stale*prompt template changed*"])


def test_unknown_keying_is_a_usage_error(suite: SuiteProject) -> None:
    result = suite.make().run("--model=sim", "--valspec-keying=both")
    result.stderr.fnmatch_lines(["*--valspec-keying: invalid choice: 'both'*"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=2, max_size=30))
def test_keying_scores_bounds_and_identities(pairs: list[tuple[float, float]]) -> None:
    like = {f"i{n}": a for n, (a, _) in enumerate(pairs)}
    dislike = {f"i{n}": b for n, (_, b) in enumerate(pairs)}
    scores = keying_scores(like, dislike)
    assert -1e-9 <= scores.balanced <= 100 + 1e-9
    assert -100 - 1e-9 <= scores.acquiescence <= 100 + 1e-9
    # balanced + acquiescence / 2 recovers the like-keyed mean; reversed order changes nothing
    like_mean = 100 * sum(like.values()) / len(like)
    assert scores.balanced + scores.acquiescence / 2 == pytest.approx(like_mean, abs=1e-6)
    reordered = keying_scores(dict(reversed(like.items())), dict(reversed(dislike.items())))
    assert reordered.balanced == pytest.approx(scores.balanced)
    assert reordered.acquiescence_se == pytest.approx(scores.acquiescence_se, nan_ok=True)
