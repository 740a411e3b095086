"""Answers in column form: the views scorers read must equal the per-record definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.adapters.base import Response
from valspec.engine.answers import ERROR, NO_ISQ, VERDICTS, Answers, Columns
from valspec.engine.queries import Record
from valspec.parsing import ParsedAnswer, Verdict

answers_spec = st.lists(
    st.tuples(
        st.integers(0, 6),  # item
        st.integers(0, 2),  # sample
        st.sampled_from(VERDICTS),
        st.none() | st.floats(0, 1),
    ),
    max_size=40,
)


def _records(spec: list[tuple[int, int, str, float | None]]) -> list[Record]:
    out = []
    for n, (item, sample, verdict, p_yes) in enumerate(spec):
        error = "boom" if verdict == "error" else None
        parsed = ParsedAnswer(verdict=Verdict(verdict if error is None else "unparsable"))
        response = Response(text=verdict, p_yes=p_yes, error=error)
        out.append(Record(f"k{n}", f"item-{item}", "neutral", sample, response, parsed))
    return out


@given(answers_spec)
def test_views_match_the_records(spec: list[tuple[int, int, str, float | None]]) -> None:
    records = _records(spec)
    answers = Answers.from_records(records)
    assert len(answers) == len(records)
    assert answers.counts.tolist() == [sum(r.verdict == v for r in records) for v in VERDICTS]
    first = {r.item_id: r.verdict for r in records if r.sample_index == 0}
    assert answers.first_verdicts == dict(sorted(first.items()))
    assert list(answers.first_verdicts) == sorted(first)
    assert answers.first_codes == {i: VERDICTS.index(v) for i, v in first.items()}
    assert {
        i: answers.errors[p]
        for p, i in enumerate(r.item_id for r in records)
        if p in answers.errors
    } == {r.item_id: r.response.error for r in records if r.response.error}


@given(answers_spec)
def test_item_means_are_per_item_means_in_id_order(
    spec: list[tuple[int, int, str, float | None]],
) -> None:
    records = _records(spec)
    answers = Answers.from_records(records)
    mask = ~np.isnan(answers.p_yes)
    got = answers.item_means(answers.p_yes, mask)
    groups: dict[str, list[float]] = {}
    for r in records:
        if r.response.p_yes is not None:
            groups.setdefault(r.item_id, []).append(r.response.p_yes)
    want = {i: sum(v) / len(v) for i, v in sorted(groups.items())}
    assert list(got) == list(want)
    for item, mean in want.items():
        assert got[item] == pytest.approx(mean, rel=1e-12, abs=1e-300)


def test_incomplete_columns_are_refused_with_the_count() -> None:
    columns = Columns.blank(3)
    columns.found[1] = True
    with pytest.raises(KeyError, match="2 queries have no stored answer"):
        Answers.build(["a", "b", "c"], [0, 0, 0], columns)


def test_a_part_renumbers_positions_and_errors() -> None:
    records = _records([(0, 0, "yes", 0.9), (1, 0, "error", None), (2, 0, "no", None)])
    columns = Columns.of_records(records)
    part = columns.part(1, 3)
    assert part.found.tolist() == [True, True]
    assert part.verdicts.tolist() == [ERROR, 1] and dict(part.errors) == {0: "boom"}
    assert math.isnan(part.p_yes[0]) and part.isq.tolist() == [NO_ISQ, NO_ISQ]
    assert columns.p_yes[0] == 0.9
