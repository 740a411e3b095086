"""Turn what a model wrote into a verdict: yes, no, refusal or unparsable.

The package: :mod:`~valspec.parsing.verdicts` (the result types),
:mod:`~valspec.parsing.vocabulary` (the words and patterns the free-text rules look for),
:mod:`~valspec.parsing.free_text` (the rules below) and :mod:`~valspec.parsing.structured`
(JSON and ISQ answers, and :func:`parse_answer`, the entry point).

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
   not decisions. Nor is one in a negated or conditional clause ("I would not say yes"): the
   negator ("not", "never", a word ending in "n't", "if", ...) is looked for up to 12 tokens
   back within the clause, past an aside of up to 4 words between commas ("I would never,
   honestly, say yes" is not a "yes").
2. "Absolutely not", "Definitely not", "Of course not", "Not really.", "Not at all." are "no".
3. "Yes and no", "yes or no", "yes/no" are ambiguous and never decide.
4. The decision at the very start of the answer wins (prompts ask for the decision first, so
   later yes/no words belong to the reason). A decision found later in the text counts only
   if all such decisions agree; conflicting ones give UNPARSABLE.
5. Hedges and refusals give REFUSAL unless an explicit decision is present: an explicit
   decision wins over a hedge. They are of two kinds. *Disclaimers* are about the model
   itself, its identity or what it can do ("As an AI, I don't have personal preferences",
   "I'm sorry, I can't help with that", "I cannot watch videos"). *Uncertainties* are about
   the content ("hard to tell", "difficult to determine", "I don't know this game", "I'm not
   sure") or decline to choose: "It depends", "Subjective", "Inconclusive", "Undecided" are
   refusals (the model declined to decide), not UNPARSABLE (text the parser could not read).
   A decision word that opens the answer stands against an uncertainty ("No. It is hard to
   tell what is going on." is a "no", as the same text opening with "Yes" is a "yes"). Only a
   disclaimer turns an opening "no" into a refusal, and the rule is asymmetric on purpose: a
   refusal can cause a "no" but never a "yes", so a "no" counts only when it comes after the
   first disclaimer ("As an AI I have no preferences, but no, ..."); a "no" before it ("No,
   as an AI I cannot ...") is read as part of the refusal.
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

from valspec.parsing.free_text import parse_yes_no
from valspec.parsing.structured import derive_isq_decision, parse_answer, parse_json_object
from valspec.parsing.verdicts import ISQ_SCALES, ParsedAnswer, Verdict

__all__ = [
    "ISQ_SCALES",
    "ParsedAnswer",
    "Verdict",
    "derive_isq_decision",
    "parse_answer",
    "parse_json_object",
    "parse_yes_no",
]
