"""The paper's scoring (refusals and unparsable answers as "no") beside valspec's."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from valspec.adapters.base import Response
from valspec.domain.values import Value
from valspec.engine.queries import Record
from valspec.measure.scoring import Tally, paper_score, score_value
from valspec.measure.stats import wilson_interval
from valspec.parsing import parse_answer

ANSWERS = [
    "Yes.",
    "Yes, it looks fun.",
    "yes",
    "No.",
    "No, not my thing.",
    "As an AI, I don't have personal preferences about videos.",
    "Yes and no.",
]


def _records(texts: list[str], failed: int = 0) -> list[Record]:
    records = [
        Record(f"k{n}", f"i{n}", "neutral:paper", 0, Response(text=text), parse_answer(text))
        for n, text in enumerate(texts)
    ]
    records += [
        Record(f"e{n}", f"e{n}", "neutral:paper", 0, Response.failed("HTTP 503"), parse_answer(""))
        for n in range(failed)
    ]
    return records


def test_paper_score_on_known_answers_counts_refusals_and_unparsable_as_no() -> None:
    records = _records(ANSWERS, failed=1)
    assert [r.verdict for r in records] == [
        "yes", "yes", "yes", "no", "no", "refusal", "unparsable", "error"
    ]  # fmt: skip
    result = score_value(Value.HEDONISM, records)
    assert (result.score, result.n) == (60.0, 5)  # valspec: 3 yes of 5 decided
    paper = paper_score(result.tally)
    assert paper.n == 7  # every answer; the failed query gave none
    assert math.isclose(paper.score, 100 * 3 / 7)
    low, high = wilson_interval(3, 7)
    assert paper.ci == (100 * low, 100 * high)
    assert paper.as_dict() == {
        "score": 42.9,
        "ci95": [round(100 * low, 1), round(100 * high, 1)],
        "n": 7,
    }


def test_paper_score_equals_valspec_score_without_refusals_and_is_empty_without_answers() -> None:
    tally = Tally(yes=4, no=6, error=3)
    assert paper_score(tally).score == 40.0 and paper_score(tally).n == 10
    empty = paper_score(Tally(error=2))
    assert empty.n == 0 and math.isnan(empty.score)
    assert empty.as_dict() == {"score": None, "ci95": [None, None], "n": 0}


@given(
    st.integers(0, 50), st.integers(0, 50), st.integers(0, 20), st.integers(0, 20),
    st.integers(0, 5),
)  # fmt: skip
def test_paper_score_never_exceeds_valspec_score(
    yes: int, no: int, refusal: int, unparsable: int, error: int
) -> None:
    tally = Tally(yes=yes, no=no, refusal=refusal, unparsable=unparsable, error=error)
    paper = paper_score(tally)
    assert paper.n == yes + no + refusal + unparsable
    if tally.decided:
        valspec = 100.0 * yes / tally.decided
        assert paper.score <= valspec + 1e-9
        assert math.isclose(paper.score, valspec) == (refusal + unparsable == 0 or yes == 0)
        assert paper.ci[0] <= paper.score <= paper.ci[1]


def _p_yes_records(p_yes: list[float]) -> list[Record]:
    return [
        Record(f"k{n}", f"i{n}", "neutral", 0, Response(text="Yes", p_yes=p), parse_answer("Yes"))
        for n, p in enumerate(p_yes)
    ]


def test_a_few_items_interval_is_clipped_to_the_possible_range() -> None:
    """Three items near 0 and 1: the raw Student-t interval runs below 0 (mean 66, t(2) 4.3)."""
    result = score_value(Value.POWER, _p_yes_records([0.99, 0.01, 0.98]))
    assert result.mode == "p_yes"
    assert result.mode_ci[0] == 0.0 and 0.0 < result.mode_ci[1] <= 100.0
    assert result.mode_ci[0] <= result.mode_score <= result.mode_ci[1]


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6))
def test_a_p_yes_interval_stays_in_0_100_and_holds_the_score(p_yes: list[float]) -> None:
    result = score_value(Value.POWER, _p_yes_records(p_yes))
    low, high = result.mode_ci
    if len(p_yes) < 2:
        assert math.isnan(low) and math.isnan(high)  # no interval from one item, not [0, 0]
        return
    assert 0.0 <= low <= result.mode_score + 1e-9 and result.mode_score - 1e-9 <= high <= 100.0
