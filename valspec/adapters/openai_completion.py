"""OpenAI chat completions read into valspec responses: the text, P(yes) from logprobs, usage.

Shared by the synchronous adapter (valspec.adapters.openai_api) and the Batch API path
(valspec.adapters.openai_batch), so an answer reads the same whichever way it came.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from typing import Any

from valspec.adapters.base import Response, Usage

_PUNCTUATION = string.punctuation + "“”‘’«»…"
_WORD_MARKERS = "▁Ġ"  # sentencepiece / byte-level BPE word-start markers some servers leave in


def p_yes_from_top(top_logprobs: Sequence[Mapping[str, Any]]) -> float | None:
    """P(yes) = yes-mass / (yes-mass + no-mass) over one position's top tokens, or None.

    Token variants count together: "Yes", " yes", "YES", "yes." all normalise to "yes".
    """
    yes = no = 0.0
    for entry in top_logprobs:
        token, logprob = entry.get("token"), entry.get("logprob")
        if not isinstance(token, str) or not isinstance(logprob, int | float):
            continue
        word = token.strip().lstrip(_WORD_MARKERS).strip(_PUNCTUATION).strip().lower()
        if word == "yes":
            yes += math.exp(logprob)
        elif word == "no":
            no += math.exp(logprob)
    if yes + no <= 0.0:
        return None
    return yes / (yes + no)


def p_yes_from_logprobs(logprobs: Any, max_skip: int = 3) -> float | None:
    """P(yes) from a choice's ``logprobs`` object, read at the answer's first word.

    Reads ``content[0].top_logprobs``; when the sampled first token is only whitespace or
    markup (``"\\n"``, ``"**"``), looks at up to ``max_skip`` following positions instead.
    """
    content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
    if not isinstance(content, list):
        return None
    for position in content[: max_skip + 1]:
        if not isinstance(position, Mapping):
            return None
        top = position.get("top_logprobs")
        found = p_yes_from_top(top) if isinstance(top, list) else None
        token = position.get("token")
        if found is not None or not isinstance(token, str) or token.strip(_PUNCTUATION + " \n"):
            return found
    return None


def _has_logprob_content(logprobs: Any) -> bool:
    content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
    return isinstance(content, list) and bool(content)


def completion_response(
    data: Mapping[str, Any], asked_logprobs: bool, model: str, latency: float = 0.0
) -> tuple[Response, bool]:
    """A chat completion as a Response, and whether it carried logprobs."""
    choice = data["choices"][0]
    message = choice.get("message") or {}
    content = message.get("content")
    if isinstance(content, list):  # some servers answer with content parts
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    text = content if isinstance(content, str) else str(message.get("refusal") or "")
    p_yes = None
    has_logprobs = False
    if asked_logprobs:
        logprobs = choice.get("logprobs")
        has_logprobs = _has_logprob_content(logprobs)
        if has_logprobs:
            p_yes = p_yes_from_logprobs(logprobs)
    usage = data.get("usage")
    if not isinstance(usage, Mapping):
        usage = {}
    response = Response(
        text=text,
        p_yes=p_yes,
        latency_s=latency,
        usage=Usage(
            prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
            completion_tokens=_int_or_none(usage.get("completion_tokens")),
        ),
        meta={
            "model": str(data.get("model") or model),
            "system_fingerprint": str(data.get("system_fingerprint") or ""),
        },
    )
    return response, has_logprobs


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
