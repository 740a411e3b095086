"""The words, phrases and regular expressions the free-text rules look for.

Package-internal (hence the leading underscores): :mod:`valspec.parsing.free_text` applies
them, in the order the rules in the :mod:`valspec.parsing` docstring give.
"""

from __future__ import annotations

import re

from valspec.parsing.verdicts import Verdict

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
# Refusals are of two kinds. A *disclaimer* is about the model itself: its identity or what
# it can do ("As an AI ...", "I can't help with that", "I don't have preferences"). An
# *uncertainty* is about the content ("hard to tell", "I don't know this game", "it depends").
# Both give REFUSAL when nothing decides, but only a disclaimer cancels an answer's leading
# "no": "No. It is hard to tell what is going on." is a "no" (rule 5).
# One leading \b for all branches: the engine then rejects most positions at once (a \b per
# branch made a miss ~10x slower).
_DISCLAIMERS = [
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
    r"respond|provide|express|form|hold|have|give|share|judge|"
    r"evaluate|offer|access|perceive|experience|view|comply|fulfill|engage|process|"
    r"personally|actually|truly|watch (?:videos|the video|video)|"
    r"see (?:the |this |any )?(?:video|image|screenshot|content|frame)|"
    r"make (?:a |that |this |such )?(?:personal|subjective))",
    r"i (?:don't|do not) (?:have|possess|hold|experience) (?:any )?(?:(?:personal|real|"
    r"human|genuine|subjective|actual|individual) )*(?:preferences?|feelings?|"
    r"opinions?|emotions?|likes|tastes?|desires?|the (?:ability|capacity)|eyes|"
    r"a (?:(?:personal|subjective) )?(?:preference|opinion|taste))",
    r"i have no (?:(?:personal|real|human|subjective|genuine) )*(?:preferences?|"
    r"feelings?|opinions?|emotions?|tastes?|likes)\b",
    r"i (?:lack|am incapable of|'m incapable of) (?:(?:personal|real|human|subjective) )*"
    r"(?:preferences?|feelings?|opinions?|emotions?|tastes?)",
    r"i (?:don't|do not) (?:watch videos|experience\b)",
    r"unable to (?:provide|answer|view|see|watch|access|form|express)\b",
    r"not (?:possible|able) (?:for me )?to (?:answer|provide)\b",
    r"i (?:must|have to|need to|will|'ll|would) (?:have to )?(?:respectfully )?"
    r"(?:decline|refrain)\b",
    r"i (?:won't|will not) (?:answer|respond|provide|comply|help)\b",
]
_UNCERTAINTIES = [
    rf"{_CANT} (?:determine|decide|assess|"
    r"make (?:a |that |this |such )?(?:decision|judgment|judgement|choice)|"
    r"say (?:whether|if|for sure|for certain|definitively|with certainty)|"
    r"tell (?:whether|if|for sure|for certain))",
    rf"i (?:don't|do not) know\b{_NOT_A_REFUSAL_AFTER}",
    rf"not sure\b{_NOT_A_REFUSAL_AFTER}",
    r"(?:hard|difficult|impossible) to (?:say|tell|determine|decide)\b(?! (?:no|yes)\b)",
    r"unable to (?:determine|decide|say|tell|assess|evaluate|judge)\b",
    r"(?:can't|cannot|can not) be determined\b",
    r"not (?:possible|able) (?:for me )?to (?:determine|say|tell|decide|judge)\b",
    # Non-answers that name no decision: "Subjective", "Inconclusive", "It depends" (decided:
    # a refusal to choose, counted as a refusal, not as text the parser could not read).
    r"(?:it|that|this) (?:really |all |just )?depends\b",
    r"(?:it's|it is|that's|that is|this is|very|highly|purely|entirely|quite) subjective\b",
    r"(?<![\w'])(?:subjective|inconclusive|undecided)(?= *(?:[.!\n]|$))",
]
_REFUSAL_RE = re.compile(r"\b(?:" + "|".join(_DISCLAIMERS + _UNCERTAINTIES) + ")")
_DISCLAIMER_RE = re.compile(r"\b(?:" + "|".join(_DISCLAIMERS) + ")")

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
        "capacity", "eyes", "depends", "subjective", "inconclusive", "undecided",
    }
)  # fmt: skip
