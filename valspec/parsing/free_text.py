"""Free-text answers: the yes/no/refusal rules of the :mod:`valspec.parsing` docstring.

:func:`parse_yes_no` is public; :func:`_analyse` and :func:`_reason` are shared with
:mod:`valspec.parsing.structured`, which reads free text around (and inside) JSON answers.
"""

from __future__ import annotations

import bisect
import functools
import re
from typing import NamedTuple

from valspec.parsing.verdicts import Verdict
from valspec.parsing.vocabulary import (
    _AMBIGUOUS_RE,
    _CANDIDATES,
    _CLAUSE_BREAKS,
    _CLAUSE_SPLIT_RE,
    _DISCLAIMER_RE,
    _EXACT,
    _LEAD_INS,
    _LOVE_IT_RE,
    _NEGATIVE_PHRASE_RE,
    _NEGATORS,
    _NO_IDIOMS,
    _NOT_AFTER_WEAK_YES,
    _NOT_INTENSIFIERS,
    _OPENERS,
    _PHRASE_CONDITION_RE,
    _PHRASE_NEGATION_RE,
    _POSITIVE_PHRASE_RE,
    _PREFIX_WORDS,
    _QUOTES,
    _REASON_LEAD_RE,
    _REFUSAL_KEYS,
    _REFUSAL_RE,
    _SENTENCE_HEAD_RE,
    _TOKEN_RE,
    _TRANSLATE,
    _WEAK_YES,
    _YES_WORDS,
)

__all__ = ["parse_yes_no"]


class _Hit(NamedTuple):
    """One place where the text decides."""

    verdict: Verdict
    end: int  # index of the token just after the deciding word(s)
    leading: bool = False


def _is_punct(token: str) -> bool:
    return not token[0].isalnum()


NEGATION_LOOKBACK = 12
"""Tokens looked back for a negator: "I would not, after watching the whole clip, say yes"."""
PARENTHETICAL_MAX = 4
"""Words between two commas read as an aside that does not end the clause ("never, honestly,")."""


def _negated(tokens: list[str], index: int) -> bool:
    """Whether the clause before ``tokens[index]`` negates or conditions it ("I'd not say no",
    "I would never, honestly, say yes")."""
    j = index - 1
    stop = max(-1, index - 1 - NEGATION_LOOKBACK)
    while j > stop:
        token = tokens[j]
        if token == ",":
            aside = next(
                (
                    k
                    for k in range(j - 1, max(-1, j - 2 - PARENTHETICAL_MAX), -1)
                    if tokens[k] == ","
                ),
                None,
            )
            if aside is None or aside == j - 1:
                return False
            j = aside - 1  # skip ", honestly ," and keep looking
            continue
        if token in _CLAUSE_BREAKS:
            return False
        if token in _NEGATORS or token.endswith("n't"):
            return True
        j -= 1
    return False


def _first_not_in(tokens: list[str], allowed: frozenset[str]) -> int:
    """Index of the first token that is neither punctuation nor in ``allowed``."""
    for i, token in enumerate(tokens):
        if not (_is_punct(token) or token in allowed):
            return i
    return len(tokens)


def _clause_start(tokens: list[str], index: int) -> bool:
    """Whether ``tokens[index]`` starts a clause (quotes skipped: 'I'd say "yes"')."""
    j = index - 1
    while j >= 0 and tokens[j] in _QUOTES:
        j -= 1
    return j < 0 or _is_punct(tokens[j]) or tokens[j] in _LEAD_INS


def _closes(tokens: list[str], index: int) -> bool:
    """Whether a decision word at ``index - 1`` is followed by a clause end or a clause opener.

    Closing quotes are skipped, so a quoted mention ('the sign says "yes" in red') is not one.
    """
    while index < len(tokens) and tokens[index] in _QUOTES:
        index += 1
    return index >= len(tokens) or _is_punct(tokens[index]) or tokens[index] in _OPENERS


def _closes_strictly(tokens: list[str], index: int) -> bool:
    return index >= len(tokens) or _is_punct(tokens[index])


def _token_hits(tokens: list[str], *, first_only: bool) -> list[_Hit]:
    """Explicit decisions (rules 1-2): yes/no words and "absolutely not" in decision places.

    With ``first_only``, stops at a leading decision (it wins unless a refusal discounts it).
    """
    if _CANDIDATES.isdisjoint(tokens):
        return []
    hits: list[_Hit] = []
    n = len(tokens)
    first_word = _first_not_in(tokens, frozenset())
    after_prefix = _first_not_in(tokens, _PREFIX_WORDS)
    for i, token in enumerate(tokens):
        if token not in _CANDIDATES:
            continue
        hit = None
        if token != "not":
            verdict = Verdict.YES if token in _YES_WORDS else Verdict.NO
            nxt = tokens[i + 1] if i + 1 < n else ""
            if verdict is Verdict.NO and (
                nxt in _NO_IDIOMS or (nxt == "way" and i + 2 < n and not _is_punct(tokens[i + 2]))
            ):
                continue
            if i == first_word or (i <= after_prefix and _closes(tokens, i + 1)):
                hit = _Hit(verdict, i + 1, leading=True)
            elif _clause_start(tokens, i) and _closes(tokens, i + 1) and not _negated(tokens, i):
                hit = _Hit(verdict, i + 1)
        else:
            prev = tokens[i - 1] if i else ""
            if prev in _NOT_INTENSIFIERS and (prev != "course" or tokens[i - 2 : i - 1] == ["of"]):
                start = i - 2 if prev == "course" else i - 1
                if _clause_start(tokens, start) and _closes(tokens, i + 1):
                    hit = _Hit(Verdict.NO, i + 1, leading=start <= after_prefix)
            elif _clause_start(tokens, i) and not _negated(tokens, i):
                rest = tokens[i + 1 : i + 3]
                if rest[:1] == ["really"] and _closes_strictly(tokens, i + 2):
                    hit = _Hit(Verdict.NO, i + 2, leading=i <= after_prefix)
                elif rest == ["at", "all"] and _closes_strictly(tokens, i + 3):
                    hit = _Hit(Verdict.NO, i + 3, leading=i <= after_prefix)
        if hit is not None:
            if first_only and hit.leading and not hits:
                return [hit]
            hits.append(hit)
    return hits


def _weak_yes(tokens: list[str]) -> _Hit | None:
    """A leading "Sure," / "Absolutely!" / "Of course." that is not "Sure, here is ..."."""
    words = [(i, t) for i, t in enumerate(tokens) if not _is_punct(t)]
    if not words:
        return None
    i, first = words[0]
    last = i
    if first == "of" and len(words) > 1 and words[1] == (i + 1, "course"):
        last = i + 1
    elif first not in _WEAK_YES:
        return None
    if not _closes_strictly(tokens, last + 1):
        return None
    following = [t for _, t in words[1 if last == i else 2 :][:2]]
    if following and (following[0] in _NOT_AFTER_WEAK_YES or following[:2] == ["i", "can"]):
        return None
    return _Hit(Verdict.YES, last + 1)  # not leading: a contradicting phrase makes it a draw


def _token_index(low: str, char_pos: int) -> int:
    """How many tokens of ``low`` start before ``char_pos``."""
    return len(_TOKEN_RE.findall(low, 0, char_pos))


def _phrase_hits(low: str) -> list[_Hit]:
    """First-person phrases ("I would keep watching") in clauses without negation or 'if'."""
    hits: list[_Hit] = []
    token_ends: list[int] | None = None
    for regex, verdict in (
        (_POSITIVE_PHRASE_RE, Verdict.YES),
        (_LOVE_IT_RE, Verdict.YES),
        (_NEGATIVE_PHRASE_RE, Verdict.NO),
    ):
        for match in regex.finditer(low):
            start, end = match.span()
            clause = _CLAUSE_SPLIT_RE.split(low[max(0, start - 100) : start])[-1]
            if _PHRASE_NEGATION_RE.search(clause):
                continue
            after = _SENTENCE_HEAD_RE.match(low, end, end + 200)
            if after and _PHRASE_CONDITION_RE.search(after.group()):
                continue
            if token_ends is None:
                token_ends = [m.end() for m in _TOKEN_RE.finditer(low)]
            hits.append(_Hit(verdict, bisect.bisect_right(token_ends, end)))
    return hits


def _refusal_index(
    low: str, tokens: list[str], pattern: re.Pattern[str] = _REFUSAL_RE
) -> int | None:
    """Token index where the first refusal phrase (of ``pattern``) starts, or None."""
    if _REFUSAL_KEYS.isdisjoint(tokens):
        return None
    match = pattern.search(low)
    return None if match is None else _token_index(low, match.start())


def _decide(hits: list[_Hit], refusal_at: int | None) -> tuple[Verdict | None, _Hit | None]:
    """Rules 4 and 5: a refusal discounts an earlier "no"; the leading decision wins.

    Returns (verdict, deciding hit), (UNPARSABLE, None) for a conflict, (None, None) when no
    hit is left.
    """
    if refusal_at is not None:
        hits = [h for h in hits if h.verdict is Verdict.YES or h.end > refusal_at]
    if not hits:
        return None, None
    first = hits[0]
    if first.leading or all(h.verdict is first.verdict for h in hits):
        return first.verdict, first
    return Verdict.UNPARSABLE, None


def _has_markup(text: str) -> bool:
    """Whether ``_TRANSLATE`` would change ``text``: every character it maps is outside ASCII
    or one of these (spelled out: ~15x faster than a regex over each answer)."""
    return (
        not text.isascii()
        or "*" in text
        or "_" in text
        or "`" in text
        or "~" in text
        or "#" in text
        or ">" in text
        or "|" in text
        or "\t" in text
        or "\r" in text
    )


def _normalise(text: str) -> str:
    """Lower-case, with markdown and typographic quotes made plain (same length as ``text``
    unless lower() changes it)."""
    low = text.lower()
    return low.translate(_TRANSLATE) if _has_markup(low) else low


def _blank_unless_in_word(match: re.Match[str]) -> str:
    start = match.start()
    before = match.string[start - 1] if start else " "
    if before.isalnum() or before in "'-":  # inside a word ("eyes/no")
        return match.group()
    return " " * (match.end() - start)


def _mask_ambiguous(low: str) -> str:
    """Blank out "yes and no", "yes or no", "yes/no": they never decide (rule 3)."""
    return _AMBIGUOUS_RE.sub(_blank_unless_in_word, low)


def _analyse(text: str) -> tuple[Verdict, str, int | None]:
    """The free-text parser: verdict, normalised text, and the token index after the decision."""
    low = _normalise(text)
    exact = low.strip(" \n.!\"'")
    if exact in _EXACT:
        return _EXACT[exact], low, None
    if not exact:
        return Verdict.UNPARSABLE, low, None
    if "yes" in low:
        low = _mask_ambiguous(low)
    tokens = _TOKEN_RE.findall(low)
    hits = _token_hits(tokens, first_only=True)
    if hits and hits[0].leading:
        if hits[0].verdict is Verdict.YES:  # fast path: nothing can overturn a leading yes
            return Verdict.YES, low, hits[0].end
        # A leading "no" stands against doubt about the content ("No. Hard to tell what it
        # shows."); only a disclaimer about the model itself makes it a refusal (rule 5).
        refusal_at = _refusal_index(low, tokens, _DISCLAIMER_RE)
        if refusal_at is None:
            return Verdict.NO, low, hits[0].end
        hits = _token_hits(tokens, first_only=False)
    elif not hits or any(h.verdict is Verdict.NO for h in hits):
        refusal_at = _refusal_index(low, tokens)
    else:  # only "yes" decisions: a refusal changes nothing
        refusal_at = None
    verdict, hit = _decide(hits, refusal_at)
    if verdict is None and not hits:  # rule 6: only when no yes/no word decides at all
        weak = _weak_yes(tokens)
        soft = sorted([*_phrase_hits(low), *([weak] if weak else [])], key=lambda h: h.end)
        verdict, hit = _decide(soft, refusal_at)
    if verdict is None:
        verdict = Verdict.REFUSAL if refusal_at is not None else Verdict.UNPARSABLE
    return verdict, low, hit.end if hit else None


def parse_yes_no(text: str) -> Verdict:
    """Read a yes/no decision from free text (rules in the package docstring); never raises."""
    return _analyse(text)[0]


@functools.lru_cache(maxsize=128)
def _first_tokens_re(count: int) -> re.Pattern[str]:
    """Matches the first ``count`` tokens of a normalised text (only spaces lie between)."""
    return re.compile(rf"(?:[^\S\n]*(?:{_TOKEN_RE.pattern})){{{count}}}")


def _reason(text: str, low: str, end: int | None) -> str | None:
    """The text after the decision, without leading punctuation or a "Reason:" label."""
    if end is None or len(low) != len(text):  # lower() changed the length: no positions
        return None
    match = _first_tokens_re(end).match(low)
    if match is None:  # pragma: no cover - the tokens were read from this very text
        return None
    rest = text[match.end() :]
    if _has_markup(rest):
        rest = rest.translate(_TRANSLATE)
    rest = _REASON_LEAD_RE.sub("", rest, count=1)
    return " ".join(rest.split()) or None
