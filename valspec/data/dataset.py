"""Load and validate a video dataset: a JSONL manifest (or an HF-style ``metadata.jsonl``).

Every row is checked before anything runs, and a bad row is a one-line error naming the file,
the line and the field. The dataset has a content hash (ids, media hashes and labels) that
goes into every result so that baselines made on other data are never compared silently.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from typing import Any

from valspec.domain.errors import DataError
from valspec.domain.values import CIRCLE_ORDER, Value, parse_value

PLATFORMS = ("tiktok", "youtube_shorts", "instagram_reels", "unknown")
KINDS = ("video", "image")
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"})
MANIFEST_NAMES = ("manifest.jsonl", "metadata.jsonl")

_VALUES_BY_NAME: dict[str, Value] = {v.value: v for v in CIRCLE_ORDER}
"""Canonical value names: a manifest almost always spells values this way (one dict hit)."""
_HASH_ENCODER = json.JSONEncoder(separators=(",", ":"))
"""``json.dumps(record, separators=(",", ":"))`` without building an encoder per record."""


@dataclass(frozen=True)
class Item:
    """One short-video post: a clip or a screenshot, labelled with the value it expresses."""

    id: str
    file: str  # as written in the manifest, relative to the dataset root
    path: Path  # resolved absolute path
    kind: str  # "video" | "image"
    platform: str
    value: Value
    sha256: str
    value_weights: Mapping[Value, float] = field(default_factory=dict)
    topic: str = ""
    caption: str = ""
    keywords: tuple[str, ...] = ()
    line: int = 0  # line in the manifest, for error messages


@dataclass(frozen=True)
class Dataset:
    """A validated, ordered set of items plus where it came from."""

    manifest: Path
    items: tuple[Item, ...]

    @property
    def root(self) -> Path:
        """The folder that item files are relative to."""
        return self.manifest.parent

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    @cached_property
    def content_hash(self) -> str:
        """sha256 over what determines results: ids, media hashes, kinds, platforms, labels."""
        # One compact JSON line per item, sorted by id, hashed in one update: the same bytes as
        # hashing line by line. A Value is a str whose text is its name, so values encode as
        # their names without ``.value``.
        encode = _HASH_ENCODER.encode
        lines = [
            encode(
                [
                    item.id,
                    item.sha256,
                    item.kind,
                    item.platform,
                    item.value,
                    dict(sorted(item.value_weights.items())),
                ]
            )
            for item in sorted(self.items, key=attrgetter("id"))
        ]
        lines.append("")
        return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()

    def by_value(self) -> dict[Value, list[Item]]:
        """Items grouped by primary value, in circle order (values with no items are absent)."""
        groups: dict[Value, list[Item]] = {v: [] for v in CIRCLE_ORDER}
        for item in self.items:
            groups[item.value].append(item)
        return {v: items for v, items in groups.items() if items}

    def select(
        self,
        *,
        values: Iterable[Value | str] | None = None,
        platforms: Iterable[str] | None = None,
    ) -> Dataset:
        """Keep the items with one of ``values`` and one of ``platforms`` (None keeps all)."""
        wanted_values = {parse_value(v) for v in values} if values is not None else None
        wanted_platforms = set(platforms) if platforms is not None else None
        if wanted_platforms is not None:
            for platform in wanted_platforms:
                _check_choice(platform, PLATFORMS, "platform", self.manifest, None)
        kept = tuple(
            item
            for item in self.items
            if (wanted_values is None or item.value in wanted_values)
            and (wanted_platforms is None or item.platform in wanted_platforms)
        )
        return replace(self, items=kept)

    def limit(self, per_value: int, *, seed: int = 0) -> Dataset:
        """At most ``per_value`` items per value, chosen by a seeded shuffle (stratified).

        The same seed and data always give the same selection; order follows the manifest.
        """
        if per_value < 1:
            raise ValueError(f"per-value limit must be at least 1, got {per_value}")
        chosen: set[str] = set()
        for value, items in self.by_value().items():
            ids = sorted(item.id for item in items)
            random.Random(f"{seed}:{value.value}").shuffle(ids)
            chosen.update(ids[:per_value])
        return replace(self, items=tuple(i for i in self.items if i.id in chosen))


def find_manifest(path: Path) -> Path:
    """A manifest file itself, or the ``manifest.jsonl`` / ``metadata.jsonl`` in a folder."""
    if path.is_dir():
        for name in MANIFEST_NAMES:
            if (path / name).is_file():
                return path / name
        raise DataError(f"no {' or '.join(MANIFEST_NAMES)} in this folder", file=path)
    if not path.is_file():
        raise DataError("dataset manifest not found", file=path)
    return path


def load_dataset(path: Path | str, *, verify_hashes: bool = True) -> Dataset:
    """Read and validate every row of a manifest; raise :class:`DataError` on the first bad one.

    ``verify_hashes`` checks each file's sha256 against the manifest (computed when absent).
    """
    manifest = find_manifest(Path(path))
    root = manifest.parent.resolve()
    items: list[Item] = []
    seen: dict[str, int] = {}
    hashes: dict[Path, str] = {}
    paths: dict[str, Path] = {}  # file string -> resolved path: many rows share a file
    files: dict[str, _File] = {}  # file strings a full check has already accepted
    with manifest.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            line = _decode_line(raw, manifest, line_no)
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"malformed JSON ({exc.msg})"
                raise DataError(reason, file=manifest, line=line_no) from None
            if not isinstance(row, dict):
                raise DataError("expected a JSON object", file=manifest, line=line_no)
            try:
                item = _parse_plain_row(row, line_no, files, hashes, verify=verify_hashes)
            except _NotPlain:  # the full check: first row of a file, or anything unusual
                item = _parse_row(
                    row, manifest, root, line_no, hashes=hashes, verify=verify_hashes, paths=paths
                )
                if item.file not in files:
                    files[item.file] = _File(item.path, _kind_of(item.path), Path(item.file).stem)
            if item.id in seen:
                raise DataError(
                    f"duplicate id {item.id!r} (first on line {seen[item.id]})",
                    file=manifest,
                    line=line_no,
                    field="id",
                )
            seen[item.id] = line_no
            items.append(item)
    if not items:
        raise DataError("the manifest has no items", file=manifest)
    return Dataset(manifest=manifest, items=tuple(items))


def _decode_line(raw: bytes, manifest: Path, line_no: int) -> str:
    """One manifest line as text: UTF-8 (a byte-order mark on the first line is allowed)."""
    try:
        return raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); save the "
            "manifest as UTF-8",
            file=manifest,
            line=line_no,
        ) from None


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class _File:
    """A manifest file string that resolved inside the root to an existing file."""

    path: Path
    kind: str  # what its suffix says ("" when it says nothing)
    stem: str  # the id of a row without one


class _NotPlain(Exception):
    """A row the fast path leaves to the full check (which words any error)."""


def _kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    return "video" if suffix in VIDEO_SUFFIXES else "image" if suffix in IMAGE_SUFFIXES else ""


def _optional_text(row: dict[str, Any], fld: str, default: str = "") -> str:
    raw = row.get(fld)
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise _NotPlain
    return raw


def _parse_plain_row(
    row: dict[str, Any],
    line: int,
    files: dict[str, _File],
    hashes: dict[Path, str],
    *,
    verify: bool,
) -> Item:
    """A valid row about a file already checked, built without the full check's overhead.

    Raises :class:`_NotPlain` for anything else (a new file, value weights, a value not spelt
    canonically, anything invalid), so :func:`_parse_row` decides it: the same item, the same
    error. A file is resolved, found and hashed once per load, as the full check does.
    """
    file = row.get("file" if "file" in row or "file_name" not in row else "file_name")
    if not isinstance(file, str) or file not in files:
        raise _NotPlain
    known = files[file]
    kind = _optional_text(row, "kind") or known.kind
    platform = _optional_text(row, "platform", "unknown")
    raw_value = row.get("value")
    value = _VALUES_BY_NAME.get(raw_value) if isinstance(raw_value, str) else None
    if kind not in KINDS or platform not in PLATFORMS or value is None:
        raise _NotPlain
    if row.get("value_weights") is not None:
        raise _NotPlain
    keywords = row.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise _NotPlain
    declared = _optional_text(row, "sha256").lower()
    actual = declared
    if verify or not declared:
        actual = hashes.get(known.path, "")
        if not actual or (declared and declared != actual):
            raise _NotPlain
    return Item(
        id=_optional_text(row, "id") or known.stem,
        file=file,
        path=known.path,
        kind=kind,
        platform=platform,
        value=value,
        sha256=actual,
        value_weights={value: 1.0},
        topic=_optional_text(row, "topic"),
        caption=_optional_text(row, "caption"),
        keywords=tuple(keywords),
        line=line,
    )


def _value_of(name: str) -> Value:
    """:func:`parse_value`, with a dict hit for a canonical name first."""
    value = _VALUES_BY_NAME.get(name)
    return value if value is not None else parse_value(name)


def _parse_row(
    row: dict[str, Any],
    manifest: Path,
    root: Path,
    line: int,
    *,
    hashes: dict[Path, str],
    verify: bool,
    paths: dict[str, Path] | None = None,
) -> Item:
    def fail(fld: str, message: str) -> DataError:
        return DataError(message, file=manifest, line=line, field=fld)

    def text(fld: str, *, required: bool, default: str = "") -> str:
        raw = row.get(fld)
        if raw is None:
            if required:
                raise fail(fld, "missing")
            return default
        if not isinstance(raw, str) or (required and not raw.strip()):
            raise fail(fld, f"expected a non-empty string, got {raw!r}")
        return raw

    file_key = "file" if "file" in row or "file_name" not in row else "file_name"
    file = text(file_key, required=True)
    path = paths.get(file) if paths is not None else None
    if path is None:  # resolving touches the file system: once per distinct file string
        path = _resolve_inside(file, root, fail_field=file_key, fail=fail)
        if paths is not None:
            paths[file] = path
    suffix = path.suffix.lower()
    kind = text("kind", required=False)
    if not kind:
        kind = "video" if suffix in VIDEO_SUFFIXES else "image" if suffix in IMAGE_SUFFIXES else ""
        if not kind:
            raise fail("kind", f"missing, and cannot tell from the file suffix {suffix!r}")
    _check_choice(kind, KINDS, "kind", manifest, line)
    item_id = text("id", required=False) or Path(file).stem
    platform = text("platform", required=False, default="unknown")
    _check_choice(platform, PLATFORMS, "platform", manifest, line)
    try:
        value = _value_of(text("value", required=True))
    except KeyError as exc:
        raise fail("value", str(exc)) from None
    weights = _parse_weights(row.get("value_weights"), value, fail)
    keywords = row.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise fail("keywords", f"expected a list of strings, got {keywords!r}")
    if not path.is_file():
        raise fail(file_key, f"media file not found: {path}")
    declared = text("sha256", required=False).lower()
    actual = declared
    if verify or not declared:
        if path not in hashes:
            hashes[path] = file_sha256(path)
        actual = hashes[path]
        if declared and declared != actual:
            raise fail("sha256", f"mismatch for {file}: manifest says {declared}, file is {actual}")
    return Item(
        id=item_id,
        file=file,
        path=path,
        kind=kind,
        platform=platform,
        value=value,
        sha256=actual,
        value_weights=weights,
        topic=text("topic", required=False),
        caption=text("caption", required=False),
        keywords=tuple(keywords),
        line=line,
    )


def _resolve_inside(file: str, root: Path, *, fail_field: str, fail: Any) -> Path:
    """Resolve ``file`` against ``root``; refuse absolute paths and anything escaping root."""
    candidate = Path(file)
    if candidate.is_absolute() or file.startswith(("/", "\\")):
        raise fail(fail_field, f"absolute path {file!r}; paths must be relative to {root}")
    resolved = (root / candidate).resolve()
    if not resolved.is_relative_to(root):
        how = "a symlink pointing" if (root / candidate).is_symlink() else "a path"
        raise fail(fail_field, f"{how} outside the dataset root: {file!r} -> {resolved}")
    return resolved


def _parse_weights(raw: object, primary: Value, fail: Any) -> dict[Value, float]:
    if raw is None:
        return {primary: 1.0}
    if not isinstance(raw, dict):
        raise fail("value_weights", f"expected an object of value -> weight, got {raw!r}")
    weights: dict[Value, float] = {}
    for name, weight in raw.items():
        try:
            value = _value_of(name)
        except KeyError as exc:
            raise fail(f"value_weights.{name}", str(exc)) from None
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
            raise fail(f"value_weights.{name}", f"expected a weight in [0, 1], got {weight!r}")
        weights[value] = float(weight)
    weights.setdefault(primary, 1.0)
    return weights


def _check_choice(
    got: str, choices: tuple[str, ...], fld: str, manifest: Path, line: int | None
) -> None:
    if got not in choices:
        raise DataError(
            f"{got!r} is not one of {', '.join(choices)}", file=manifest, line=line, field=fld
        )
