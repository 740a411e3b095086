"""The free-text rules at their edges (valspec.parsing.free_text): each answer below sits where
one rule's bound or order decides, so breaking that rule changes its verdict or its reason.

test_parsing.py has the broad table of answers as models write them; this file pins the rules
of the package docstring one by one (found by mutation testing, docs/testing.md).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.parsing import ParsedAnswer, Verdict, parse_answer, parse_yes_no
from valspec.parsing.free_text import _has_markup, _normalise
from valspec.parsing.vocabulary import _TRANSLATE

Y, N, R, U = Verdict.YES, Verdict.NO, Verdict.REFUSAL, Verdict.UNPARSABLE

VERDICTS: list[tuple[str, Verdict]] = [
    # Rule 1: the first word always decides, unless it is an idiom; after an answer prefix the
    # decision leads, so it wins over what follows (rule 4).
    ("No music, just noise.", N),
    ("Honestly no. But yes, the music is nice.", N),
    ("No one", U),  # an idiom even as the last word
    ("No way", N),
    ("No way!", N),
    ("No way out", U),  # "no way" before a word is an idiom
    ("No way to tell from one screenshot.", U),
    ("No doubt it looks nice, but no.", N),  # past the idiom, the later "no" still counts
    ("I'd say no. But yes, the colours are nice.", N),
    ("A no brainer.", U),  # after a prefix, "no" must be followed by a clause end
    ("Of course not", N),
    ("Honestly, of course not.", N),
    ("This is definitely not.", N),  # the intensifier starts the clause
    ("Absolutely not bad!", U),  # "absolutely not" must end its clause
    ("Dessert yes, main course not.", U),  # "course not" without "of"
    ("Not the best, but I like it, definitely", Y),  # a first "not" has no word before it
    # Rule 2: "absolutely not", "not really", "not at all" decide, and lead when they open
    # the answer; mid-text they must start a clause.
    ("Absolutely not. But yes, the colours are nice.", N),
    ("Not really. But yes, the colours are nice.", N),
    ("Not at all. But yes, the colours are nice.", N),
    ("The ending? Not really.", N),
    ("The ending? Not at all.", N),
    ("The kids liked it, me not really.", U),
    # Rule 1: a decision word mid-text counts only at the start of a clause.
    ("Maybe yes, maybe no.", U),  # "maybe" is no answer prefix: a hedge both ways
    ('The final frame shows: giant "YES!"', U),  # a quoted mention, one word in
    ('The clip is dull, so "no".', N),  # quotes skipped back to the lead-in "so"
    ('The crowd chants, and "yes" echoes.', U),  # a mention: a word follows the quote
    # Rule 1: the negation look-back stops at the start of the text and at a clause end.
    ("Actually no, I wouldn't", N),  # nothing before "no" negates it
    ("Never, honestly, would I say yes.", U),  # the aside is skipped back to "never"
    ("It is not long, the dancers are very good, so yes.", Y),  # 5 words: not an aside
    # Rule 5: a "no" ending where a disclaimer starts is part of the refusal; a "no" after the
    # disclaimer decides; an uncertainty discounts a "no" that does not lead, and a "no"
    # phrase (rule 6) too.
    ("No as an AI I don't have preferences.", R),
    ("No. As an AI I have no preferences, but no, the content is dull.", N),
    ("The dancing is nice, but no. It is hard to say why.", R),
    ("Sure! No, as an AI I don't have personal preferences.", R),  # no weak yes past a "no"
    ("Not for me, I think. It is hard to tell what it shows.", R),
    # Markdown and line ends: code spans and emphasis are blanked, a lone CR ends a line.
    ("The title card shows `YES` in red.", U),
    ("_Yes_ and _no_.", U),
    ("> Love it", Y),  # a quote marker, emphasis or a table bar before a phrase
    ("**Love it**", Y),
    ("| Love it |", Y),
    ("Y.", Y),  # single letters decide only as the whole answer
    ("n!", N),
    ("The video is long\rYes", Y),
    ("I would not say it is bad\ryes", Y),
    # Rule 6: a leading "Sure" / "Of course" alone, not agreeing to answer.
    ("Of course, why not!", Y),
    ("Of course, here is my evaluation.", U),
    ("Sure, I can describe it.", U),
    ("Of note: the dancers are great.", U),  # "of" without "course"
    ("Of...", U),
    # Rule 6: a phrase in a negated or conditional clause is skipped, later ones still count.
    ("I don't think I would keep watching at first, but I really like it.", Y),
    ("I would keep watching if it were shorter, and I like it.", Y),
]


@pytest.mark.parametrize(("text", "verdict"), VERDICTS)
def test_each_rule_at_its_edge(text: str, verdict: Verdict) -> None:
    assert parse_yes_no(text) is verdict


# (answer, verdict, reason): the reason is the text after the decision, markdown and
# typographic quotes made plain; None when nothing follows or positions are unknown.
REASONS: list[tuple[str, Verdict, str | None]] = [
    ("Honestly no. But yes, the music is nice.", N, "But yes, the music is nice."),
    ("No music, just noise.", N, "music, just noise."),
    ("Actually no, I wouldn't", N, "I wouldn't"),
    ("Absolutely! The colours are great.", Y, "The colours are great."),
    ("The clip is slow, but yes I liked it.", Y, "I liked it."),
    ("Not at all. The music is too loud.", N, "The music is too loud."),
    ("Not really. The music is too loud.", N, "The music is too loud."),
    ("Absolutely not the vibe I want.", N, "the vibe I want."),
    ("Of course, why not!", Y, "why not!"),
    ("I like it, the colours are warm.", Y, "the colours are warm."),
    ("Yes, it is a **great** clip.", Y, "it is a great clip."),
    ("Yes, it is a _great_ clip.", Y, "it is a great clip."),
    ("Yes, the `dance` is fun.", Y, "the dance is fun."),
    ("Yes, it\u2019s fun.", Y, "it's fun."),
    ("Yes, \u0130stanbul at night is lovely", Y, None),  # lower() changes the length
]


@pytest.mark.parametrize(("text", "verdict", "reason"), REASONS)
def test_the_reason_is_the_plain_text_after_the_decision(
    text: str, verdict: Verdict, reason: str | None
) -> None:
    assert parse_answer(text) == ParsedAnswer(verdict, reason=reason)


@given(st.text(alphabet=st.sampled_from([*map(chr, _TRANSLATE), "a", "B", " ", "\n", "'"])))
def test_normalising_skips_the_translation_only_when_it_would_change_nothing(text: str) -> None:
    assert _normalise(text) == text.lower().translate(_TRANSLATE)


@pytest.mark.parametrize("char", sorted(map(chr, _TRANSLATE)))
def test_every_character_the_translation_changes_counts_as_markup(char: str) -> None:
    assert _has_markup(f"a{char}b")
    assert not _has_markup("a plain answer: no markup, 'quotes' or \"quotes\".")
