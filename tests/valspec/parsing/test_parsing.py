"""Tests for valspec.parsing: real-looking answers, JSON and ISQ forms, and properties."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valspec.domain.messages import AnswerFormat
from valspec.parsing import (
    ISQ_SCALES,
    ParsedAnswer,
    Verdict,
    derive_isq_decision,
    parse_answer,
    parse_json_object,
    parse_yes_no,
)

Y, N, R, U = Verdict.YES, Verdict.NO, Verdict.REFUSAL, Verdict.UNPARSABLE

# --------------------------------------------------------------------------------------------
# Free text: a table of answers as models write them
# --------------------------------------------------------------------------------------------

FREE_TEXT = [
    # plain decisions and their decorations
    ("Yes.", Y),
    ("yes, because the dancers look like they are having fun", Y),
    ("**No** — too loud", N),
    ("No!", N),
    ("YES", Y),
    ("NO.", N),
    ("Yeah, I'd keep watching", Y),
    ("Nope", N),
    ("Nah, too slow", N),
    ("Yesss! Love the colours.", Y),
    ("Y", Y),
    ("`no`", N),
    ('"Yes" - it is fun', Y),
    ("   \n\n  Yes\nThe video is fun", Y),
    ("No\nThe video is boring", N),
    ("**Answer:** _Yes_. The sunset is beautiful.", Y),
    ("> No. It's repetitive.", N),
    ("## Decision\n\n**NO**\n\nThe clip is a generic ad.", N),
    # prefixes and intensifiers
    ("I'd say no.", N),
    ("My answer is: yes", Y),
    ("Answer: No", N),
    ("Final answer: yes, the hike looks amazing", Y),
    ("Definitely yes", Y),
    ("Absolutely not", N),
    ("Of course not.", N),
    ("Probably not.", N),
    ("Not really.", N),
    ("Not at all.", N),
    ("Hell no", N),
    ("It's a no from me.", N),
    ("I'll go with yes.", Y),
    ("Honestly? Yes. It made me smile.", Y),
    # decided without a yes/no word (rule 6)
    ("Sure, I like it", Y),
    ("Absolutely!", Y),
    ("Of course!", Y),
    ("I would keep watching", Y),
    ("I'd definitely keep watching, the choreography is great.", Y),
    ("I really like it, the family dinner feels warm.", Y),
    ("I would scroll past", N),
    ("I'd skip it.", N),
    ("I don't like it.", N),
    ("It's not for me.", N),
    # ...but not when negated, conditional, or only agreeing to answer
    ("I don't think I would keep watching", U),
    ("I would keep watching if it were shorter.", U),
    ("Certainly! Here's my evaluation of the video.", U),
    ("Sure, here is my answer: No.", N),
    # ambiguous
    ("Yes and no", U),
    ("yes or no?", U),
    ("Yes/no: hard to pick.", U),
    ("Yes. No, wait, it depends on the music.", Y),  # the leading decision wins (rule 4)
    ("The video is okay. Yes, the colours are nice. No, the music is bad.", U),
    # refusals and hedges
    ("As an AI, I don't have personal preferences", R),
    ("I'm sorry, I can't help with that", R),
    ("I cannot determine whether I like this video.", R),
    ("As a language model I do not have feelings", R),
    ("As an AI language model, I am unable to watch videos.", R),
    ("I apologize, but I cannot provide a personal opinion.", R),
    ("I don't know.", R),
    ("I'm not sure.", R),
    ("It's hard to say.", R),
    ("I can't say yes or no as an AI.", R),
    ("No, as an AI I cannot have preferences.", R),  # a "no" caused by the refusal
    ("No. As an AI, I don't have personal feelings.", R),
    ("As an AI I don't have preferences, but yes, it looks fun", Y),  # hedge, then decision
    ("As an AI I have no preferences, but no, the content is dull.", N),
    ("Yes, although as an AI I don't have personal tastes, it looks joyful.", Y),
    # words that only contain yes / no, and idioms
    ("The eyes are striking", U),
    ("yesterday was fun", U),
    ("Nothing special.", U),
    ("I know it", U),
    ("Nobody would watch", U),
    ("Notable scenery.", U),
    ("Noah is dancing", U),
    ("No doubt it's great", U),
    ("No question, I love it", Y),
    ("No wonder people share this, I love it.", Y),
    ("It's a no-brainer, I love it", Y),
    ("Yes! No regrets.", Y),
    ("Yes, there's no reason to skip it", Y),
    ("There is no music, but yes, I like it", Y),
    ("The video has no sound. No.", N),
    ("I would not say yes to this", U),
    ("Yes, I can't help but smile", Y),
    ("Question: do you like it? Yes or no. Answer: Yes", Y),
    # longer answers as VLMs write them
    ("The video shows a family having dinner. I would say yes, because it's heartwarming.", Y),
    ("This is a luxury car ad. No, I don't like it because it promotes materialism.", N),
    ("Based on the screenshot, the answer is yes.", Y),
    ("I like this video. It shows people helping each other.", Y),
    ("No. The screenshot shows a protest, which is not something I would keep watching.", N),
    ("As a traditional grandmother, yes, I'd enjoy this family gathering.", Y),
    ("As someone who values security, no.", N),
    ("I cannot view videos, but the thumbnail suggests a cooking tutorial. I'd say yes.", Y),
    ("I don't have personal preferences, but the video appears to be engaging.", R),
    ("It is not possible to determine whether I would like it.", R),
    ("Q: Do you like it? A: No.", N),
    ("Answer: B) No", N),
    ('Answer: "No" because it is dull', N),
    ('The caption reads "No pain, no gain". I like it.', Y),
    ('The sign says "YES" in big letters.', U),  # a quoted mention, not a decision
    ("No one can resist this cute puppy!", U),
    ("Sure, but I'd skip it.", U),
    ("Not really my thing.", N),
    ("I'm not a fan.", N),
    ("Definitely worth watching.", Y),
    ("Not worth watching.", N),
    ("Love it!", Y),
    ("It depends.", R),  # a refusal to choose (issue 13), not unreadable text
    ("a man is dancing on a stage", U),
    # empty
    ("", U),
    ("   \n\t ", U),
    ("...", U),
]


@pytest.mark.parametrize(("text", "expected"), FREE_TEXT)
def test_free_text_answers(text: str, expected: Verdict) -> None:
    assert parse_yes_no(text) is expected
    assert parse_answer(text).verdict is expected


def test_table_is_large_and_covers_every_verdict() -> None:
    assert len(FREE_TEXT) >= 40
    assert {v for _, v in FREE_TEXT} == set(Verdict)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("**No** — too loud", "too loud"),
        ("Yes, because it's fun.", "it's fun."),
        ("Answer: No. Reason: the music is too loud.", "the music is too loud."),
        ("As an AI I don't have preferences, but yes, it looks fun", "it looks fun"),
        ("Yes.", None),
        ("I'm sorry, I can't help with that", None),
        ("Yes and no", None),
    ],
)
def test_free_text_reason_is_the_text_after_the_decision(text: str, reason: str | None) -> None:
    assert parse_answer(text).reason == reason


def test_text_whose_lower_case_changes_length_still_parses() -> None:
    answer = parse_answer("Yes, İstanbul at night is lovely")  # "İ".lower() is two characters
    assert answer.verdict is Y


# --------------------------------------------------------------------------------------------
# JSON decisions
# --------------------------------------------------------------------------------------------

JSON_CASES = [
    ('{"decision": "yes", "reason": "fun", "trait": "adventurous"}', Y),
    ('{"decision": "no", "reason": "loud"}', N),
    ('```json\n{"Decision": "No.", "reason": "loud"}\n```', N),
    ('Here is my answer:\n```\n{"answer": "Yes"}\n```\nHope it helps!', Y),
    ('{"like": true}', Y),
    ('{"LIKE": false, "reason": "not my thing"}', N),
    ('{"choice": "YES."}', Y),
    ('{"final_decision": "no"}', N),
    ('{"response": {"decision": "yes"}}', Y),
    ('[{"decision": "no"}]', N),
    ('{"decision": "yes",}', Y),  # trailing comma
    ("{'decision': 'yes', 'reason': \"it's fun\"}", Y),  # Python-style quotes
    ("{\u201cdecision\u201d: \u201cno\u201d}", N),  # typographic quotes
    ('{"decision": "As an AI, I cannot have preferences."}', R),
    ('{"decision": "I\'m sorry, I can\'t decide"}', R),
    ('{"decision": "maybe"}', U),
    ('{"decision": null}', U),
    ('{"decision": 1}', U),
    ('{"reason": "nice colours"}', U),
    ('{"decision": "ye', U),  # truncated inside the value
    ('{"decision": "no', U),
    ('{"decision": tr', U),
    ('{"decision": "no", "reason": "too lou', N),  # complete pair, truncated later
    ("Yes, I like it", Y),  # no JSON at all: free-text fallback
    ("No. The video is dull.", N),
    ("I'm sorry, I can't help with that.", R),
    ('Yes {"reason": "fun"}', Y),  # the decision outside the object
    ('Sure! {"decisi', U),  # a broken object is never read as free text
    ("", U),
]


@pytest.mark.parametrize(("text", "expected"), JSON_CASES)
def test_json_decision_answers(text: str, expected: Verdict) -> None:
    assert parse_answer(text, AnswerFormat.JSON_DECISION).verdict is expected


def test_json_decision_free_text_fallback_keeps_the_reason() -> None:
    answer = parse_answer("Yes, I like the bright colours.", AnswerFormat.JSON_DECISION)
    assert answer == ParsedAnswer(Y, reason="I like the bright colours.")


def test_json_decision_reads_reason_and_trait() -> None:
    fmt = AnswerFormat.JSON_DECISION
    body = '{"decision": "Yes", "reason": " Calm and warm. ", "trait": "family"}'
    answer = parse_answer(f"Sure:\n```json\n{body}\n```", fmt)
    assert answer == ParsedAnswer(Y, reason="Calm and warm.", trait="family")
    truncated = parse_answer('{"decision": "no", "reason": "too \\"loud\\"", "trait": "qui', fmt)
    assert (truncated.verdict, truncated.reason, truncated.trait) == (N, 'too "loud"', None)
    listed = parse_answer('{"decision": "no", "traits": ["calm", "quiet"]}', fmt)
    assert listed.trait == "calm, quiet"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('prose before {"a": {"b": [1, 2]}} and after', {"a": {"b": [1, 2]}}),
        ('```json\n{"a": "x"}\n```', {"a": "x"}),
        ('{"a": 1,}', {"a": 1}),
        ("{'a': True}", {"a": True}),
        ('{"a": 1} {"b": 2}', {"a": 1}),
        ('{"broken": {"inner": 1}', {"inner": 1}),
        ("[1, 2, 3]", None),
        ("no json here", None),
        ('{"a": ', None),
        ("", None),
    ],
)
def test_parse_json_object(text: str, expected: dict[str, object] | None) -> None:
    assert parse_json_object(text) == expected


# --------------------------------------------------------------------------------------------
# ISQ
# --------------------------------------------------------------------------------------------


def _isq(
    va: object, cu: object, ee: object, vp: object, decision: str | None = None
) -> dict[str, object]:
    body: dict[str, object] = {
        "visual_appeal": va,
        "curiosity": cu,
        "emotional_engagement": ee,
        "value_to_persona": vp,
    }
    if decision is not None:
        body["decision"] = decision
    return body


def test_isq_flat_ratings_and_decision() -> None:
    answer = parse_answer(json.dumps(_isq(7, 6, 8, 4, "yes")), AnswerFormat.ISQ)
    assert answer.ratings == {
        "visual_appeal": 7.0,
        "curiosity": 6.0,
        "emotional_engagement": 8.0,
        "value_to_persona": 4.0,
    }
    assert (answer.verdict, answer.stated, answer.derived) == (Y, Y, Y)
    assert not answer.isq_disagrees


def test_isq_nested_ratings_with_key_variants_and_numeric_strings() -> None:
    text = json.dumps(
        {
            "ratings": {
                "Visual Appeal": "7",
                "CURIOSITY": 6.5,
                "emotional-engagement": "8/10",
                "value to persona": {"score": 3},
            },
            "decision": "No",
            "reason": "pretty but not for this persona",
        }
    )
    answer = parse_answer(f"```json\n{text}\n```", AnswerFormat.ISQ)
    assert answer.ratings is not None
    assert list(answer.ratings) == list(ISQ_SCALES)
    assert list(answer.ratings.values()) == [7.0, 6.5, 8.0, 3.0]
    assert (answer.verdict, answer.stated, answer.derived) == (Y, N, Y)  # mean 6.125 > 5
    assert answer.isq_disagrees
    assert answer.reason == "pretty but not for this persona"


def test_isq_ratings_then_separate_decision_object() -> None:
    text = json.dumps(_isq(2, 3, 4, 5)) + '\n{"decision": "yes"}'
    answer = parse_answer(text, AnswerFormat.ISQ)
    assert (answer.verdict, answer.stated, answer.derived) == (N, Y, N)


def test_isq_ratings_as_text_lines() -> None:
    text = (
        "Visual appeal: 8/10\nCuriosity: 7\nEmotional engagement: 6/10\nValue to the persona: 2\n"
    )
    answer = parse_answer(text + "Decision: Yes", AnswerFormat.ISQ)
    assert answer.ratings is not None and answer.ratings["value_to_persona"] == 2.0
    assert (answer.verdict, answer.stated, answer.derived) == (Y, Y, Y)


@pytest.mark.parametrize(
    "body",
    [
        _isq(7, 6, 8, 11, "no"),  # out of range
        _isq(7, 6, 8, -1, "no"),
        _isq(7, 6, "high", 4, "no"),  # not a number
        _isq(7, 6, True, 4, "no"),  # a boolean is not a rating
        _isq(7, 6, 10**400, 4, "no"),  # too large even for a float
        {"visual_appeal": 7, "curiosity": 6, "emotional_engagement": 8, "decision": "no"},
    ],
)
def test_isq_incomplete_or_invalid_ratings_fall_back_to_the_stated_decision(
    body: dict[str, object],
) -> None:
    answer = parse_answer(json.dumps(body), AnswerFormat.ISQ)
    assert answer.ratings is None and answer.derived is None
    assert (answer.verdict, answer.stated) == (N, N)


def test_isq_without_ratings_or_decision_is_unparsable() -> None:
    answer = parse_answer('{"visual_appeal": 7, "curiosity": ', AnswerFormat.ISQ)
    assert answer == ParsedAnswer(U)
    refusal = parse_answer("As an AI, I can't rate videos.", AnswerFormat.ISQ)
    assert (refusal.verdict, refusal.stated) == (R, R)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((5, 5, 5, 5), N),  # exactly the midpoint is not above it
        ((5, 5, 5, 5.5), Y),
        ((10, 10, 0, 0), N),
        ((10, 10, 0, 1), Y),
        ((0, 0, 0, 0), N),
        ((10, 10, 10, 10), Y),
    ],
)
def test_derive_isq_decision_is_mean_strictly_above_five(
    values: tuple[float, ...], expected: Verdict
) -> None:
    assert derive_isq_decision(dict(zip(ISQ_SCALES, values, strict=True))) is expected


def test_derive_isq_decision_names_a_missing_scale() -> None:
    with pytest.raises(ValueError, match="curiosity"):
        derive_isq_decision({"visual_appeal": 7, "emotional_engagement": 8, "value_to_persona": 3})


def test_isq_disagrees_needs_both_decisions() -> None:
    assert ParsedAnswer(Y, stated=N, derived=Y).isq_disagrees
    assert not ParsedAnswer(Y, stated=None, derived=Y).isq_disagrees
    assert not ParsedAnswer(N, stated=N, derived=None).isq_disagrees


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

# Words that never decide and never form a refusal phrase.
NEUTRAL = [
    "the", "video", "colours", "music", "is", "looks", "fun", "bright", "calm", "people",
    "dance", "city", "mountain", "family", "dinner", "funny", "loud", "slow", "boring", "great",
    "and", "with", "very", "this", "clip", "shows", "a", "beautiful", "sunset", "team", "wins",
    "trophy", "quiet", "garden", "it", "feels", "warm", "too", "long", "energetic", "because",
    "of", "travel", "but", "really", "grandmother", "temple", "protest", "charity", "luxury",
]  # fmt: skip
_DECIDING = re.compile(r"ye+s+|no+|nope|nah|nay|yeah|yep|yup|yea|sure|not|never|none")
random_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=10).filter(
    lambda w: not _DECIDING.fullmatch(w)
)
neutral_words = st.lists(
    st.one_of(st.sampled_from(NEUTRAL), random_words), min_size=1, max_size=12
).map(" ".join)
EMPHASIS = ["{}", "**{}**", "*{}*", "_{}_", "__{}__", "`{}`", "***{}***", '"{}"', "'{}'"]


def _random_case(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if flips[i % len(flips)] else c.lower() for i, c in enumerate(text))


case_flips = st.lists(st.booleans(), min_size=1, max_size=8)
formats = st.sampled_from(list(AnswerFormat))

# Pieces of real answers, recombined: reaches the deeper branches more often than plain text.
PIECES = [
    "yes", "no", "not", "Yes", "No", "YES", "absolutely", "sure", "of course", "and", "or", "/",
    "but", "{", "}", '"decision":', '"yes"', '"no"', "true", ",", ".", "!", "?", ":", "\n",
    "**", "`", "As an AI", "I'm sorry", "I can't help", "I would keep watching", "I'd skip it",
    "if", "no doubt", "visual appeal: 7", "curiosity", '"ratings":', "8/10", "I don't", "nothing",
]  # fmt: skip
answer_like = st.lists(st.sampled_from(PIECES), max_size=20).map(" ".join)


@settings(max_examples=300)
@given(st.one_of(st.text(), answer_like), formats)
def test_never_raises_and_returns_a_verdict(text: str, fmt: AnswerFormat) -> None:
    answer = parse_answer(text, fmt)
    assert isinstance(answer.verdict, Verdict)
    assert isinstance(parse_yes_no(text), Verdict)
    if answer.ratings is not None:
        assert set(answer.ratings) == set(ISQ_SCALES)
        assert all(0 <= v <= 10 for v in answer.ratings.values())


@given(
    st.sampled_from([("Yes. ", Y), ("No, ", N), ("Yes, ", Y), ("No. ", N)]),
    neutral_words,
    st.sampled_from(EMPHASIS),
    case_flips,
)
def test_leading_decision_then_any_reason(
    lead: tuple[str, Verdict], reason: str, emphasis: str, flips: list[bool]
) -> None:
    word, expected = lead
    decision = emphasis.format(word.rstrip(" ,."))
    text = _random_case(decision + word[len(word.rstrip(" ,.")) :] + reason, flips)
    assert parse_yes_no(text) is expected


@given(st.sampled_from(["Yes", "No", "**Yes**", "Answer: No", "I'd say yes"]), neutral_words)
def test_reason_is_the_rest_of_the_answer(lead: str, words: str) -> None:
    reason = f"The {words}"  # a leading "because" or "Reason:" label would be dropped
    answer = parse_answer(f"{lead}.  {reason}\n")
    assert answer.reason == reason


REFUSALS = [
    "As an AI, I don't have personal preferences",
    "I'm sorry, I can't help with that.",
    "I cannot determine whether I like it",
    "As a language model I do not have feelings.",
    "I am unable to provide an opinion on",
    "I apologize, but",
    "As an AI language model, I cannot watch videos;",
    "I don't have personal opinions about",
]


@given(st.sampled_from(REFUSALS), neutral_words, case_flips)
def test_refusal_with_any_tail_is_refusal(refusal: str, tail: str, flips: list[bool]) -> None:
    assert parse_yes_no(_random_case(f"{refusal} {tail}", flips)) is R


substring_words = st.tuples(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=4),
    st.sampled_from(["yes", "no", "YES", "No"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=4),
).filter(lambda t: (t[0] or t[2]) and not _DECIDING.fullmatch("".join(t).lower()))


@given(substring_words, neutral_words, st.integers(0, 12), st.sampled_from(["", ".", "!", ","]))
def test_words_containing_yes_or_no_never_decide(
    parts: tuple[str, str, str], sentence: str, at: int, punct: str
) -> None:
    words = sentence.split()
    words.insert(min(at, len(words)), "".join(parts) + punct)
    text = " ".join(words)
    assert parse_yes_no(text) is U


decisions = st.sampled_from(
    [("yes", Y), ("no", N), ("Yes", Y), ("NO", N), ("Yes.", Y), ("No.", N), (True, Y), (False, N)]
)
decision_keys = st.sampled_from(["decision", "Decision", "ANSWER", "like", "choice"])


@given(decisions, st.text(), decision_keys)
def test_json_round_trip(decision: tuple[object, Verdict], reason: str, key: str) -> None:
    value, expected = decision
    answer = parse_answer(json.dumps({key: value, "reason": reason}), AnswerFormat.JSON_DECISION)
    assert answer.verdict is expected
    assert answer.reason == (reason.strip() or None)


ratings = st.lists(st.floats(0, 10), min_size=4, max_size=4)


@given(ratings, st.integers(0, 3), st.floats(0, 10))
def test_isq_derived_decision_is_monotone(values: list[float], index: int, raise_to: float) -> None:
    raised = list(values)
    raised[index] = max(values[index], raise_to)
    before = derive_isq_decision(dict(zip(ISQ_SCALES, values, strict=True)))
    after = derive_isq_decision(dict(zip(ISQ_SCALES, raised, strict=True)))
    assert not (before is Y and after is N)
    parsed = parse_answer(
        json.dumps(_isq(raised[0], raised[1], raised[2], raised[3], "no")), AnswerFormat.ISQ
    )
    assert parsed.derived is after and parsed.verdict is after


@settings(max_examples=200)
@given(decisions, st.text(max_size=40), st.data())
def test_truncated_json_never_gives_a_wrong_decision(
    decision: tuple[object, Verdict], reason: str, data: st.DataObject
) -> None:
    value, expected = decision
    full = json.dumps({"decision": value, "reason": reason})
    cut = data.draw(st.integers(0, len(full) - 1), label="cut")
    value_start = len('{"decision": ')
    value_end = value_start + len(json.dumps(value))
    answer = parse_answer(full[:cut], AnswerFormat.JSON_DECISION)
    assert answer.verdict in (expected, U)
    if value_start < cut < value_end or cut < value_start:
        assert answer.verdict is U


@given(st.text(max_size=300))
def test_a_reason_turn_is_never_read_as_a_verdict(text: str) -> None:
    parsed = parse_answer(text, AnswerFormat.REASON)
    assert parsed.verdict is Verdict.UNPARSABLE
    assert parsed.reason == (text.strip() or None)
    assert parse_answer("Yes, because it is fun.", AnswerFormat.REASON).reason == (
        "Yes, because it is fun."
    )


# -- issue 13: a leading decision stands against doubt about the content ---------------------


@pytest.mark.parametrize(
    "text",
    [
        "No.\n\nThe image is very blurry and it is difficult to determine what it shows.",
        "No. It is hard to tell what is going on.",
        "No, I don't know this game and it looks boring.",
        "No, I cannot determine what the sign says, and it looks dull.",
        "No, I'm not sure what this is.",
        "No, it depends on the weather, and this looks cold.",
    ],
)
def test_a_leading_no_is_not_cancelled_by_uncertainty_about_the_content(text: str) -> None:
    assert parse_yes_no(text) is Verdict.NO
    assert parse_yes_no("Yes" + text[2:]) is Verdict.YES  # symmetric: no yes/no flip


@pytest.mark.parametrize(
    "text",
    [
        "No, as an AI I cannot watch videos.",
        "No, I'm sorry, I can't help with that.",
        "No. As an AI language model, I don't have personal preferences.",
        "No, I don't have personal opinions.",
    ],
)
def test_a_leading_no_with_a_disclaimer_about_the_model_is_a_refusal(text: str) -> None:
    assert parse_yes_no(text) is Verdict.REFUSAL


@pytest.mark.parametrize(
    "text",
    [
        "Subjective",
        "Subjective.",
        "Inconclusive.",
        "Undecided",
        "It depends.",
        "It depends on the viewer.",
    ],
)
def test_non_answers_that_name_no_decision_are_refusals(text: str) -> None:
    assert parse_yes_no(text) is Verdict.REFUSAL


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("It's subjective, but yes.", Verdict.YES),
        ("It depends, but no.", Verdict.NO),
        ("The subjective quality is nice. Yes.", Verdict.YES),
    ],
)
def test_an_explicit_decision_wins_over_a_non_answer(text: str, verdict: Verdict) -> None:
    assert parse_yes_no(text) is verdict


@pytest.mark.parametrize(
    "text",
    [
        "I wouldn't say yes.",  # the n't check
        "I would never say yes.",
        "I would not really ever say yes.",  # the look-back is more than one token
        "I would never, honestly, say yes.",  # an aside between commas keeps the clause
        "I would not, to be honest, say yes.",
    ],
)
def test_negation_and_its_look_back_cancel_a_decision(text: str) -> None:
    assert parse_yes_no(text) is Verdict.UNPARSABLE


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("I would not watch it twice, but yes.", Verdict.YES),  # "but" ends the negated clause
        ("Not bad, yes.", Verdict.YES),  # a comma ends it when no aside follows
        ("Honestly, yes.", Verdict.YES),
        ("Well, honestly, yes.", Verdict.YES),
    ],
)
def test_negation_stops_at_the_end_of_its_clause(text: str, verdict: Verdict) -> None:
    assert parse_yes_no(text) is verdict


@pytest.mark.parametrize(("filler", "verdict"), [(10, Verdict.UNPARSABLE), (11, Verdict.YES)])
def test_a_negator_counts_exactly_up_to_the_look_back(filler: int, verdict: Verdict) -> None:
    # "not" sits filler + 2 tokens before "yes": 12 is inside NEGATION_LOOKBACK, 13 is not
    from valspec.parsing.free_text import NEGATION_LOOKBACK

    assert NEGATION_LOOKBACK == 12
    text = "I would not " + "x " * filler + "say yes."
    assert parse_yes_no(text) is verdict


# -- ISQ ratings at their edges ----------------------------------------------------------------


def _isq_with(**ratings: object) -> ParsedAnswer:
    base: dict[str, object] = {
        "visual_appeal": 7,
        "curiosity": 6,
        "emotional_engagement": 5,
        "value_to_persona": 8,
    }
    return parse_answer(json.dumps(base | ratings | {"decision": "yes"}), AnswerFormat.ISQ)


@pytest.mark.parametrize("rating", [0, 10, 0.0, 10.0, "0", "10/10", 9.5])
def test_ratings_on_the_ends_of_the_scale_are_kept(rating: object) -> None:
    parsed = _isq_with(curiosity=rating)
    assert parsed.ratings is not None
    assert parsed.ratings["curiosity"] == float(str(rating).split("/")[0])


@pytest.mark.parametrize("rating", [-1, 11, -0.5, 10.5, "11", "-1", True, None, [7]])
def test_ratings_off_the_scale_are_refused(rating: object) -> None:
    assert _isq_with(curiosity=rating).ratings is None


@pytest.mark.parametrize("inner", ["score", "rating", "value"])
def test_a_rating_may_be_an_object_with_a_score(inner: str) -> None:
    parsed = _isq_with(curiosity={inner: 4})
    assert parsed.ratings is not None and parsed.ratings["curiosity"] == 4.0
    assert _isq_with(curiosity={"other": 4}).ratings is None


@pytest.mark.parametrize(
    ("key", "scale"),
    [("curiosity_score", "curiosity"), ("visualAppealRating", "visual_appeal"),
     ("value to persona", "value_to_persona")],
)  # fmt: skip
def test_rating_keys_may_carry_a_score_or_rating_suffix(key: str, scale: str) -> None:
    ratings = {"visual_appeal": 7, "curiosity": 6, "emotional_engagement": 5,
               "value_to_persona": 8}  # fmt: skip
    value = ratings.pop(scale)
    text = json.dumps(ratings | {key: value, "decision": "yes"})
    parsed = parse_answer(text, AnswerFormat.ISQ)
    assert parsed.ratings is not None and parsed.ratings[scale] == float(value)
    assert parse_answer(text.replace(key, "score_" + key), AnswerFormat.ISQ).ratings is None


def test_ratings_are_found_up_to_three_objects_deep_and_no_deeper() -> None:
    ratings = {"visual_appeal": 7, "curiosity": 6, "emotional_engagement": 5,
               "value_to_persona": 8}  # fmt: skip
    three: dict[str, object] = {"a": {"b": {"c": ratings}}, "decision": "yes"}
    found = parse_answer(json.dumps(three), AnswerFormat.ISQ)
    assert found.ratings == {k: float(v) for k, v in ratings.items()}
    four: dict[str, object] = {"a": {"b": {"c": {"d": ratings}}}, "decision": "yes"}
    assert parse_answer(json.dumps(four), AnswerFormat.ISQ).ratings is None


@pytest.mark.parametrize(
    ("text", "verdict", "reason"),
    [
        ("Eyes/no.", Verdict.NO, None),  # "yes/no" inside a word is not the phrase
        ("The re-yes/no. Yes.", Verdict.UNPARSABLE, None),  # nor after a hyphen
        ("Answer: yes/no. No, I would skip it.", Verdict.NO, "I would skip it."),
        ("Well, yes and no. Yes: it is fun to watch.", Verdict.YES, "it is fun to watch."),
        ("ok yes/no. Yes, because it is fun", Verdict.YES, "it is fun"),
    ],
)
def test_yes_no_phrases_are_masked_in_place_and_only_outside_words(
    text: str, verdict: Verdict, reason: str | None
) -> None:
    parsed = parse_answer(text)
    assert (parsed.verdict, parsed.reason) == (verdict, reason)
