"""Baselines as syrupy snapshots: one readable JSON file per case under ``snapshots/<model>/``.

A small syrupy extension stores payloads as pretty JSON and *matches with tolerance* (the
same comparison the gate uses), so ``--snapshot-update`` rewrites only the cases that moved
beyond tolerance or went stale, and a pull request shows only real changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from valspec.drift import Comparison, Payload, compare_payload
from valspec.errors import DataError

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion

ToleranceFn = Callable[[Payload], float]


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


def make_extension(directory: Path, tolerance: ToleranceFn) -> type[SingleFileSnapshotExtension]:
    """A syrupy extension class storing JSON payloads in ``directory``, matched with tolerance."""

    class ValspecSnapshotExtension(SingleFileSnapshotExtension):
        file_extension = "json"
        _write_mode = WriteMode.TEXT

        @classmethod
        def dirname(cls, *, test_location: Any) -> str:
            return str(directory)

        @classmethod
        def discovery_dirname(cls, *, test_location: Any) -> str:
            return str(directory)

        @classmethod
        def matches_test_location(cls, *, test_location: Any, snapshot_location: str) -> bool:
            # Files live by model, not by test module: a file belongs to a test when it sits
            # in this model's folder under the test's name (``test_value_preference[power]``).
            location = Path(snapshot_location)
            name = cls.get_snapshot_name(test_location=test_location, index=0)
            return location.parent == directory and location.stem == name

        def serialize(self, data: Any, **kwargs: Any) -> str:
            return dump_payload(data)

        def matches(self, *, serialized_data: Any, snapshot_data: Any) -> bool:
            try:  # unchanged (the usual case), both are the same text: parsed once
                current, stored = parse_json(serialized_data), parse_json(snapshot_data)
            except (TypeError, json.JSONDecodeError):
                return False
            return not compare_payload(current, stored, tolerance(current)).failed

    return ValspecSnapshotExtension


class BaselineCheck:
    """Check one case's payload against its baseline; record or update it through syrupy."""

    def __init__(
        self,
        snapshot: SnapshotAssertion,
        directory: Path,
        tolerance: ToleranceFn,
        *,
        update: bool,
        model: str,
    ) -> None:
        self.snapshot = snapshot.use_extension(make_extension(directory, tolerance))
        self.tolerance = tolerance
        self.update = update
        self.model = model
        self.directory = directory

    @property
    def path(self) -> Path:
        """The snapshot file of this test."""
        ext = self.snapshot.extension
        return Path(ext.get_location(test_location=self.snapshot.test_location, index=0))

    def compare(self, payload: Payload) -> Comparison:
        """Compare with the stored baseline and let syrupy record (or, updating, write) it."""
        baseline = read_baseline(self.path)
        comparison = compare_payload(payload, baseline, self.tolerance(payload))
        # Always go through syrupy: it marks the snapshot as used and, when updating, writes it
        # (the comparison above, not syrupy's generic diff, decides and explains a failure).
        self.matched = self.snapshot == payload
        return comparison

    def failure(self, comparison: Comparison) -> str | None:
        """Why the case fails against its baseline, or None (never fails while updating)."""
        if self.update:
            return None
        if comparison.status == "new":
            return (
                f"no baseline for {comparison.name} at {self.path}. Record one with "
                f"`pytest --model={self.model} --snapshot-update` and commit {self.directory}."
            )
        return comparison.message if comparison.failed else None
