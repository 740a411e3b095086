"""Model adapters: the protocol, the registry and the built-in adapters."""

from __future__ import annotations

from valspec.adapters.base import (
    Adapter,
    AnswerFormat,
    Capabilities,
    Labels,
    MediaPart,
    Message,
    Request,
    Response,
    Sampling,
    TextPart,
    Usage,
)

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
