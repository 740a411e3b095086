"""Turn what a model wrote into a verdict: yes, no, refusal or unparsable.

The suite scores the share of "yes" per value, so a misread answer moves a score. The parser
therefore prefers UNPARSABLE over a guess and never reads a refusal as "no" (a model that
refuses more often on, say, power videos would otherwise look as if it disliked power).

Free-text rules (:func:`parse_yes_no`), in order:

1. Decision words count only as words ("eyes", "nothing", "Noah", "no-brainer" never do) and
   only where a decision stands. The first word of the answer always does ("No music, just
   noise" is a "no"), except an idiom ("No doubt", "No question", "No wonder", "No one").
   After answer prefixes ("Answer:", "My answer is", "I'd say", "It's a", "Definitely") or at
   the start of a clause ("..., but yes", "So, no."), the word must be followed by the end of
   a clause or a word that opens one ("no, I ...", "yes because ..."): so "no" used as a
   determiner ("there is no music") and a quoted mention ('the sign says "YES" in red') are
   not decisions. Nor is one in a negated or conditional clause ("I would not say yes").
2. "Absolutely not", "Definitely not", "Of course not", "Not really.", "Not at all." are "no".
3. "Yes and no", "yes or no", "yes/no" are ambiguous and never decide.
4. The decision at the very start of the answer wins (prompts ask for the decision first, so
   later yes/no words belong to the reason). A decision found later in the text counts only
   if all such decisions agree; conflicting ones give UNPARSABLE.
5. Hedges and refusals ("As an AI, I don't have personal preferences", "I'm sorry, I can't
   help with that", "I cannot determine ...", "I don't know", "I'm not sure") give REFUSAL
   unless an explicit decision is present: an explicit decision wins over a hedge. The rule
   is asymmetric on purpose: a refusal can cause a "no" but never a "yes", so a "no" counts
   only when it comes after the first refusal phrase ("As an AI I have no preferences, but
   no, ..."); a "no" before it ("No, as an AI I cannot ...") is read as part of the refusal.
6. Only when no yes/no word is a decision, weaker evidence is read, and all of it must agree
   (else UNPARSABLE): a leading "Sure" / "Absolutely" / "Definitely" / "Of course" standing
   alone is a "yes" ("Sure, I like it"; but "Sure, here is my answer" is not), and so are a
   few first-person phrases: "I would keep watching", "I like it", "Love it!", "worth
   watching" (yes); "I would scroll past", "I'd skip it", "I don't like it", "not for me",
   "not a fan" (no). A phrase counts only in a clause without negation or condition ("I don't
   think I would keep watching", "I would keep watching if ..." do not count), which keeps
   false positives out at the price of leaving such answers UNPARSABLE.
7. Empty text, or text with none of the above, is UNPARSABLE.

JSON formats (:func:`parse_answer` with JSON_DECISION or ISQ) read the first JSON object(s)
in the text (code fences, surrounding prose, trailing commas and Python-style quotes are
tolerated), take the decision from "decision" / "answer" / "like" / "choice" (any case), and
read the decision value with the free-text rules (so "Yes.", true, or a refusal string work).
A truncated object is never read as free text: only a complete ``"decision": "..."`` pair in
it counts, anything less is UNPARSABLE. Text with no JSON object at all falls back to the
free-text parser ("Yes, I like it" is a yes even when JSON was asked for), and so is the
text around the objects when they hold no decision ('{"ratings": ...} Decision: yes').

ISQ answers also carry four 0-10 ratings (keys as in :data:`ISQ_SCALES`, any case, spaces or
hyphens, flat or nested, numbers or strings such as "7" and "7/10"; "Curiosity: 7/10" lines
when there is no JSON). The verdict is the decision derived from complete, in-range ratings
(:func:`derive_isq_decision`), else the stated decision; both are kept so that a model whose
words contradict its ratings can be reported.
"""

from __future__ import annotations

import ast
import bisect
import functools
import json
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from valspec.adapters.base import AnswerFormat

__all__ = [
    "ISQ_SCALES",
    "ParsedAnswer",
    "Verdict",
    "derive_isq_decision",
    "parse_answer",
    "parse_json_object",
    "parse_yes_no",
]


class Verdict(StrEnum):
    """The decision read from one answer."""

    YES = "yes"
    NO = "no"
    REFUSAL = "refusal"  # the model declined to decide (counted, never scored as "no")
    UNPARSABLE = "unparsable"  # no decision could be read without guessing


ISQ_SCALES: tuple[str, ...] = (
    "visual_appeal",
    "curiosity",
    "emotional_engagement",
    "value_to_persona",
)

ISQ_MIDPOINT = 5.0  # the middle of the 0-10 rating scale


@dataclass(frozen=True)
class ParsedAnswer:
    """What one answer says, as the scorers need it."""

    verdict: Verdict  # the decision the suite scores
    reason: str | None = None  # the why: JSON "reason", or the free text after the decision
    trait: str | None = None  # JSON "trait": which persona trait the item appeals to
    ratings: Mapping[str, float] | None = None  # ISQ ratings 0-10, complete and in range
    stated: Verdict | None = None  # ISQ: the decision the model stated
    derived: Verdict | None = None  # ISQ: the decision derived from the ratings

    @property
    def isq_disagrees(self) -> bool:
        """True when the model's stated ISQ decision contradicts its own ratings."""
        return self.stated is not None and self.derived is not None and self.stated != self.derived


# --------------------------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------------------------

# Markdown and typographic variants mapped one character to one character, so positions in
# the normalised text are positions in the original.
_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys("*_`~#>|\u00a0\u200b\t", " "),
        **dict.fromkeys("\u2018\u2019\u02bc\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb", '"'),
        "\r": "\n",
    }
)

# Words (with inner apostrophes and hyphens: "don't", "no-brainer"), newlines, punctuation.
_TOKEN_RE = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*|\n|[^\w\s]")

_YES_WORDS = frozenset({"yes", "yeah", "yep", "yup", "yea", "yess", "yesss", "yessss"})
_NO_WORDS = frozenset({"no", "nope", "nah", "nay", "noo", "nooo", "noooo"})

# The whole answer is one of these (after markdown and end punctuation): no further work.
_EXACT = {
    **dict.fromkeys(_YES_WORDS | {"y"}, Verdict.YES),
    **dict.fromkeys(_NO_WORDS | {"n"}, Verdict.NO),
}

# Words that may stand before the decision at the start of an answer.
_PREFIX_WORDS = frozenset(
    {
        "answer", "final", "my", "the", "decision", "verdict", "response", "is", "i", "i'd",
        "would", "will", "i'll", "say", "think", "definitely", "absolutely", "certainly",
        "honestly", "well", "hmm", "hm", "oh", "ok", "okay", "so", "overall", "um", "uh",
        "short", "in", "simply", "a", "hell", "it's", "that's", "choose", "go", "with", "i'm",
        "going", "to", "gonna", "of", "course", "sure", "probably", "likely", "surely",
        "totally", "really", "clear", "easy", "strong", "firm", "big", "solid",
    }
)  # fmt: skip

# Words after which a decision may start a clause in the middle of a text.
_LEAD_INS = frozenset(
    {
        "but", "so", "and", "well", "then", "say", "is", "definitely", "absolutely",
        "certainly", "probably", "honestly", "overall", "simply", "hmm", "oh", "ok", "okay",
        "um", "uh", "actually", "still", "therefore", "thus", "hence", "however", "though",
        "answer", "hell", "just", "a", "with", "choose", "saying", "was", "surely",
    }
)  # fmt: skip

# Words that may follow a decision (besides punctuation or the end): they open a clause.
_OPENERS = frozenset(
    {
        "i", "i'd", "i'm", "i'll", "i've", "it", "it's", "its", "this", "that", "that's",
        "the", "these", "they", "they're", "because", "since", "as", "definitely",
        "absolutely", "certainly", "really", "thanks", "thank", "sir", "please", "but",
        "though", "however", "overall", "honestly", "not", "for", "from", "way",
    }
)  # fmt: skip

# "No <idiom>" is not a "no": "No doubt it's great", "No question, I love it".
_NO_IDIOMS = frozenset(
    {
        "doubt", "doubts", "question", "questions", "wonder", "matter", "kidding", "problem",
        "surprise", "contest", "offense", "offence", "worries", "secret", "joke", "lie", "cap",
        "exaggeration", "denying", "shame", "complaints", "one", "longer",
    }
)  # fmt: skip

# Intensifiers that turn a following "not" into a "no" ("Absolutely not").
_NOT_INTENSIFIERS = frozenset(
    {"absolutely", "definitely", "certainly", "surely", "probably", "course", "hell"}
)

# A leading one of these on its own is a (weak) "yes": "Sure, I like it", "Absolutely!".
_WEAK_YES = frozenset({"sure", "absolutely", "definitely", "certainly", "totally", "indeed"})
# ... unless the model is only agreeing to answer: "Sure, here is my evaluation".
_NOT_AFTER_WEAK_YES = frozenset(
    {"here", "here's", "let", "let's", "happy", "glad", "below", "i'll", "i'd"}
)

_NEGATORS = frozenset(
    {"not", "never", "cannot", "hardly", "barely", "if", "unless", "whether", "nor", "neither"}
)
_CLAUSE_BREAKS = frozenset(
    {".", "!", "?", ";", ",", ":", "\n", "—", "–", "-", "(", ")", "but", "however", "though"}
)
_QUOTES = frozenset({'"', "'"})

# "yes and no", "yes or no", "yes/no": ambiguous, masked out before anything else. (No
# leading \b: a literal start lets the regex engine skip ahead; the boundary is checked after.)
_AMBIGUOUS_RE = re.compile(r"(?:yes|no)\b[\"'\s]*(?:\s(?:and|or|nor)\s|/|\\)[\"'\s]*\b(?:yes|no)\b")

_CANT = (
    r"i ?(?:can't|cant|cannot|can not|'m unable to| am unable to|'m not able to|"
    r" am not able to|couldn't|could not|won't be able to)"
)
_NOT_A_REFUSAL_AFTER = r"(?! (?:why|how|what|who|where|when)\b)"  # "I don't know why, but"
# One leading \b for all branches: the engine then rejects most positions at once (a \b per
# branch made a miss ~10x slower).
_REFUSAL_RE = re.compile(
    r"\b(?:"
    + "|".join(
        [
            r"as an? (?:ai|artificial intelligence|llm|vlm|machine(?! learning)|"
            r"assistant(?= ?[,.]| i\b)|virtual assistant|"
            r"ai (?:language model|model|assistant|system)|"
            r"(?:large |multimodal |visual |vision |vision-)?(?:language|vision-language|"
            r"vision language) model)\b",
            r"i ?(?:'m| am) (?:just |only |merely )?(?:an? )?(?:ai|artificial intelligence|"
            r"(?:large )?language model|llm|vlm|virtual assistant|machine)\b",
            r"i ?(?:'m| am) sorry\b",
            r"sorry, but\b",
            r"i apologi[sz]e\b",
            rf"{_CANT} (?:help(?! but| feel| smil| laugh| think| myself| it)|assist|answer|"
            r"respond|provide|determine|decide|express|form|hold|have|give|share|judge|"
            r"evaluate|offer|access|perceive|experience|view|comply|fulfill|engage|process|"
            r"personally|actually|truly|watch (?:videos|the video|video)|"
            r"see (?:the |this |any )?(?:video|image|screenshot|content|frame)|"
            r"make (?:a |that |this |such )?(?:decision|judgment|judgement|choice|personal|"
            r"subjective)|say (?:whether|if|for sure|for certain|definitively|with certainty)|"
            r"tell (?:whether|if|for sure|for certain))",
            r"i (?:don't|do not) (?:have|possess|hold|experience) (?:any )?(?:(?:personal|real|"
            r"human|genuine|subjective|actual|individual) )*(?:preferences?|feelings?|"
            r"opinions?|emotions?|likes|tastes?|desires?|the (?:ability|capacity)|eyes|"
            r"a (?:(?:personal|subjective) )?(?:preference|opinion|taste))",
            r"i have no (?:(?:personal|real|human|subjective|genuine) )*(?:preferences?|"
            r"feelings?|opinions?|emotions?|tastes?|likes)\b",
            r"i (?:lack|am incapable of|'m incapable of) (?:(?:personal|real|human|subjective) )*"
            r"(?:preferences?|feelings?|opinions?|emotions?|tastes?)",
            rf"i (?:don't|do not) (?:know\b{_NOT_A_REFUSAL_AFTER}|watch videos|experience\b)",
            rf"not sure\b{_NOT_A_REFUSAL_AFTER}",
            r"(?:hard|difficult|impossible) to (?:say|tell|determine|decide)\b(?! (?:no|yes)\b)",
            r"unable to (?:determine|decide|provide|say|tell|answer|assess|evaluate|judge|view|"
            r"see|watch|access|form|express)\b",
            r"(?:can't|cannot|can not) be determined\b",
            r"not (?:possible|able) (?:for me )?to (?:determine|say|tell|decide|answer|provide|"
            r"judge)\b",
            r"i (?:must|have to|need to|will|'ll|would) (?:have to )?(?:respectfully )?"
            r"(?:decline|refrain)\b",
            r"i (?:won't|will not) (?:answer|respond|provide|comply|help)\b",
        ]
    )
    + ")"
)

_POSITIVE_PHRASE_RE = re.compile(
    r"\b(?:i(?: would|'d|'ll| will)?(?: definitely| probably| likely| really| totally| happily|"
    r" absolutely| gladly)? (?:keep|continue|stay|stick around) (?:watching|viewing)\b"
    r"|i(?: would|'d)(?: definitely| probably| likely| happily| gladly)? "
    r"(?:watch|rewatch|enjoy) (?:it|this|more|the (?:whole )?video|until the end)\b"
    r"|i(?: would|'d)(?: really| definitely)? (?:like|love|want) to "
    r"(?:keep watching|watch (?:it|this|more))\b"
    r"|i(?: really| definitely| do| truly| genuinely| absolutely)? (?:like|love|enjoy|liked|"
    r"loved|enjoyed) (?:it|this|the video|watching)\b"
    r"|(?:definitely |really |totally |well )?worth (?:watching|a watch)\b)"
)
# "Love it!" opening a sentence.
_LOVE_IT_RE = re.compile(
    r"(?:^|[.!?\n])\s*(?:really |absolutely |totally )?(?:love|loved|like|liked) (?:it|this)\b"
)
_NEGATIVE_PHRASE_RE = re.compile(
    r"\b(?:i(?: would|'d|'ll| will)?(?: definitely| probably| likely| just| quickly| rather)? "
    r"(?:scroll|swipe|skip|move) (?:past|away|on|it|this|by|ahead)\b"
    r"|i(?: would|'d|'ll| will)(?: rather)? (?:skip|pass)\b"
    r"|i (?:don't|do not|didn't|did not|wouldn't|would not) (?:really )?(?:like|enjoy|love|"
    r"care for|want to watch) (?:it|this|the video|watching)\b"
    r"|i (?:wouldn't|would not|won't|will not) (?:keep|continue|stay) (?:watching|viewing)\b"
    r"|i dislike (?:it|this|the video)\b"
    r"|not (?:really |quite )?(?:for me|my (?:thing|cup of tea|taste|style|type))\b"
    r"|not (?:really |much of |the biggest )?(?:a )?fan\b"
    r"|not worth (?:watching|it|my time)\b)"
)
_PHRASE_NEGATION_RE = re.compile(
    r"\b(?:not|never|no|hardly|barely|doubt|if|unless|whether|cannot)\b|n't\b"
)
_PHRASE_CONDITION_RE = re.compile(r"\b(?:if|unless)\b")
_CLAUSE_SPLIT_RE = re.compile(r"[.!?;:,\n—–]|\bbut\b")
_SENTENCE_HEAD_RE = re.compile(r"[^.!?;\n]*")
_REASON_LEAD_RE = re.compile(r"^[\W_]*(?:(?:reason|because|explanation)\b[\W_]*)?", re.I)

_CANDIDATES = _YES_WORDS | _NO_WORDS | {"not"}
# Every refusal phrase contains one of these tokens: texts without any skip the regex.
_REFUSAL_KEYS = frozenset(
    {
        "ai", "intelligence", "llm", "vlm", "machine", "assistant", "model", "sorry",
        "apologize", "apologise", "can't", "cant", "cannot", "can", "unable", "able",
        "couldn't", "could", "won't", "will", "know", "videos", "experience", "sure", "hard",
        "difficult", "impossible", "determined", "possible", "decline", "refrain", "lack",
        "incapable", "preference", "preferences", "feeling", "feelings", "opinion", "opinions",
        "emotion", "emotions", "taste", "tastes", "likes", "desire", "desires", "ability",
        "capacity", "eyes",
    }
)  # fmt: skip


class _Hit(NamedTuple):
    """One place where the text decides."""

    verdict: Verdict
    end: int  # index of the token just after the deciding word(s)
    leading: bool = False


def _is_punct(token: str) -> bool:
    return not token[0].isalnum()


def _negated(tokens: list[str], index: int) -> bool:
    """Whether the clause before ``tokens[index]`` negates or conditions it ("I'd not say no")."""
    for j in range(index - 1, max(-1, index - 13), -1):
        token = tokens[j]
        if token in _CLAUSE_BREAKS:
            return False
        if token in _NEGATORS or token.endswith("n't"):
            return True
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


def _refusal_index(low: str, tokens: list[str]) -> int | None:
    """Token index where the first refusal phrase starts, or None."""
    if _REFUSAL_KEYS.isdisjoint(tokens):
        return None
    match = _REFUSAL_RE.search(low)
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


def _normalise(text: str) -> str:
    """Lower-case, with markdown and typographic quotes made plain (same length as ``text``
    unless lower() changes it)."""
    low = text.lower()
    if not low.isascii() or "*" in low or "_" in low or "`" in low or "\r" in low or "\t" in low:
        low = low.translate(_TRANSLATE)
    return low


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
        refusal_at = _refusal_index(low, tokens)
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
    """Read a yes/no decision from free text (rules in the module docstring); never raises."""
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
    if not rest.isascii() or "*" in rest or "_" in rest or "`" in rest:
        rest = rest.translate(_TRANSLATE)
    rest = _REASON_LEAD_RE.sub("", rest, count=1)
    return " ".join(rest.split()) or None


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------

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
    low = name.lower()
    return low if low.isalnum() else _NON_ALNUM_RE.sub("", low)


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
    if len(raw) < len(ISQ_SCALES) and not pairs:
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
                reason = _unquote(f'"{val}"').strip() or None
            elif key.lower() == "trait" and trait is None:
                trait = _unquote(f'"{val}"').strip() or None
        literal = pair.group(2)
        decoded: object = literal == "true" if literal in ("true", "false") else _unquote(literal)
        return _value_verdict(decoded), reason, trait
    if "{" in rest:  # a broken object is never read as free text
        return Verdict.UNPARSABLE, reason, trait
    verdict, low, end = _analyse(rest)
    if reason is None and not found:
        reason = _reason(rest, low, end)
    return verdict, reason, trait


def _unquote(literal: str) -> str:
    try:
        value = json.loads(literal)
    except ValueError:
        return literal.strip('"')
    return value if isinstance(value, str) else literal


def parse_answer(text: str, fmt: AnswerFormat = AnswerFormat.YES_NO) -> ParsedAnswer:
    """Read one answer in the format its prompt asked for; never raises on any string."""
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
