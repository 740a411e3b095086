"""Tests for valspec.parsing.structured: finding JSON objects, near-JSON repair and decisions."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.domain.messages import AnswerFormat
from valspec.parsing import ParsedAnswer, Verdict, parse_answer, parse_json_object

Y, N, R, U = Verdict.YES, Verdict.NO, Verdict.REFUSAL, Verdict.UNPARSABLE
JSON, ISQ = AnswerFormat.JSON_DECISION, AnswerFormat.ISQ

RATINGS = {"visual_appeal": 8, "curiosity": 7, "emotional_engagement": 6, "value_to_persona": 9}

# --------------------------------------------------------------------------------------------
# Finding the objects
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a "{" that opens no object is skipped, one position at a time
        ('Fill in {name}: {"a": 1} {"b": 2}', {"a": 1}),
        ('{{"decision": "yes"}}', {"decision": "yes"}),  # template-style double braces
        (' {"a": 1} {"b": 2}', {"a": 1}),  # not at the start of the text
        # near-JSON: the repair spans the first "{" to the last "}"
        ("{'decision': 'no', 'ratings': {'fun': 3}}", {"decision": "no", "ratings": {"fun": 3}}),
        (" {'decision': 'yes'}", {"decision": "yes"}),
        ("Here: {'decision': 'yes'}.", {"decision": "yes"}),
        ('{"a": true, "b": null,}', {"a": True, "b": None}),  # trailing comma, JSON literals
        ('{"a": [1, 2,], "b": "x",\n}', {"a": [1, 2], "b": "x"}),
    ],
)  # fmt: skip
def test_the_first_object_is_found_in_prose_and_near_json(
    text: str, expected: dict[str, object]
) -> None:
    assert parse_json_object(text) == expected


def test_an_answer_split_over_three_objects_is_read_whole() -> None:
    first, second = dict(list(RATINGS.items())[:2]), dict(list(RATINGS.items())[2:])
    text = f'{json.dumps(first)}\n{json.dumps(second)}\n{{"decision": "yes"}}'
    answer = parse_answer(text, ISQ)
    assert answer.ratings == {k: float(v) for k, v in RATINGS.items()}
    assert (answer.verdict, answer.stated, answer.derived) == (Y, Y, Y)


def test_a_reason_under_any_reason_key_of_a_later_object_is_kept() -> None:
    text = json.dumps(RATINGS) + '\n{"decision": "no", "explanation": "too loud"}'
    answer = parse_answer(text, ISQ)
    assert (answer.stated, answer.reason) == (N, "too loud")


@pytest.mark.parametrize(("braces", "found"), [(63, True), (64, False)])
def test_at_most_64_braces_are_tried_per_text(braces: int, found: bool) -> None:
    # each "{name}" is one failed try; the object's own "{" is try braces + 1
    text = "Template: " + "{name} " * braces + '{"decision": "yes"}'
    assert parse_json_object(text) == ({"decision": "yes"} if found else None)


def _near_json(length: int) -> str:
    """A Python-style object (single quotes) of exactly ``length`` characters."""
    head, tail = "{'decision': 'yes', 'reason': '", "'}"
    return head + "x" * (length - len(head) - len(tail)) + tail


@pytest.mark.parametrize("prefix", ["", "My answer, as a Python dict: "])
def test_near_json_is_repaired_up_to_20_001_characters(prefix: str) -> None:
    # the repair's limit bounds the object's own span, not its offset in the text
    assert parse_json_object(prefix + _near_json(20_001)) is not None
    assert parse_json_object(prefix + _near_json(20_002)) is None
    assert parse_answer(prefix + _near_json(20_002), JSON).verdict is U


# --------------------------------------------------------------------------------------------
# The decision, reason and trait
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Y", Y), ("n", N), ("True", Y), ("FALSE", N), ("Like", Y), ("Like!", Y),
        ("'Dislike'", N), ("Skip.", N), ("Keep watching", Y), ("Scroll past.", N),
    ],
)  # fmt: skip
def test_decision_words_of_json_answers(value: str, expected: Verdict) -> None:
    assert parse_answer(json.dumps({"decision": value}), JSON).verdict is expected


def test_empty_or_non_text_reasons_and_traits_are_dropped() -> None:
    answer = parse_answer('{"decision": "yes", "reason": [], "traits": [1, 2]}', JSON)
    assert answer == ParsedAnswer(Y)
    answer = parse_answer('{"decision": "no", "reason": {"a": "b"}, "trait": 3}', JSON)
    assert answer == ParsedAnswer(N)


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ('{"decision": "yes", "reason": "too lou', Y),
        ('{"decision": true, "reason": "too lou', Y),
        ('{"decision": false, "reason": "too lou', N),
        ('{"like": "Skip", "reason": "too lou', N),
    ],
)
def test_a_complete_decision_in_a_truncated_object_counts(text: str, verdict: Verdict) -> None:
    assert parse_answer(text, JSON).verdict is verdict


def test_a_truncated_object_keeps_the_first_complete_reason_and_trait() -> None:
    answer = parse_answer('{"decision": "no", "trait": " calm ", "reason": "too lou', JSON)
    assert answer == ParsedAnswer(N, trait="calm")
    # a second reason in the truncated part neither replaces the first nor becomes the trait
    text = '{"reason": "pretty"} {"decision": "no", "reason": "dull", "trait": "qui'
    assert parse_answer(text, JSON) == ParsedAnswer(N, reason="pretty")


def test_a_reason_with_an_escape_json_rejects_keeps_its_text() -> None:
    # markdown-escaped underscores are invalid JSON escapes: the text is kept as written
    text = '{"decision": "yes", "reason": "a launch by \\_SpaceX", "trait": "adventu'
    assert parse_answer(text, JSON) == ParsedAnswer(Y, reason="a launch by \\_SpaceX")


@pytest.mark.parametrize("text", ['Yes! {"decision": "ye', 'No, I would skip it. {"reas'])
def test_text_around_a_broken_object_is_not_read(text: str) -> None:
    assert parse_answer(text, JSON).verdict is U


@pytest.mark.parametrize(
    "text",
    [
        '{"reason": "fun"} Yes.',
        "{'reason': 'fun'} Yes.",
        "{'reason': 'fun'}Yes.",  # nothing after the object is skipped
        "Sure {'reason': 'fun', 'rating': 8}",  # nor is any of it left over
    ],
)
def test_a_decision_around_the_object_is_read(text: str) -> None:
    assert parse_answer(text, JSON) == ParsedAnswer(Y, reason="fun")


def test_text_around_json_gives_a_decision_but_no_reason() -> None:
    text = json.dumps(RATINGS) + "\nDecision: No, it is too loud."
    answer = parse_answer(text, ISQ)
    assert (answer.verdict, answer.stated, answer.reason) == (Y, N, None)


# --------------------------------------------------------------------------------------------
# ISQ ratings
# --------------------------------------------------------------------------------------------


def test_an_isq_answer_keeps_its_reason_and_trait() -> None:
    text = json.dumps(RATINGS | {"decision": "yes", "reason": "fun", "trait": "curious"})
    ratings = {k: float(v) for k, v in RATINGS.items()}
    assert parse_answer(text, ISQ) == ParsedAnswer(
        Y, reason="fun", trait="curious", ratings=ratings, stated=Y, derived=Y
    )


def test_rating_lines_are_read_only_when_there_is_no_json() -> None:
    lines = "Visual appeal: 8/10\nCuriosity: 7\nEmotional engagement: 6\nValue to persona: 9\n"
    assert parse_answer(lines + "Decision: no", ISQ).derived is Y
    with_json = parse_answer(lines + '{"decision": "no"}', ISQ)
    assert (with_json.ratings, with_json.verdict) == (None, N)


def test_the_first_rating_line_of_a_scale_wins() -> None:
    lines = "Visual appeal: 8/10\nCuriosity: 7\nEmotional engagement: 6\nValue to persona: 9\n"
    answer = parse_answer(lines + "On reflection my curiosity: 2.", ISQ)
    assert answer.ratings is not None and answer.ratings["curiosity"] == 7.0


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

plain_text = st.text(st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)))
json_values = st.one_of(st.none(), st.booleans(), st.integers(-100, 100), st.text(max_size=20))
json_objects = st.dictionaries(st.text(max_size=10), json_values, min_size=1, max_size=5)


@given(plain_text, json_objects, plain_text)
def test_an_object_in_prose_round_trips(before: str, obj: dict[str, object], after: str) -> None:
    assert parse_json_object(f"{before}{json.dumps(obj)}{after}") == obj


words = st.text("abcdefghij klmnop_-.,:;!?", max_size=12)


@given(st.dictionaries(words, st.one_of(st.booleans(), st.integers(0, 10), words), min_size=1))
def test_a_python_style_object_round_trips(obj: dict[str, object]) -> None:
    assert parse_json_object(repr(obj)) == obj
