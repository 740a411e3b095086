"""Read what ``valspec dataset build`` labels: media files and the text that comes with them.

SRC is either a folder of videos and images with a sidecar beside each (``clip.txt`` holding
the caption, or ``clip.json`` with ``caption``, ``hashtags``, ``transcript`` and optionally
``platform``, ``id``, ``value``), or a listing: a CSV, a JSONL, or an HF ``metadata.jsonl``
with a ``file`` / ``file_name`` column relative to the listing's folder. A malformed listing
row or sidecar is a :class:`DataError` naming the file, line and field.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valspec.data.dataset import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from valspec.domain.errors import DataError, UnknownNameError
from valspec.domain.values import Value, parse_value

SIDECAR_SUFFIXES = (".json", ".txt")
LISTING_SUFFIXES = frozenset({".csv", ".jsonl"})
TEXT_FIELDS = ("caption", "hashtags", "transcript")

PLATFORM_NAMES: dict[str, str] = {
    "tiktok": "tiktok",
    "youtube": "youtube_shorts",
    "youtube_shorts": "youtube_shorts",
    "youtube-shorts": "youtube_shorts",
    "shorts": "youtube_shorts",
    "instagram": "instagram_reels",
    "instagram_reels": "instagram_reels",
    "instagram-reels": "instagram_reels",
    "reels": "instagram_reels",
    "unknown": "unknown",
    "": "unknown",
}
"""Spellings accepted for a platform, mapped to the manifest's names."""


@dataclass(frozen=True)
class SourceItem:
    """One media file and its text, before any checks on the media itself."""

    id: str
    path: Path  # absolute
    kind: str  # "video" | "image" | "" (suffix says neither)
    platform: str
    caption: str
    hashtags: tuple[str, ...]
    transcript: str
    given_value: Value | None  # a label the source already carries (kept, not retrieved)
    origin: str  # where the item was described: "listing.csv:12" or the sidecar path

    @property
    def text(self) -> str:
        """Everything retrieval reads: caption, hashtags and transcript, one per line."""
        tags = " ".join(f"#{t}" for t in self.hashtags)
        return "\n".join(part for part in (self.caption, tags, self.transcript) if part)


@dataclass(frozen=True)
class Skipped:
    """A file under SRC that is not media (listed in rejected.csv, never silently dropped)."""

    path: Path
    reason: str


def read_source(src: Path) -> tuple[list[SourceItem], list[Skipped]]:
    """Items described by ``src`` (a folder or a listing) in a stable order, plus skipped files."""
    if src.is_dir():
        return _read_folder(src.resolve())
    if src.is_file() and src.suffix.lower() in LISTING_SUFFIXES:
        return _read_listing(src.resolve()), []
    if src.is_file():
        raise DataError(
            f"expected a folder, or a listing ending in {', '.join(sorted(LISTING_SUFFIXES))}",
            file=src,
        )
    raise DataError("source not found", file=src)


def kind_of(path: Path) -> str:
    """``video`` or ``image`` from the suffix, "" when it is neither."""
    suffix = path.suffix.lower()
    return "video" if suffix in VIDEO_SUFFIXES else "image" if suffix in IMAGE_SUFFIXES else ""


def normalise_platform(raw: object, *, file: Path | str, line: int | None, fld: str) -> str:
    """A platform spelling as the manifest's name; anything unknown is a located error."""
    if raw is None:
        return "unknown"
    if not isinstance(raw, str):
        raise DataError(f"expected a string, got {raw!r}", file=file, line=line, field=fld)
    key = raw.strip().lower().replace(" ", "_")
    if key not in PLATFORM_NAMES:
        known = ", ".join(sorted({k for k in PLATFORM_NAMES if k}))
        raise DataError(
            f"unknown platform {raw!r}; known: {known}", file=file, line=line, field=fld
        )
    return PLATFORM_NAMES[key]


# -------------------------------------------------------------------------------- folders


def _read_folder(root: Path) -> tuple[list[SourceItem], list[Skipped]]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and not _hidden(p, root))
    media = [p for p in files if kind_of(p)]
    media_stems = {p.with_suffix("") for p in media}
    items: list[SourceItem] = []
    skipped: list[Skipped] = []
    for path in files:
        if kind_of(path):
            continue
        is_sidecar = path.suffix.lower() in SIDECAR_SUFFIXES and path.with_suffix("") in media_stems
        if not is_sidecar:
            skipped.append(
                Skipped(path, f"not a video or image (suffix {path.suffix or 'none'!r})")
            )
    ids: set[str] = set()
    for path in media:
        fields = _sidecar(path)
        origin = fields.pop("_origin", "")
        item_id = _unique(str(fields.get("id") or _id_for(path, root)), ids)
        items.append(_item(item_id, path, fields, file=origin or path, line=None, origin=origin))
    return items, skipped


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _id_for(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("").as_posix()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", rel.replace("/", "--")).strip("-") or "item"


def _unique(item_id: str, ids: set[str]) -> str:
    candidate, n = item_id, 2
    while candidate in ids:
        candidate, n = f"{item_id}-{n}", n + 1
    ids.add(candidate)
    return candidate


def _sidecar(path: Path) -> dict[str, Any]:
    """The fields of ``clip.json`` (preferred) or the caption in ``clip.txt``; {} if neither."""
    as_json = path.with_suffix(".json")
    if as_json.is_file():
        try:
            raw = json.loads(as_json.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"malformed JSON sidecar ({exc})", file=as_json) from None
        if not isinstance(raw, dict):
            raise DataError("expected a JSON object", file=as_json)
        return raw | {"_origin": str(as_json)}
    as_text = path.with_suffix(".txt")
    if as_text.is_file():
        try:
            caption = as_text.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 text ({exc.reason})", file=as_text) from None
        return {"caption": caption, "_origin": str(as_text)}
    return {}


# -------------------------------------------------------------------------------- listings


def _read_listing(listing: Path) -> list[SourceItem]:
    root = listing.parent
    rows = _csv_rows(listing) if listing.suffix.lower() == ".csv" else _jsonl_rows(listing)
    items: list[SourceItem] = []
    ids: set[str] = set()
    for line, row in rows:
        key = "file" if "file" in row or "file_name" not in row else "file_name"
        file = row.get(key)
        if not isinstance(file, str) or not file.strip():
            raise DataError(
                "missing (the media file, relative to the listing)",
                file=listing,
                line=line,
                field=key,
            )
        path = (root / file).resolve() if not Path(file).is_absolute() else Path(file)
        raw_id = row.get("id")
        item_id = _unique(str(raw_id) if raw_id else _id_for_listed(file), ids)
        items.append(_item(item_id, path, row, file=listing, line=line, origin=f"{listing}:{line}"))
    if not items:
        raise DataError("the listing has no rows", file=listing)
    return items


def _id_for_listed(file: str) -> str:
    rel = Path(file).with_suffix("").as_posix()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", rel.replace("/", "--")).strip("-") or "item"


def _csv_rows(listing: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        with listing.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not (
                {"file", "file_name"} & {f.strip() for f in reader.fieldnames}
            ):
                raise DataError(
                    "the header needs a 'file' or 'file_name' column", file=listing, line=1
                )
            return [
                (reader.line_num, {k.strip(): v for k, v in row.items() if k is not None})
                for row in reader
            ]
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", file=listing) from None
    except csv.Error as exc:
        raise DataError(f"malformed CSV ({exc})", file=listing) from None


def _jsonl_rows(listing: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    with listing.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"malformed JSON ({exc.msg})", file=listing, line=line_no) from None
            if not isinstance(row, dict):
                raise DataError("expected a JSON object", file=listing, line=line_no)
            rows.append((line_no, row))
    return rows


# -------------------------------------------------------------------------------- fields


def _item(
    item_id: str,
    path: Path,
    fields: Mapping[str, Any],
    *,
    file: Path | str,
    line: int | None,
    origin: str,
) -> SourceItem:
    def text(name: str) -> str:
        raw = fields.get(name)
        if raw is None:
            return ""
        if not isinstance(raw, str):
            raise DataError(f"expected a string, got {raw!r}", file=file, line=line, field=name)
        return raw.strip()

    caption = text("caption") or text("text")
    tags_raw = fields.get("hashtags")
    if tags_raw is None:
        hashtags: tuple[str, ...] = ()
    elif isinstance(tags_raw, str):
        hashtags = tuple(t.lstrip("#") for t in re.split(r"[\s,]+", tags_raw) if t.lstrip("#"))
    elif isinstance(tags_raw, list) and all(isinstance(t, str) for t in tags_raw):
        hashtags = tuple(t.strip().lstrip("#") for t in tags_raw if t.strip().lstrip("#"))
    else:
        raise DataError(
            f"expected a list of strings or one string, got {tags_raw!r}",
            file=file,
            line=line,
            field="hashtags",
        )
    given: Value | None = None
    raw_value = fields.get("value")
    if raw_value not in (None, ""):
        try:
            given = parse_value(str(raw_value))
        except UnknownNameError as exc:
            raise DataError(str(exc), file=file, line=line, field="value") from None
    return SourceItem(
        id=item_id,
        path=path,
        kind=kind_of(path),
        platform=normalise_platform(fields.get("platform"), file=file, line=line, fld="platform"),
        caption=caption,
        hashtags=hashtags,
        transcript=text("transcript"),
        given_value=given,
        origin=origin,
    )
