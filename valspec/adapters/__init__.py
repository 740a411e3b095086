"""Model adapters: the protocol, the registry and the built-in adapters."""

from __future__ import annotations

from valspec.adapters.base import Adapter, Capabilities, Labels, Request, Response, Sampling, Usage
from valspec.domain.messages import AnswerFormat, MediaPart, Message, TextPart

__all__ = [
    "Adapter",
    "AnswerFormat",
    "Capabilities",
    "Labels",
    "MediaPart",
    "Message",
    "Request",
    "Response",
    "Sampling",
    "TextPart",
    "Usage",
]
