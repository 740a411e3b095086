"""Versioned prompt templates: the neutral preference question and the two persona strategies.

A template's version string embeds a hash of its text, so any edit changes the version and
every cached answer and snapshot made with the old text is recognised as made with another
prompt. ``tests/valspec/domain/test_prompts.py`` pins the hashes so that edits are deliberate.

Layout: the media comes first in the user turn and the persona text after it, so serving
engines with prefix caching (vLLM, SGLang) reuse the encoded image across personas.

Acquiescence control: the neutral question has a reverse-keyed twin ("would you scroll past
it?", keying ``dislike``), and the yes/no templates counterbalance the answer order ("Yes or
No" / "No or Yes") per item by a hash of its id; one template's version covers both wordings.

Provenance: the ``neutral``, ``simple`` and ``isq`` texts (and the ``isq`` questionnaire: four
0-10 scales, decision when their mean exceeds 5) are valspec's own designs; the Value-Spectrum
paper's exact prompts are not public. The opt-in ``paper`` strategy follows the flow of the
authors' public pilot code (yizhouzhao/LLM4SocialMedia, BSD-3): the persona in the system turn,
"is this content interesting?" answered in one word, an optional second turn asking for the
reason; its wording is valspec's rendering of that flow (docs/personas.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from valspec.domain.errors import UnknownNameError
from valspec.domain.messages import AnswerFormat, MediaPart, Message, TextPart
from valspec.domain.personas import Persona

PLATFORM_NAMES = {
    "tiktok": "TikTok",
    "youtube_shorts": "YouTube Shorts",
    "instagram_reels": "Instagram Reels",
    "unknown": "a short-video app",
}

NEUTRAL = "neutral"
KEYINGS = ("like", "dislike")
"""Question keying: "do you like it?" (yes = like) or the reverse "would you scroll past it?"."""
ANSWER_ORDERS = ("Yes or No", "No or Yes")
"""The two answer-order wordings a ``{answer_order}`` template alternates between, per item."""
STRATEGIES = ("simple", "isq")
"""The default persona prompting strategies: valspec's plain persona prompt and its
questionnaire (both valspec's own designs)."""
OPT_IN_STRATEGIES = ("paper",)
"""Strategies run only when named in ``--valspec-strategies``: ``paper``, the flow of the
Value-Spectrum authors' pilot code (not in the default set, so default runs do not change)."""
ALL_STRATEGIES = STRATEGIES + OPT_IN_STRATEGIES


@dataclass(frozen=True)
class PromptTemplate:
    """A named, revisioned prompt: system text and a user question after the media."""

    name: str
    revision: int
    system: str
    user: str  # may use {platform} and {persona}
    answer_format: AnswerFormat
    order: int = 0  # which of ANSWER_ORDERS fills {answer_order} (not part of the version)
    # The turn that may follow this one in the same conversation (the ``paper`` reason turn);
    # not part of the version: the first answer does not depend on what is asked after it.
    follow_up: PromptTemplate | None = None

    @property
    def text_hash(self) -> str:
        """First 12 hex digits of sha256 over the template's texts (every answer-order wording
        included) and answer format."""
        parts = [self.system, self.user, self.answer_format.value]
        if self.counterbalanced:
            parts += ANSWER_ORDERS
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]

    @property
    def counterbalanced(self) -> bool:
        """Whether the question's answer-order wording alternates per item."""
        return "{answer_order}" in self.user

    def with_order(self, order: int) -> PromptTemplate:
        """The same template (same version) worded with answer order ``order`` (0 or 1)."""
        if order not in (0, 1):
            raise ValueError(f"answer order must be 0 or 1, got {order!r}")
        return self if order == self.order else replace(self, order=order)

    @property
    def version(self) -> str:
        """``<name>-v<revision>-<hash>``: changes whenever the text changes."""
        return f"{self.name}-v{self.revision}-{self.text_hash[:8]}"

    def render(self, *, platform: str, persona: Persona | None = None) -> tuple[Message, ...]:
        """The conversation for one item: system turn, then media followed by the question."""
        if "{persona}" in self.system + self.user and persona is None:
            raise ValueError(f"prompt {self.name!r} needs a persona")
        fields = {
            "platform": PLATFORM_NAMES.get(platform, PLATFORM_NAMES["unknown"]),
            "persona": persona.prompt_text if persona else "",
            "answer_order": ANSWER_ORDERS[self.order],
        }
        return (
            Message("system", (TextPart(self.system.format(**fields)),)),
            Message("user", (MediaPart(), TextPart(self.user.format(**fields)))),
        )

    def render_follow_up(self, first: tuple[Message, ...], answer: str) -> tuple[Message, ...]:
        """The next turn of a conversation: ``first`` (as sent), the model's ``answer`` as the
        assistant turn, then this template's question as a new user turn (text only)."""
        return (
            *first,
            Message("assistant", (TextPart(answer),)),
            Message("user", (TextPart(self.user),)),
        )


_SCROLLING = (
    "You are scrolling through short videos on {platform}. The image(s) above show the next "
    "video; its on-screen text and captions are part of the post."
)

_VIEWER = "You are a viewer with your own tastes, answering honestly about short videos."

NEUTRAL_TEMPLATE = PromptTemplate(
    name=NEUTRAL,
    revision=2,
    system=_VIEWER,
    user=(
        _SCROLLING + "\n\nDo you like this video, and would you keep watching it? "
        "Answer {answer_order} first, then explain why in one sentence."
    ),
    answer_format=AnswerFormat.YES_NO,
)

NEUTRAL_DISLIKE_TEMPLATE = PromptTemplate(
    name="neutral-dislike",
    revision=1,
    system=_VIEWER,
    user=(
        _SCROLLING + "\n\nWould you scroll past this video rather than keep watching it? "
        "Answer {answer_order} first, then explain why in one sentence."
    ),
    answer_format=AnswerFormat.YES_NO,
)

SIMPLE_TEMPLATE = PromptTemplate(
    name="simple",
    revision=1,
    system="You are role-playing a person. Stay in character and answer as that person would.",
    user=(
        "You are this person:\n{persona}\n\n" + _SCROLLING + "\n\n"
        "As this person, do you like this video, and would you keep watching it? Reply with "
        'JSON only: {{"decision": "yes" or "no", "reason": "<one sentence>", '
        '"trait": "<the trait or interest of yours it appeals to or conflicts with>"}}'
    ),
    answer_format=AnswerFormat.JSON_DECISION,
)

ISQ_TEMPLATE = PromptTemplate(
    name="isq",
    revision=1,
    system="You are role-playing a person. Stay in character and answer as that person would.",
    user=(
        "You are this person:\n{persona}\n\n" + _SCROLLING + "\n\n"
        "As this person, rate the video from 0 (not at all) to 10 (extremely) on:\n"
        "- visual_appeal: how visually appealing it is to you;\n"
        "- curiosity: how much it makes you want to see what happens;\n"
        "- emotional_engagement: how much it moves or excites you;\n"
        "- value_to_persona: how well it fits what matters to you in life.\n"
        "Then decide whether you like it and would keep watching. Reply with JSON only: "
        '{{"ratings": {{"visual_appeal": 0-10, "curiosity": 0-10, '
        '"emotional_engagement": 0-10, "value_to_persona": 0-10}}, "decision": "yes" or "no"}}'
    ),
    answer_format=AnswerFormat.ISQ,
)

# The ``paper`` strategy: the flow of the authors' pilot code (persona in the system turn, a
# one-word answer, the reason asked in a second turn); the wording is valspec's. No answer-order
# counterbalancing: the pilot code asks the question one way.
_PAPER_QUESTION = (
    "The image(s) show a post on {platform}. Is this content interesting to you? "
    "Answer in one word: Yes or No."
)

PAPER_REASON_TEMPLATE = PromptTemplate(
    name="paper-reason",
    revision=1,
    system="",
    user="Why? Give your reason in one or two sentences.",
    answer_format=AnswerFormat.REASON,
)

PAPER_TEMPLATE = PromptTemplate(
    name="paper",
    revision=1,
    system="You are this person:\n{persona}\n\nAnswer every question as this person would.",
    user=_PAPER_QUESTION,
    answer_format=AnswerFormat.YES_NO,
    follow_up=PAPER_REASON_TEMPLATE,
)

PAPER_NEUTRAL_TEMPLATE = PromptTemplate(
    name="paper-neutral",
    revision=1,
    system="You are a social media user. Answer every question as yourself.",
    user=_PAPER_QUESTION,
    answer_format=AnswerFormat.YES_NO,
    follow_up=PAPER_REASON_TEMPLATE,
)

TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t for t in (NEUTRAL_TEMPLATE, SIMPLE_TEMPLATE, ISQ_TEMPLATE, PAPER_TEMPLATE)
}

NEUTRAL_TWINS: dict[str, PromptTemplate] = {"paper": PAPER_NEUTRAL_TEMPLATE}
"""Strategies with their own neutral condition (the same question without a persona), so the
persona shift compares like with like; the others are compared with ``neutral``."""


REVERSE_KEYED: dict[str, PromptTemplate] = {NEUTRAL: NEUTRAL_DISLIKE_TEMPLATE}
"""The reverse-keyed ("dislike") twin of each template that has one."""


def template_for(strategy: str, keying: str = "like", *, neutral: bool = False) -> PromptTemplate:
    """The template for ``neutral`` or a persona strategy (``simple``, ``isq``, ``paper``),
    like-keyed or reverse-keyed (``dislike``: only the neutral question has a reverse-keyed
    twin); ``neutral=True``: the strategy's own neutral question (:data:`NEUTRAL_TWINS`)."""
    try:
        template = TEMPLATES[strategy]
    except KeyError:
        raise UnknownNameError("prompt strategy", strategy, list(TEMPLATES)) from None
    if neutral:
        template = NEUTRAL_TWINS.get(strategy, NEUTRAL_TEMPLATE)
    if keying == "like":
        return template
    if keying not in KEYINGS:
        raise UnknownNameError("question keying", keying, list(KEYINGS))
    if strategy not in REVERSE_KEYED:
        raise ValueError(f"prompt {strategy!r} has no reverse-keyed ({keying}) question")
    return REVERSE_KEYED[strategy]


def answer_order_for(item_id: str) -> int:
    """The answer-order wording (index into ANSWER_ORDERS) an item gets: a hash of its id, so
    about half the items read "Yes or No" and half "No or Yes", the same in every run."""
    return hashlib.sha256(item_id.encode()).digest()[0] & 1


def prompt_versions() -> dict[str, str]:
    """Every template's current version string, for run headers and snapshots."""
    versions = {name: t.version for name, t in TEMPLATES.items()}
    extra = [*REVERSE_KEYED.values(), *NEUTRAL_TWINS.values(), PAPER_REASON_TEMPLATE]
    return versions | {t.name: t.version for t in extra}
