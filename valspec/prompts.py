"""Versioned prompt templates: the neutral preference question and the two persona strategies.

A template's version string embeds a hash of its text, so any edit changes the version and
every cached answer and snapshot made with the old text is recognised as made with another
prompt. ``tests/valspec/test_prompts.py`` pins the hashes so that edits are deliberate.

Layout: the media comes first in the user turn and the persona text after it, so serving
engines with prefix caching (vLLM, SGLang) reuse the encoded image across personas.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from valspec.adapters.base import AnswerFormat, MediaPart, Message, TextPart
from valspec.errors import UnknownNameError
from valspec.personas import Persona

PLATFORM_NAMES = {
    "tiktok": "TikTok",
    "youtube_shorts": "YouTube Shorts",
    "instagram_reels": "Instagram Reels",
    "unknown": "a short-video app",
}

NEUTRAL = "neutral"
STRATEGIES = ("simple", "isq")
"""Persona prompting strategies: a plain persona prompt and the inductive scoring questionnaire."""


@dataclass(frozen=True)
class PromptTemplate:
    """A named, revisioned prompt: system text and a user question after the media."""

    name: str
    revision: int
    system: str
    user: str  # may use {platform} and {persona}
    answer_format: AnswerFormat

    @property
    def text_hash(self) -> str:
        """First 12 hex digits of sha256 over the template's texts and answer format."""
        blob = "\0".join([self.system, self.user, self.answer_format.value])
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    @property
    def version(self) -> str:
        """``<name>-v<revision>-<hash>``: changes whenever the text changes."""
        return f"{self.name}-v{self.revision}-{self.text_hash[:8]}"

    def render(self, *, platform: str, persona: Persona | None = None) -> tuple[Message, ...]:
        """The conversation for one item: system turn, then media followed by the question."""
        if "{persona}" in self.user and persona is None:
            raise ValueError(f"prompt {self.name!r} needs a persona")
        text = self.user.format(
            platform=PLATFORM_NAMES.get(platform, PLATFORM_NAMES["unknown"]),
            persona=persona.prompt_text if persona else "",
        )
        return (
            Message("system", (TextPart(self.system),)),
            Message("user", (MediaPart(), TextPart(text))),
        )


_SCROLLING = (
    "You are scrolling through short videos on {platform}. The image(s) above show the next "
    "video; its on-screen text and captions are part of the post."
)

NEUTRAL_TEMPLATE = PromptTemplate(
    name=NEUTRAL,
    revision=1,
    system="You are a viewer with your own tastes, answering honestly about short videos.",
    user=(
        _SCROLLING + "\n\nDo you like this video, and would you keep watching it? "
        "Answer Yes or No first, then explain why in one sentence."
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

TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t for t in (NEUTRAL_TEMPLATE, SIMPLE_TEMPLATE, ISQ_TEMPLATE)
}


def template_for(strategy: str) -> PromptTemplate:
    """The template for ``neutral`` or a persona strategy (``simple``, ``isq``)."""
    try:
        return TEMPLATES[strategy]
    except KeyError:
        raise UnknownNameError("prompt strategy", strategy, list(TEMPLATES)) from None


def prompt_versions() -> dict[str, str]:
    """Every template's current version string, for run headers and snapshots."""
    return {name: t.version for name, t in TEMPLATES.items()}
