"""Baseline files: the canonical JSON text of a case's payload, and reading it back.

The gate families read baselines and the syrupy extension writes them; both use this one
format so a stored file and a freshly serialized payload compare as equal text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from valspec.domain.errors import DataError
from valspec.measure.drift import Payload


def dump_payload(payload: Payload) -> str:
    """Canonical text of a snapshot file: indented JSON, keys in payload order, newline.

    The text of ``json.dumps(payload, indent=2, ensure_ascii=False)``, which writes indented
    JSON in pure Python: here each map or list holding no containers (the per-item maps of
    tens of thousands of items) is written in one call of the C encoder instead, its separator
    carrying the newline and indent. Anything unusual goes to ``json.dumps`` itself, so its
    text and its errors stay exactly those of ``json.dumps``.
    """
    parts: list[str] = []
    try:
        _write_indented(payload, 0, parts, set())
    except (_Unusual, TypeError, ValueError, RecursionError):
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    parts.append("\n")
    return "".join(parts)


_INDENT = "  "
_SCALAR_TEXT = json.JSONEncoder(ensure_ascii=False).encode
"""The text of a str, number, bool or None: the same inside a container as on its own."""
_FLAT_ENCODERS: dict[int, json.JSONEncoder] = {}


class _Unusual(Exception):
    """Something :func:`dump_payload` leaves to ``json.dumps`` (a cycle, a non-str key)."""


def _flat_encoder(depth: int) -> json.JSONEncoder:
    """A C encoder whose item separator is the newline and indent of items at ``depth + 1``."""
    encoder = _FLAT_ENCODERS.get(depth)
    if encoder is None:
        separators = (",\n" + _INDENT * (depth + 1), ": ")
        encoder = _FLAT_ENCODERS[depth] = json.JSONEncoder(
            ensure_ascii=False, separators=separators
        )
    return encoder


def _write_indented(node: Any, depth: int, parts: list[str], open_ids: set[int]) -> None:
    """Append the ``indent=2`` text of ``node`` (at nesting ``depth``) to ``parts``."""
    members: Iterable[Any]
    if isinstance(node, dict):
        brackets, members = "{}", node.values()
    elif isinstance(node, list | tuple):
        brackets, members = "[]", node
    else:
        parts.append(_SCALAR_TEXT(node))
        return
    if not node:
        parts.append(brackets)
        return
    inner, outer = "\n" + _INDENT * (depth + 1), "\n" + _INDENT * depth
    if not _holds_containers(members):
        flat = _flat_encoder(depth).encode(node)  # "{k: v,<inner>k: v}" or "[v,<inner>v]"
        parts.append(brackets[0] + inner + flat[1:-1] + outer + brackets[1])
        return
    if id(node) in open_ids:
        raise _Unusual  # a cycle: json.dumps reports it
    open_ids.add(id(node))
    parts.append(brackets[0])
    if isinstance(node, dict):
        for n, (key, value) in enumerate(node.items()):
            if not isinstance(key, str):
                raise _Unusual  # json.dumps converts or refuses it
            parts.append(("," if n else "") + inner + _SCALAR_TEXT(key) + ": ")
            _write_indented(value, depth + 1, parts, open_ids)
    else:
        for n, value in enumerate(node):
            parts.append(("," if n else "") + inner)
            _write_indented(value, depth + 1, parts, open_ids)
    open_ids.discard(id(node))
    parts.append(outer + brackets[1])


_PARSED: dict[str, Any] = {}
"""Parsed JSON by its text (oldest first), never handed out: callers get copies."""
_PARSED_CHARS = 1 << 24
"""At most this many characters of text are remembered (the oldest texts go first)."""


def parse_json(text: str) -> Any:
    """``json.loads(text)``, parsing a text seen before once: the copy is several times faster.

    A case's baseline is read by its gate, by the baseline check and by syrupy's match, which
    also parses the payload just serialized (the same text when nothing moved); in a large run
    each is megabytes. Every call returns its own containers (the numbers and strings in them
    are immutable), so no caller sees another's changes.
    """
    if not isinstance(text, str) or len(text) > _PARSED_CHARS:
        return json.loads(text)
    parsed = _PARSED.get(text)
    if parsed is None:
        parsed = json.loads(text)
        _PARSED[text] = parsed
        while sum(map(len, _PARSED)) > _PARSED_CHARS:
            del _PARSED[next(iter(_PARSED))]
    return _copy_json(parsed)


def _copy_json(node: Any) -> Any:
    """A copy of parsed JSON's containers (dicts and lists), sharing its scalars."""
    if isinstance(node, dict):
        if _holds_containers(node.values()):
            return {k: _copy_json(v) for k, v in node.items()}
        return node.copy()
    if isinstance(node, list):
        if _holds_containers(node):
            return [_copy_json(v) for v in node]
        return node.copy()
    return node


def _holds_containers(members: Iterable[Any]) -> bool:
    """Whether any member is a dict, list or tuple (looked up by type: one C-level pass)."""
    return any(issubclass(kind, dict | list | tuple) for kind in set(map(type, members)))


def read_baseline(path: Path) -> Payload | None:
    """The stored payload at ``path`` (None when absent); bad JSON names the file and line."""
    if not path.is_file():
        return None
    try:
        data = parse_json(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        reason = f"snapshot is not valid JSON ({exc.msg})"
        raise DataError(reason, file=path, line=exc.lineno) from None
    if not isinstance(data, dict):
        raise DataError("snapshot must hold a JSON object", file=path)
    return data
