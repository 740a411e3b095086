"""A loopback fake of the OpenAI Files and Batches API, and a stand-in batch engine.

:class:`BatchServer` serves ``POST /v1/files``, ``GET /v1/files/{id}/content``, ``POST
/v1/batches``, ``GET /v1/batches/{id}`` and ``POST /v1/batches/{id}/cancel`` on 127.0.0.1 from
a background thread, for tests driven through the official client. Each retrieve moves a
batch one state on (``validating`` -> ``in_progress`` -> ``finalizing`` -> ``completed``);
knobs script what can go wrong: lines that fail (``fail_tags``), a batch that expires with
part of its lines answered, and a queue limit that refuses batches (HTTP 429 on create, or a
batch that fails with ``token_limit_exceeded``, as OpenAI does).

:func:`run_batch_file` is a stand-in for ``vllm run-batch``: it reads an input file and
writes the output file in the same format, answering with :func:`stand_in_answer`.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from aiohttp import web

from valspec.testing.loopback import LoopbackServer
from valspec.testing.servers import image_urls, message_text

RefuseMode = Literal["http429", "failed"]
Answer = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]
STEPS = ("validating", "in_progress", "finalizing", "completed")


def stand_in_p_yes(key: str) -> float:
    """The stand-in model's P(yes) for a key: fixed by the key, spread over (0, 1)."""
    return (int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 98 + 1) / 100


def stand_in_answer(key: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A chat completion: "Yes."/"No." by :func:`stand_in_p_yes`, with logprobs if asked."""
    p_yes = stand_in_p_yes(key)
    text = "Yes. It fits." if p_yes >= 0.5 else "No. Not for me."
    logprobs = None
    if body.get("logprobs"):
        top = [
            {"token": "Yes", "logprob": math.log(p_yes), "bytes": None},
            {"token": "No", "logprob": math.log(1 - p_yes), "bytes": None},
        ]
        first = top[0] if p_yes >= 0.5 else top[1]
        logprobs = {"content": [{**first, "top_logprobs": top}]}
    return {
        "id": f"chatcmpl-{key[:12]}",
        "object": "chat.completion",
        "created": 0,
        "model": str(body.get("model") or "stand-in"),
        "system_fingerprint": "fp_stand_in",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": logprobs,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 4, "total_tokens": 104},
    }


def _unreadable_media(body: Mapping[str, Any]) -> str | None:
    """Why an image URL cannot be read (a ``file://`` path that does not exist), else None."""
    for url in image_urls(body):
        if url.startswith("data:image/"):
            continue
        parts = urlsplit(url)
        if parts.scheme != "file" or not Path(unquote(parts.path)).is_file():
            return f"cannot read image {url[:80]}"
    return None


def answer_line(
    line: Mapping[str, Any], answer: Answer = stand_in_answer, fail_tags: Sequence[str] = ()
) -> tuple[bool, dict[str, Any]]:
    """One output line for one input line, and whether it went to the error file."""
    key = str(line.get("custom_id"))
    body = line.get("body") or {}
    out: dict[str, Any] = {"id": f"batch_req_{key[:12]}", "custom_id": key, "error": None}
    problem = _unreadable_media(body)
    text = message_text(body)
    tag = next((t for t in fail_tags if t in text or key.startswith(t)), None)
    if problem or tag:
        message = problem or f"injected failure ({tag})"
        out["response"] = {
            "status_code": 400 if problem else 500,
            "request_id": f"req_{key[:8]}",
            "body": {"error": {"message": message, "type": "invalid_request_error"}},
        }
        return True, out
    completion = dict(answer(key, body))
    out["response"] = {"status_code": 200, "request_id": f"req_{key[:8]}", "body": completion}
    return False, out


def run_batch_file(
    source: Path, target: Path, answer: Answer = stand_in_answer, fail_tags: Sequence[str] = ()
) -> int:
    """A stand-in batch engine (like ``vllm run-batch -i source -o target``): one output line
    per input line, failures included; returns how many lines it wrote."""
    lines = [json.loads(raw) for raw in source.read_bytes().splitlines() if raw.strip()]
    with target.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(answer_line(line, answer, fail_tags)[1]) + "\n")
    return len(lines)


@dataclass
class FakeBatch:
    """One batch as the fake provider keeps it."""

    id: str
    input_file_id: str
    metadata: Mapping[str, str]
    lines: list[dict[str, Any]]
    step: int = 0
    status: str = "validating"
    errors: list[dict[str, Any]] = field(default_factory=list)
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    created_at: int = field(default_factory=lambda: int(time.time()))


@dataclass
class BatchServer(LoopbackServer):
    """The fake Files + Batches API on 127.0.0.1 (see the module docstring)."""

    answer: Answer = stand_in_answer
    fail_tags: Sequence[str] = ()  # lines whose text holds a tag, or whose key starts with
    # one, fail (partial failure)
    expire_after: int | None = None  # expire at the end, only this many lines answered
    queue_limit: int | None = None  # requests the open batches may hold together
    refuse_mode: RefuseMode = "http429"
    api_key: str | None = None  # when set, requests without "Bearer <api_key>" get 401
    max_lifetime_s: float = 120.0
    name = "fake batch server"  # the thread's name and start errors (not a field)

    def __post_init__(self) -> None:
        self.files: dict[str, tuple[str, str, bytes]] = {}  # id -> (name, purpose, bytes)
        self.batches: dict[str, FakeBatch] = {}
        self.calls: list[str] = []  # "METHOD path" of every request, in order
        self._ids = 0
        self._init_loopback()

    def _middlewares(self) -> list[Any]:
        return [self._auth]

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/files", self._upload)
        app.router.add_get("/v1/files/{id}/content", self._content)
        app.router.add_post("/v1/batches", self._create)
        app.router.add_get("/v1/batches/{id}", self._retrieve)
        app.router.add_post("/v1/batches/{id}/cancel", self._cancel)

    def _new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-{self._ids:04d}"

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append(f"{request.method} {request.path}")
        wanted = self.api_key
        if wanted is not None and request.headers.get("Authorization") != f"Bearer {wanted}":
            return _error(401, "Incorrect API key provided", "invalid_api_key")
        response: web.StreamResponse = await handler(request)
        return response

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload, purpose = form.get("file"), str(form.get("purpose", ""))
        if not isinstance(upload, web.FileField) or purpose != "batch":
            return _error(400, "expected a file and purpose=batch", "invalid_request")
        data = upload.file.read()
        file_id = self._new_id("file")
        self.files[file_id] = (upload.filename, purpose, data)
        return web.json_response(_file_json(file_id, upload.filename, purpose, len(data)))

    async def _content(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["id"])
        if found is None:
            return _error(404, "no such file", "not_found")
        return web.Response(body=found[2], content_type="application/octet-stream")

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        found = self.files.get(str(body.get("input_file_id")))
        if found is None:
            return _error(404, "no such input file", "not_found")
        lines = [json.loads(raw) for raw in found[2].splitlines() if raw.strip()]
        full = self.queue_limit is not None and self._enqueued() + len(lines) > self.queue_limit
        if full and self.refuse_mode == "http429":
            return _error(429, "Enqueued token limit reached", "rate_limit_exceeded")
        batch = FakeBatch(
            self._new_id("batch"), str(body["input_file_id"]), body.get("metadata") or {}, lines
        )
        if full:
            batch.status, batch.step = "failed", len(STEPS)
            batch.errors = [{"code": "token_limit_exceeded", "message": "Enqueued limit reached"}]
        self.batches[batch.id] = batch
        return web.json_response(self._batch_json(batch))

    async def _retrieve(self, request: web.Request) -> web.Response:
        batch = self.batches.get(request.match_info["id"])
        if batch is None:
            return _error(404, "no such batch", "not_found")
        if batch.status == "cancelling":
            self._finish(batch, "cancelled", answered=0)
        elif batch.step < len(STEPS) - 1:
            batch.step += 1
            batch.status = STEPS[batch.step]
            if batch.status == "completed":
                expired = self.expire_after is not None
                answered = self.expire_after if expired else len(batch.lines)
                self._finish(batch, "expired" if expired else "completed", answered=answered)
        return web.json_response(self._batch_json(batch))

    async def _cancel(self, request: web.Request) -> web.Response:
        batch = self.batches.get(request.match_info["id"])
        if batch is None:
            return _error(404, "no such batch", "not_found")
        if batch.status not in ("completed", "failed", "expired", "cancelled"):
            batch.status = "cancelling"
        return web.json_response(self._batch_json(batch))

    def _enqueued(self) -> int:
        open_ = ("validating", "in_progress", "finalizing", "cancelling")
        return sum(len(b.lines) for b in self.batches.values() if b.status in open_)

    def _finish(self, batch: FakeBatch, status: str, answered: int | None) -> None:
        """Write the output and error files of a batch that stops now."""
        output: list[str] = []
        errors: list[str] = []
        for index, line in enumerate(batch.lines):
            if answered is not None and index >= answered:
                if status == "expired":
                    errors.append(json.dumps(_expired_line(line)))
                continue
            failed, out = answer_line(line, self.answer, self.fail_tags)
            (errors if failed else output).append(json.dumps(out))
        batch.status, batch.step = status, len(STEPS)
        batch.completed, batch.failed = len(output), len(errors)
        if output:
            batch.output_file_id = self._store_file("batch_output", output)
        if errors:
            batch.error_file_id = self._store_file("batch_error", errors)

    def _store_file(self, purpose: str, lines: list[str]) -> str:
        file_id = self._new_id("file")
        self.files[file_id] = (f"{file_id}.jsonl", purpose, ("\n".join(lines) + "\n").encode())
        return file_id

    def _batch_json(self, batch: FakeBatch) -> dict[str, Any]:
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "errors": {"object": "list", "data": batch.errors} if batch.errors else None,
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": batch.status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": batch.created_at,
            "request_counts": {
                "total": len(batch.lines),
                "completed": batch.completed,
                "failed": batch.failed,
            },
            "metadata": dict(batch.metadata),
        }


def _expired_line(line: Mapping[str, Any]) -> dict[str, Any]:
    key = str(line.get("custom_id"))
    return {
        "id": f"batch_req_{key[:12]}",
        "custom_id": key,
        "response": None,
        "error": {
            "code": "batch_expired",
            "message": "This request could not be executed before the completion window expired.",
        },
    }


def _file_json(file_id: str, name: str, purpose: str, size: int) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": int(time.time()),
        "filename": name,
        "purpose": purpose,
        "status": "processed",
    }


def _error(status: int, message: str, code: str) -> web.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return web.json_response(body, status=status)
