"""The free-text rules at their edges (valspec.parsing.free_text): each answer below sits where
one rule's bound or order decides, so breaking that rule changes its verdict or its reason.

test_parsing.py has the broad table of answers as models write them; this file pins the rules
of the package docstring one by one (found by mutation testing, docs/testing.md).
"""

from __future__ import annotations

import pytest

from valspec.parsing import ParsedAnswer, Verdict, parse_answer

Y, N, R, U = Verdict.YES, Verdict.NO, Verdict.REFUSAL, Verdict.UNPARSABLE

# (answer, verdict, reason): the reason is the text after the decision (None: none read).
EDGES: list[tuple[str, Verdict, str | None]] = [
    # Rule 1: a decision word mid-text counts only at the start of a clause.
    ("Maybe yes, maybe no.", U, None),  # "maybe" is no answer prefix: a hedge both ways
    ('The final frame shows: giant "YES!"', U, None),  # a quoted mention, one word in
    ('The clip is dull, so "no".', N, None),  # quotes skipped back to the lead-in "so"
    ('The crowd chants, and "yes" echoes.', U, None),  # a mention: a word follows the quote
    # Rule 1: the negation look-back stops at the start of the text and at a clause end.
    ("Actually no, I wouldn't", N, "I wouldn't"),  # nothing before "no" negates it
    ("Never, honestly, would I say yes.", U, None),  # the aside is skipped back to "never"
    ("It is not long, the dancers are very good, so yes.", Y, None),  # 5 words: no aside
]


@pytest.mark.parametrize(("text", "verdict", "reason"), EDGES)
def test_each_rule_at_its_edge(text: str, verdict: Verdict, reason: str | None) -> None:
    assert parse_answer(text) == ParsedAnswer(verdict, reason=reason)
