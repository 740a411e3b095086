"""The conversation a prompt renders: chat messages mixing text and a media placeholder.

Domain types, below every layer that reads them: prompts render them, parsers read the answer
format, adapters encode them for their model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class AnswerFormat(StrEnum):
    """What shape of answer the prompt asks for; parsing and the adapters read it."""

    YES_NO = "yes_no"  # "Yes" / "No" first, then a one-sentence reason
    JSON_DECISION = "json_decision"  # {"decision": "yes"|"no", "reason": ..., "trait": ...}
    ISQ = "isq"  # JSON ratings 0-10 on four scales, then {"decision": ...}
    REASON = "reason"  # free text: a follow-up turn asking why (never scored)


@dataclass(frozen=True)
class TextPart:
    """A piece of text inside a message."""

    text: str
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class MediaPart:
    """Where the item's frames go inside a message (the adapter encodes them its own way)."""

    kind: Literal["media"] = "media"


Part = TextPart | MediaPart


@dataclass(frozen=True)
class Message:
    """One chat message; ``content`` mixes text and the media placeholder."""

    role: Literal["system", "user", "assistant"]
    content: tuple[Part, ...]

    @property
    def text(self) -> str:
        """The message's text parts joined, without media."""
        return "\n".join(p.text for p in self.content if isinstance(p, TextPart))
