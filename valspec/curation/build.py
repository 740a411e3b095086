"""``valspec dataset build``: media + text in, a value-labelled dataset folder out.

Order of work: read the source; drop unreadable media (``rejected.csv``), exact duplicates by
sha256 and near duplicates by perceptual hash (``duplicates.csv``); label each item by keyword
and embedding retrieval, sending weak matches to ``review.csv``; balance values (and
platforms) with ``--per-value``, listing what is left out (``unselected.csv``); copy or
hard-link the media into ``media/``; write ``manifest.jsonl`` and the build record
``build.json``. The result is loaded back with :func:`valspec.data.dataset.load_dataset`, so
``--valspec-dataset`` accepts it as written.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from valspec.curation.hygiene import (
    HASH_FRAMES,
    HASH_SIDE,
    PHASH_DISTANCE,
    Duplicate,
    NearDuplicateIndex,
    balance,
    phash,
)
from valspec.curation.keywords import load_keywords
from valspec.curation.retrieval import (
    Assignment,
    Embedder,
    ImageEmbedder,
    RetrievalSettings,
    Retriever,
)
from valspec.curation.sources import SourceItem, read_source
from valspec.data.dataset import file_sha256, load_dataset
from valspec.data.media import FrameSpec, load_frames, sample_video
from valspec.domain.errors import DataError, MediaError
from valspec.domain.values import CIRCLE_ORDER, Value

FORMAT = "valspec/dataset-build@1"
IMAGE_SIDE = 336
"""Longest side of frames given to an image embedder (CLIP models resize to 224 or 336)."""
OUTPUTS = (
    "manifest.jsonl",
    "build.json",
    "review.csv",
    "rejected.csv",
    "duplicates.csv",
    "unselected.csv",
)


@dataclass(frozen=True)
class BuildOptions:
    """Everything a build depends on (all of it lands in ``build.json``)."""

    src: Path
    out: Path
    link: bool = False
    per_value: int | None = None
    seed: int = 0
    embedder: str | None = None  # None: the packaged MiniLM
    image_embedder: str | None = None  # a local CLIP-style sentence-transformers folder
    keywords: Path | None = None  # None: the bundled list
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    phash_distance: float = PHASH_DISTANCE
    force: bool = False  # replace the outputs of an earlier build in ``out``


@dataclass(frozen=True)
class BuildSummary:
    """Counts of one build and its warnings."""

    out: Path
    counts: dict[str, int]
    per_value: dict[str, int]
    warnings: tuple[str, ...]


@dataclass
class _Kept:
    item: SourceItem
    sha256: str
    assignment: Assignment | None = None  # None when the source gave the value


@dataclass
class _Screened:
    """What survived the media checks, and what did not."""

    kept: list[_Kept] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    rejected: list[list[str]] = field(default_factory=list)  # [file, reason]


def build_dataset(
    options: BuildOptions,
    *,
    embedder: Embedder | None = None,
    load_embedder: Callable[[str | None], Embedder] | None = None,
    image_embedder: ImageEmbedder | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> BuildSummary:
    """Build the dataset folder; ``embedder`` or ``load_embedder`` (called only if needed) embed.

    ``image_embedder`` (or ``options.image_embedder``, loaded when given) adds the media's
    own similarity to each value to the text's.
    """
    keywords = load_keywords(options.keywords)
    items, skipped = read_source(options.src)
    root = options.src.resolve() if options.src.is_dir() else options.src.resolve().parent
    if options.src.is_dir() and options.out.resolve().is_relative_to(root):
        raise DataError("the output folder must not be inside the source folder", file=options.out)
    _prepare_out(options.out, force=options.force)
    log(f"{len(items)} media items in {options.src}")
    screened = _screen(items, root, options.phash_distance)
    screened.rejected[:0] = [[_rel(s.path, root), s.reason] for s in skipped]
    log(
        f"{len(screened.kept)} readable and distinct; {len(screened.duplicates)} duplicates, "
        f"{len(screened.rejected)} rejected"
    )
    to_label = [k for k in screened.kept if k.item.given_value is None]
    embedder_identity: dict[str, str] | None = None
    image_identity: dict[str, str] | None = None
    if to_label:
        if embedder is None:
            if load_embedder is None:
                from valspec.curation.embed import load_embedder as load_default

                load_embedder = load_default
            embedder = load_embedder(options.embedder)
        embedder_identity = dict(embedder.identity)
        if image_embedder is None and options.image_embedder is not None:
            from valspec.curation.embed import load_embedder as load_images

            image_embedder = load_images(options.image_embedder)
        images = _image_rows(to_label, image_embedder) if image_embedder else None
        if image_embedder is not None:
            image_identity = dict(image_embedder.identity)
        retriever = Retriever(keywords, embedder, options.retrieval, image_embedder=image_embedder)
        texts = [k.item.text for k in to_label]
        for k, got in zip(to_label, retriever.assign(texts, images), strict=True):
            k.assignment = got
    accepted = [k for k in screened.kept if k.assignment is None or k.assignment.accepted]
    review = [k for k in screened.kept if k.assignment is not None and not k.assignment.accepted]
    left_out, warnings = _balance(accepted, options)
    final = sorted(
        (k for k in accepted if k.item.id not in left_out),
        key=lambda k: (CIRCLE_ORDER.index(_value(k)), k.item.id),
    )
    media_warning = _place_media(final, options.out, link=options.link)
    if media_warning:
        warnings.append(media_warning)
    paths = {i.id: i.path for i in items}
    _write_lists(
        options, root, screened, review, [k for k in accepted if k.item.id in left_out], paths
    )
    per_value = {v.value: sum(_value(k) is v for k in final) for v in CIRCLE_ORDER}
    counts = {
        "source_items": len(items),
        "rejected": len(screened.rejected),
        "exact_duplicates": sum(d.how == "exact" for d in screened.duplicates),
        "near_duplicates": sum(d.how == "near" for d in screened.duplicates),
        "review": len(review),
        "unselected": len(left_out),
        "manifest": len(final),
    }
    record = {
        "format": FORMAT,
        "valspec": _version("valspec"),
        "source": str(options.src),
        "seed": options.seed,
        "per_value": options.per_value,
        "media": "hard links" if options.link else "copies",
        "embedder": embedder_identity,
        "image_embedder": image_identity,
        "keywords": {"path": str(keywords.path), "sha256": keywords.sha256},
        "retrieval": options.retrieval.record(),
        "hygiene": {
            "exact": "sha256 of the file's bytes",
            "near": "imagehash.phash, 256 bits; clips: mean over aligned frames",
            "max_distance": options.phash_distance,
            "frames": HASH_FRAMES,
            "imagehash": _version("imagehash"),
        },
        "counts": counts,
        "per_value_counts": per_value,
        "warnings": warnings,
    }
    (options.out / "build.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if not final:
        raise DataError(
            "no item reached the manifest (see review.csv, rejected.csv and duplicates.csv)",
            file=options.out,
        )
    _write_manifest(options.out / "manifest.jsonl", final, root)
    load_dataset(options.out)  # what --valspec-dataset will do: fails loudly if it would
    return BuildSummary(options.out, counts, per_value, tuple(warnings))


def _screen(items: list[SourceItem], root: Path, distance: float) -> _Screened:
    """Reject unreadable media, drop exact then near duplicates.

    Exact copies: the first in source order is kept. Near duplicates: the one with the most
    pixels (usually the best copy), the first in source order among equals. ``kept`` stays in
    source order.
    """
    out = _Screened()
    by_sha: dict[str, str] = {}
    spec = FrameSpec(frames=HASH_FRAMES, longest_side=HASH_SIDE)
    hashed: list[tuple[int, int, _Kept, list[np.ndarray]]] = []  # (-pixels, position, item, hashes)
    for position, item in enumerate(items):
        where = _rel(item.path, root)
        if not item.kind:
            out.rejected.append([where, f"not a video or image: {item.path.suffix!r}"])
            continue
        if not item.path.is_file():
            out.rejected.append([where, f"file not found (listed at {item.origin})"])
            continue
        try:
            sha = file_sha256(item.path)
        except OSError as exc:
            out.rejected.append([where, f"cannot read: {exc.strerror or exc}"])
            continue
        if sha in by_sha:
            out.duplicates.append(Duplicate(item.id, by_sha[sha], "exact", 0.0))
            continue
        try:
            frames, pixels = _frames(item, spec)
        except (MediaError, DataError) as exc:
            out.rejected.append([where, str(exc).removeprefix(f"{item.path}: ")])
            continue
        by_sha[sha] = item.id
        hashed.append((-pixels, position, _Kept(item, sha), [phash(f) for f in frames]))
    near = NearDuplicateIndex(distance)
    kept: list[tuple[int, _Kept]] = []
    for _, position, candidate, hashes in sorted(hashed, key=lambda h: (h[0], h[1])):
        dup = near.check_and_add(candidate.item.id, candidate.item.kind, hashes)
        if dup is None:
            kept.append((position, candidate))
        else:
            out.duplicates.append(dup)
    out.kept = [k for _, k in sorted(kept, key=lambda pk: pk[0])]
    return out


def _frames(item: SourceItem, spec: FrameSpec) -> tuple[list[Image.Image], int]:
    """The frames a run would show (at hashing size) and the media's own pixel count."""
    if item.kind == "video":
        sample = sample_video(item.path, spec)
        return sample.frames, sample.info.width * sample.info.height
    frames = load_frames(item.path, item.kind, spec)
    with Image.open(item.path) as opened:  # the header only: the size before resizing
        width, height = opened.size
    return frames, width * height


def _image_rows(kept: list[_Kept], embedder: ImageEmbedder) -> list[np.ndarray | None]:
    """Per item the normalised mean embedding of its frames (None when it cannot be decoded)."""
    spec = FrameSpec(frames=HASH_FRAMES, longest_side=IMAGE_SIDE)
    rows: list[np.ndarray | None] = []
    for k in kept:
        try:
            frames = load_frames(k.item.path, k.item.kind, spec)
        except (MediaError, DataError):
            rows.append(None)
            continue
        mean = embedder.encode_images(frames).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        rows.append(mean / norm if norm else None)
    return rows


def _balance(accepted: list[_Kept], options: BuildOptions) -> tuple[set[str], list[str]]:
    """Ids ``--per-value`` leaves out, and warnings for values short of N."""
    if options.per_value is None:
        return set(), []
    chosen = balance(
        [(k.item.id, _value(k), k.item.platform) for k in accepted],
        options.per_value,
        seed=options.seed,
    )
    warnings = [
        f"{value.value}: {have} items, fewer than --per-value {options.per_value}"
        for value, have in chosen.short.items()
    ]
    present = {_value(k) for k in accepted}
    warnings += [f"{v.value}: no items" for v in CIRCLE_ORDER if v not in present]
    return set(chosen.left_out), warnings


def _write_lists(
    options: BuildOptions,
    root: Path,
    screened: _Screened,
    review: list[_Kept],
    unselected: list[_Kept],
    paths: Mapping[str, Path],
) -> None:
    """rejected.csv, duplicates.csv, review.csv, unselected.csv (written even when empty)."""
    out = options.out
    _write_csv(out / "rejected.csv", ["file", "reason"], sorted(screened.rejected))
    _write_csv(
        out / "duplicates.csv",
        ["id", "file", "duplicate_of", "how", "distance"],
        [
            [d.id, _rel(paths[d.id], root), d.duplicate_of, d.how, f"{d.distance:g}"]
            for d in screened.duplicates
        ],
    )
    _write_csv(
        out / "review.csv",
        ["id", "file", "best_value", "similarity", "confidence", "second_value", "reason", "text"],
        [_review_row(k, root) for k in review],
    )
    reason = f"not drawn by --per-value {options.per_value} (seed {options.seed})"
    _write_csv(
        out / "unselected.csv",
        ["id", "file", "value", "platform", "reason"],
        [
            [k.item.id, _rel(k.item.path, root), _value(k).value, k.item.platform, reason]
            for k in unselected
        ],
    )


def _value(k: _Kept) -> Value:
    if k.item.given_value is not None:
        return k.item.given_value
    assert k.assignment is not None
    return k.assignment.value


def _prepare_out(out: Path, *, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise DataError("output exists and is not a folder", file=out)
    out.mkdir(parents=True, exist_ok=True)
    present = [p.name for p in out.iterdir()]
    ours = set(OUTPUTS) | {"media"}
    if present and not force:
        raise DataError(
            "output folder is not empty; pass --force to replace an earlier build's files", file=out
        )
    if force:
        foreign = sorted(set(present) - ours)
        if foreign:
            raise DataError(
                f"--force replaces only a build's own files, but the folder also holds "
                f"{', '.join(foreign[:5])}",
                file=out,
            )
        for name in present:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()


def _place_media(final: list[_Kept], out: Path, *, link: bool) -> str:
    """Copy (or hard-link) each item into ``media/``; a warning when links fell back to copies."""
    media = out / "media"
    media.mkdir(exist_ok=True)
    fell_back = 0
    for k in final:
        target = media / f"{k.item.id}{k.item.path.suffix.lower()}"
        if link:
            try:
                os.link(k.item.path, target)
                continue
            except OSError:
                fell_back += 1
        shutil.copyfile(k.item.path, target)
    if fell_back:
        return f"--link: {fell_back} files are on another file system and were copied instead"
    return ""


def _write_manifest(path: Path, final: list[_Kept], root: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for k in final:
            item = k.item
            row: dict[str, Any] = {
                "id": item.id,
                "file": f"media/{item.id}{item.path.suffix.lower()}",
                "kind": item.kind,
                "platform": item.platform,
                "value": _value(k).value,
            }
            if k.assignment is None:
                row |= {
                    "value_weights": {_value(k).value: 1.0},
                    "keywords": [],
                    "label": "given",
                    "confidence": 1.0,
                }
            else:
                got = k.assignment
                row |= {
                    "value_weights": {v.value: w for v, w in got.weights.items()},
                    "keywords": list(got.keywords),
                    "label": "retrieved",
                    "confidence": got.confidence,
                    "similarity": {v.value: s for v, s in got.similarity.items()},
                }
            row |= {
                "caption": " ".join(
                    p for p in (item.caption, " ".join(f"#{t}" for t in item.hashtags)) if p
                ),
                "sha256": k.sha256,
                "source": _rel(item.path, root),
            }
            if item.transcript:
                row["transcript"] = item.transcript
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _review_row(k: _Kept, root: Path) -> list[str]:
    got = k.assignment
    assert got is not None
    ranked = sorted(got.similarity.items(), key=lambda kv: -kv[1])
    return [
        k.item.id,
        _rel(k.item.path, root),
        got.value.value,
        f"{got.similarity[got.value]:.3f}",
        f"{got.confidence:.3f}",
        ranked[1][0].value if len(ranked) > 1 else "",
        got.reason,
        k.item.text.replace("\n", " "),
    ]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def record_of(out: Path) -> Mapping[str, Any]:
    """The build record of a built dataset folder ({} when it has none)."""
    path = out / "build.json"
    if not path.is_file():
        return {}
    loaded: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
