"""JSON and ISQ answers: find the object(s), read the decision, reason, trait and ratings.

:func:`parse_answer` is the entry point for every answer format; plain yes/no text goes
straight to the free-text rules of :mod:`valspec.parsing.free_text`.
"""

from __future__ import annotations

import ast
import json
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from valspec.domain.messages import AnswerFormat
from valspec.parsing.free_text import _analyse, _reason, parse_yes_no
from valspec.parsing.verdicts import ISQ_MIDPOINT, ISQ_SCALES, ParsedAnswer, Verdict

__all__ = ["derive_isq_decision", "parse_answer", "parse_json_object"]


_DECODER = json.JSONDecoder()
_MAX_OBJECT_TRIES = 64  # "{" positions tried per text: bounds the work on pathological input
_MAX_REPAIR_CHARS = 20_000  # longer texts are not repaired with literal_eval
_TRAILING_COMMA_RE = re.compile(r",\s*([}\]])")
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def _iter_objects(text: str) -> Iterator[tuple[dict[str, object], int, int]]:
    """Every JSON object in ``text`` with its span, outermost first, left to right."""
    pos = text.find("{")
    tries = 0
    while pos != -1 and tries < _MAX_OBJECT_TRIES:
        tries += 1
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError):
            pos = text.find("{", pos + 1)
            continue
        if isinstance(value, dict):  # always, starting at "{"; the check is for the type
            yield value, pos, end
        pos = text.find("{", end)


def _literal_eval_quietly(source: str) -> object:
    """ast.literal_eval without its warnings about odd escapes in model text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.literal_eval(source)


def _repaired_object(text: str) -> tuple[dict[str, object], int, int] | None:
    """One object from near-JSON: smart quotes, trailing commas, Python-style quoting."""
    start, stop = text.find("{"), text.rfind("}")
    if start == -1 or stop < start or stop - start > _MAX_REPAIR_CHARS:
        return None
    candidate = text[start : stop + 1].translate(_SMART_QUOTES)
    fixed = _TRAILING_COMMA_RE.sub(r"\1", candidate)
    attempts: tuple[tuple[Callable[[str], object], str], ...] = (
        (json.loads, fixed),
        (_literal_eval_quietly, candidate),  # Python-style: single quotes, True/False
    )
    for load, attempt in attempts:
        try:
            value = load(attempt)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}, start, stop + 1
    return None


def _json_objects(text: str) -> list[tuple[dict[str, object], int, int]]:
    """The JSON objects in ``text`` (repairing near-JSON when nothing parses as it stands)."""
    if "{" not in text:
        return []
    found = list(_iter_objects(text))
    if not found:
        repaired = _repaired_object(text)
        if repaired is not None:
            found.append(repaired)
    return found


def parse_json_object(text: str) -> dict[str, object] | None:
    """The first JSON object in ``text`` (inside fences or prose, near-JSON repaired), or None."""
    found = _json_objects(text)
    return found[0][0] if found else None


_NON_ALNUM_RE = re.compile(r"[\W_]+")


def _key(name: str) -> str:
    """A key reduced to lower-case letters and digits: "Value to Persona" -> "valuetopersona"."""
    return _NON_ALNUM_RE.sub("", name.lower())


_DECISION_KEYS = ("decision", "finaldecision", "answer", "finalanswer", "like", "choice")
_REASON_KEYS = ("reason", "reasoning", "explanation", "rationale", "why")
_TRAIT_KEYS = ("trait", "personatrait", "traits", "appealsto")
_SCALE_KEYS: dict[str, str] = {
    "visualappeal": "visual_appeal",
    "visual": "visual_appeal",
    "curiosity": "curiosity",
    "emotionalengagement": "emotional_engagement",
    "emotional": "emotional_engagement",
    "engagement": "emotional_engagement",
    "valuetopersona": "value_to_persona",
    "valuetothepersona": "value_to_persona",
    "valueforpersona": "value_to_persona",
    "valueforthepersona": "value_to_persona",
    "personavalue": "value_to_persona",
}
_SCALE_SUFFIXES = ("score", "rating")
_VALUE_WORDS = {
    "y": Verdict.YES,
    "true": Verdict.YES,
    "like": Verdict.YES,
    "keep watching": Verdict.YES,
    "n": Verdict.NO,
    "false": Verdict.NO,
    "dislike": Verdict.NO,
    "skip": Verdict.NO,
    "scroll past": Verdict.NO,
}
_NUMBER_RE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*10|out of 10)?\s*")
_DECISION_PAIR_RE = re.compile(
    r'"(decision|final[ _]decision|answer|final[ _]answer|like|choice)"\s*:\s*'
    r'("(?:[^"\\\n]|\\.)*"|true\b|false\b)',
    re.I,
)
_TEXT_PAIR_RE = re.compile(r'"(reason|trait)"\s*:\s*"((?:[^"\\\n]|\\.)*)"', re.I)
_FREE_RATING_RE = re.compile(
    r"(visual[ _-]?appeal|curiosity|emotional[ _-]?engagement|"
    r"value[ _-]?(?:to|for)[ _-]?(?:the[ _-]?)?persona)\W{0,6}?(-?\d+(?:\.\d+)?)",
    re.I,
)


Pairs = list[tuple[str, object]]  # (normalised key, value) of every object, shallow first


def _walk(obj: Mapping[Any, object], depth: int = 0) -> Iterator[tuple[str, object]]:
    """(normalised key, value) pairs of an object and the objects nested in it, shallow first."""
    nested: list[Mapping[Any, object]] = []
    for key, value in obj.items():
        yield _key(str(key)), value
        if isinstance(value, dict) and depth < 3:
            nested.append(value)
    for inner in nested:
        yield from _walk(inner, depth + 1)


def _pairs(found: list[tuple[dict[str, object], int, int]]) -> Pairs:
    return [pair for obj, _, _ in found for pair in _walk(obj)]


def _lookup(pairs: Pairs, keys: tuple[str, ...]) -> object | None:
    """The first non-null value under one of ``keys`` (in key order), or None."""
    for wanted in keys:
        for key, value in pairs:
            if key == wanted and value is not None:
                return value
    return None


def _value_verdict(value: object) -> Verdict:
    """A decision value: true/false, "yes"/"No."/"like", or a sentence read as free text."""
    if isinstance(value, bool):
        return Verdict.YES if value else Verdict.NO
    if isinstance(value, str):
        word = value.strip().strip(".!\"'").lower()
        if word in _VALUE_WORDS:
            return _VALUE_WORDS[word]
        return parse_yes_no(value)
    return Verdict.UNPARSABLE


def _text_value(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return ", ".join(str(v).strip() for v in value)
    return None


def _rating(value: object) -> float | None:
    """A 0-10 rating from a number, a numeric string ("7", "7/10") or {"score": 7}; else None."""
    if isinstance(value, dict):
        for key in ("score", "rating", "value"):
            if key in value:
                return _rating(value[key])
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not 0 <= value <= 10:  # also huge ints float() rejects
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = _NUMBER_RE.fullmatch(value)
        if match is None:
            return None
        number = float(match.group(1))
    else:
        return None
    if math.isnan(number) or not 0.0 <= number <= 10.0:
        return None
    return number


def _scale_of(key: str) -> str | None:
    if key in _SCALE_KEYS:
        return _SCALE_KEYS[key]
    for suffix in _SCALE_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in _SCALE_KEYS:
            return _SCALE_KEYS[key[: -len(suffix)]]
    return None


def _ratings(pairs: Pairs, text: str) -> dict[str, float] | None:
    """The four ISQ ratings, complete and in range, from JSON or "Curiosity: 7/10" lines."""
    raw: dict[str, object] = {}
    for key, value in pairs:
        scale = _scale_of(key)
        if scale is not None and scale not in raw and not isinstance(value, list):
            raw[scale] = value
    if not pairs:  # no JSON: "Curiosity: 7/10" lines
        for match in _FREE_RATING_RE.finditer(text):
            scale = _scale_of(_key(match.group(1)))
            if scale is not None and scale not in raw:
                raw[scale] = match.group(2)
    if len(raw) < len(ISQ_SCALES):
        return None
    ratings: dict[str, float] = {}
    for scale in ISQ_SCALES:
        number = _rating(raw[scale])
        if number is None:
            return None
        ratings[scale] = number
    return ratings


def derive_isq_decision(ratings: Mapping[str, float]) -> Verdict:
    """The decision the ISQ ratings imply: yes iff the mean of the four is strictly above 5.

    5 is the midpoint of the 0-10 scale, so an item the model rates as merely average is a
    "no". Raises ValueError if a scale is missing.
    """
    missing = [scale for scale in ISQ_SCALES if scale not in ratings]
    if missing:
        raise ValueError(f"ISQ ratings: missing {', '.join(missing)}")
    total = sum(float(ratings[scale]) for scale in ISQ_SCALES)
    return Verdict.YES if total > ISQ_MIDPOINT * len(ISQ_SCALES) else Verdict.NO


def _without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    pieces, pos = [], 0
    for start, end in spans:
        pieces.append(text[pos:start])
        pos = max(pos, end)
    pieces.append(text[pos:])
    return " ".join(pieces)


def _stated_decision(
    text: str, found: list[tuple[dict[str, object], int, int]], pairs: Pairs
) -> tuple[Verdict, str | None, str | None]:
    """The decision (with reason and trait) the answer states, from JSON or the text around it."""
    reason = _text_value(_lookup(pairs, _REASON_KEYS))
    trait = _text_value(_lookup(pairs, _TRAIT_KEYS))
    value = _lookup(pairs, _DECISION_KEYS)
    if value is not None:
        return _value_verdict(value), reason, trait
    rest = _without_spans(text, [(start, end) for _, start, end in found])
    pair = _DECISION_PAIR_RE.search(rest)
    if pair is not None:  # a complete "decision": "..." inside a truncated object
        for key, val in _TEXT_PAIR_RE.findall(rest):
            if key.lower() == "reason" and reason is None:
                reason = str(_unquote(f'"{val}"')).strip() or None
            elif key.lower() == "trait" and trait is None:
                trait = str(_unquote(f'"{val}"')).strip() or None
        return _value_verdict(_unquote(pair.group(2))), reason, trait
    if "{" in rest:  # a broken object is never read as free text
        return Verdict.UNPARSABLE, reason, trait
    verdict, low, end = _analyse(rest)
    if reason is None and not found:
        reason = _reason(rest, low, end)
    return verdict, reason, trait


def _unquote(literal: str) -> object:
    """A JSON string, true or false, decoded; a string JSON rejects (bad escape) unquoted."""
    try:
        return json.loads(literal)
    except ValueError:
        return literal.strip('"')


def parse_answer(text: str, fmt: AnswerFormat = AnswerFormat.YES_NO) -> ParsedAnswer:
    """Read one answer in the format its prompt asked for; never raises on any string.

    A follow-up reason (``REASON``) holds no verdict: it reads as unparsable, its text kept
    as the reason (it is stored and reported, never scored)."""
    if fmt == AnswerFormat.REASON:
        return ParsedAnswer(Verdict.UNPARSABLE, reason=text.strip() or None)
    if fmt == AnswerFormat.YES_NO:
        verdict, low, end = _analyse(text)
        return ParsedAnswer(verdict, reason=_reason(text, low, end))
    found = _json_objects(text)
    pairs = _pairs(found)
    stated, reason, trait = _stated_decision(text, found, pairs)
    if fmt != AnswerFormat.ISQ:
        return ParsedAnswer(stated, reason=reason, trait=trait)
    ratings = _ratings(pairs, text)
    derived = derive_isq_decision(ratings) if ratings is not None else None
    return ParsedAnswer(
        derived if derived is not None else stated,
        reason=reason,
        trait=trait,
        ratings=ratings,
        stated=stated if stated is not Verdict.UNPARSABLE else None,
        derived=derived,
    )
