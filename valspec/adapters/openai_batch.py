"""The OpenAI Batch API format and client: input lines, output lines, files and batches.

One input line is ``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}``
with the body the synchronous adapter sends; one output line is ``{"id", "custom_id",
"response": {"status_code", "request_id", "body"}, "error"}``. ``vllm run-batch`` reads and
writes the same format. The client is the official SDK's synchronous ``OpenAI`` (a run makes
a handful of calls); its errors become one-line :class:`BatchError` messages without the key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from valspec.adapters.base import Request, Response
from valspec.adapters.batching import BatchError, BatchInfo, BatchRefused
from valspec.adapters.openai_completion import completion_response

if TYPE_CHECKING:
    from valspec.adapters.openai_settings import OpenAISettings

ENDPOINT = "/v1/chat/completions"
QUEUE_LIMIT_CODES = ("token_limit_exceeded", "request_limit_exceeded", "rate_limit_exceeded")


def batch_line(key: str, body: bytes) -> bytes:
    """The input line for one request body (already JSON), without the newline."""
    head = json.dumps({"custom_id": key, "method": "POST", "url": ENDPOINT})
    return head[:-1].encode() + b', "body": ' + body + b"}"


def response_from_line(
    line: Mapping[str, Any], asked_p_yes: bool, model: str, redact: Callable[[str], str] = str
) -> Response:
    """The Response an output line stands for: the completion, or a failure saying why."""
    error = line.get("error")
    response = line.get("response")
    if error:
        code = error.get("code", "") if isinstance(error, Mapping) else ""
        message = error.get("message", error) if isinstance(error, Mapping) else error
        return Response.failed(redact(f"batch error {code}: {message}".replace(" : ", ": "))[:300])
    if not isinstance(response, Mapping):
        return Response.failed("batch output line has neither a response nor an error")
    status, body = response.get("status_code"), response.get("body")
    if status != 200 or not isinstance(body, Mapping):
        detail = body.get("error", body) if isinstance(body, Mapping) else body
        if isinstance(detail, Mapping):
            detail = detail.get("message", detail)
        return Response.failed(redact(f"batch request HTTP {status}: {detail}")[:300])
    try:
        return completion_response(body, asked_p_yes, model)[0]
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        return Response.failed(f"batch output body is not a chat completion ({exc!r})"[:300])


def image_tokens(width: int, height: int) -> int:
    """OpenAI's published estimate for one high-detail image: fit in 2048x2048, scale the
    short side to 768, then 85 + 170 per 512-pixel tile."""
    scale = min(1.0, 2048 / max(width, height, 1))
    scale *= min(1.0, 768 / max(min(width, height) * scale, 1))
    return 85 + 170 * math.ceil(width * scale / 512) * math.ceil(height * scale / 512)


def estimate_tokens(request: Request, longest_side: int | None) -> int:
    """A request's input tokens, estimated: ~4 characters a text token, images by tiles."""
    chars = sum(len(m.text) for m in request.messages)
    total = chars // 4 + 4 * len(request.messages)
    for frame in request.frames:
        width, height = frame.size
        if longest_side is not None and max(width, height) > longest_side:
            ratio = longest_side / max(width, height)
            width, height = round(width * ratio), round(height * ratio)
        total += image_tokens(width, height)
    return total


class OpenAIBatchClient:
    """``files.create`` / ``batches.create`` / ``retrieve`` / ``files.content`` / ``cancel``."""

    def __init__(self, settings: OpenAISettings, api_key: str) -> None:
        import openai

        self._key = api_key
        self._host = settings.base_url
        retries = max(0, min(2, settings.max_attempts - 1))  # the SDK's own backoff
        self._client = openai.OpenAI(
            api_key=api_key, base_url=settings.base_url, max_retries=retries, timeout=600.0
        )

    def upload(self, path: str, name: str) -> str:
        """Upload a JSONL input file (purpose ``batch``); returns its file id."""
        with Path(path).open("rb") as handle:
            found = self._call(
                "upload", self._client.files.create, file=(name, handle), purpose="batch"
            )
        return str(found.id)

    def create(self, input_file_id: str, metadata: Mapping[str, str]) -> BatchInfo:
        """Start a batch over an uploaded file; a queue-limit refusal raises BatchRefused."""
        created = self._call(
            "create",
            self._client.batches.create,
            input_file_id=input_file_id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata=dict(metadata),
        )
        return _info(created)

    def retrieve(self, batch_id: str) -> BatchInfo:
        """The batch's current status, counts and result files."""
        return _info(self._call("retrieve", self._client.batches.retrieve, batch_id))

    def content(self, file_id: str) -> bytes:
        """A file's bytes (an output or error file)."""
        return bytes(self._call("download", self._client.files.content, file_id).content)

    def cancel(self, batch_id: str) -> BatchInfo:
        """Ask the provider to cancel a batch (it moves to ``cancelling``)."""
        return _info(self._call("cancel", self._client.batches.cancel, batch_id))

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _call(self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        import openai

        try:
            return method(*args, **kwargs)
        except openai.RateLimitError as exc:
            why = self._why(exc)
            raise BatchRefused(f"batch {what} refused for a queue limit: {why}") from None
        except openai.APIStatusError as exc:
            raise BatchError(
                f"batch {what} at {self._host}: HTTP {exc.status_code}: {self._why(exc)}"
            ) from None
        except openai.APIError as exc:
            raise BatchError(f"batch {what} at {self._host}: {self._why(exc)}") from None

    def _why(self, exc: Exception) -> str:
        text = str(getattr(exc, "message", None) or exc)
        if len(self._key) >= 4 and self._key != "EMPTY":
            text = text.replace(self._key, "***")
        return text[:300]


def _info(batch: Any) -> BatchInfo:
    counts = getattr(batch, "request_counts", None)
    errors = getattr(getattr(batch, "errors", None), "data", None) or []
    codes = [str(getattr(e, "code", "") or "") for e in errors]
    messages = tuple(
        f"{getattr(e, 'code', '') or 'error'}: {getattr(e, 'message', '') or ''}"
        + (f" (line {e.line})" if getattr(e, "line", None) else "")
        for e in errors
    )
    queue_only = bool(codes) and all(c in QUEUE_LIMIT_CODES for c in codes)
    refused = batch.status == "failed" and queue_only
    return BatchInfo(
        id=str(batch.id),
        status=str(batch.status),
        input_file_id=str(batch.input_file_id or ""),
        output_file_id=batch.output_file_id or None,
        error_file_id=batch.error_file_id or None,
        total=int(getattr(counts, "total", 0) or 0),
        completed=int(getattr(counts, "completed", 0) or 0),
        failed=int(getattr(counts, "failed", 0) or 0),
        errors=messages,
        refused=refused,
    )
