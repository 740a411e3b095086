from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from valspec.curation.build import BuildOptions, build_dataset, record_of
from valspec.curation.hygiene import PHASH_DISTANCE
from valspec.curation.keywords import load_keywords
from valspec.data.dataset import load_dataset
from valspec.domain.errors import DataError
from valspec.domain.values import Value

from .conftest import BagOfWords, make_clip, make_image

CAPTIONS = {
    "climb": "Ice climbing adventure, what a thrill",
    "jet": "Private jet and a luxury yacht, living like a boss",
    "mom": "Helping my mom, family support and love",
    "trees": "Volunteer day planting trees for the planet and wildlife",
    "shore": "Recycling and climate action for nature",
    "meh": "zzz qqq",
}


def _source(root: Path) -> Path:
    root.mkdir()
    for seed, name in enumerate(CAPTIONS, start=1):
        path = make_clip(root / f"{name}.mp4", seed) if name == "climb" else None
        path = path or make_image(root / f"{name}.png", seed)
        path.with_suffix(".txt").write_text(CAPTIONS[name])
    # an exact copy, a re-encoded smaller copy, a broken clip and a stray file
    (root / "zz-jet-copy.png").write_bytes((root / "jet.png").read_bytes())
    (root / "zz-jet-copy.txt").write_text(CAPTIONS["jet"])
    with Image.open(root / "mom.png") as im:
        im.resize((48, 80)).convert("RGB").save(root / "mom-small.jpg", quality=50)
    (root / "mom-small.json").write_text(
        json.dumps({"caption": CAPTIONS["mom"], "platform": "tiktok"})
    )
    (root / "broken.mp4").write_bytes(b"\x00\x00 not a video")
    (root / "broken.txt").write_text("Concert and comedy night, pure fun")
    (root / "readme.pdf").write_bytes(b"%PDF-1.4")
    return root


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _build(tmp_path: Path, **kwargs: object) -> tuple[BuildOptions, BagOfWords]:
    src = tmp_path / "src" if (tmp_path / "src").exists() else _source(tmp_path / "src")
    options = BuildOptions(src=src, out=tmp_path / "out", **kwargs)  # type: ignore[arg-type]
    embedder = BagOfWords()
    build_dataset(options, embedder=embedder)
    return options, embedder


def test_build_writes_a_dataset_the_suite_loads_and_lists_everything_dropped(
    tmp_path: Path,
) -> None:
    options, _ = _build(tmp_path)
    out = options.out
    data = load_dataset(out)  # what --valspec-dataset does, sha256 checked
    values = {i.id: i.value for i in data.items}
    assert values == {
        "climb": Value.STIMULATION,
        "jet": Value.POWER,
        "mom": Value.BENEVOLENCE,
        "trees": Value.UNIVERSALISM,
        "shore": Value.UNIVERSALISM,
    }
    rows = {r["id"]: r for r in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())}
    jet = rows["jet"]
    assert jet["file"] == "media/jet.png" and jet["kind"] == "image"
    assert jet["value_weights"]["power"] == 1.0 and jet["label"] == "retrieved"
    assert 0 < jet["confidence"] <= 1 and set(jet["similarity"]) == {v.value for v in Value}
    assert "yacht" in jet["keywords"] and jet["platform"] == "unknown"
    assert rows["climb"]["kind"] == "video"
    assert (out / "media" / "jet.png").read_bytes() == (options.src / "jet.png").read_bytes()
    dups = {r["id"]: r for r in _rows(out / "duplicates.csv")}
    assert dups["zz-jet-copy"]["how"] == "exact" and dups["zz-jet-copy"]["duplicate_of"] == "jet"
    assert dups["mom-small"]["how"] == "near" and dups["mom-small"]["duplicate_of"] == "mom"
    assert float(dups["mom-small"]["distance"]) <= PHASH_DISTANCE
    rejected = {r["file"]: r["reason"] for r in _rows(out / "rejected.csv")}
    assert set(rejected) == {"broken.mp4", "readme.pdf"}
    assert "cannot open video" in rejected["broken.mp4"]
    review = _rows(out / "review.csv")
    assert [r["id"] for r in review] == ["meh"] and "below" in review[0]["reason"]
    record = record_of(out)
    assert record["counts"] == {
        "source_items": 9,
        "rejected": 2,
        "exact_duplicates": 1,
        "near_duplicates": 1,
        "review": 1,
        "unselected": 0,
        "manifest": 5,
    }
    assert record["embedder"]["name"] == "bag-of-words (test double)"
    assert record["keywords"]["sha256"] == load_keywords().sha256
    assert record["retrieval"]["threshold"] == 0.15 and record["seed"] == 0


def test_same_inputs_give_the_same_files(tmp_path: Path) -> None:
    options, _ = _build(tmp_path)
    first = {p.name: p.read_bytes() for p in options.out.iterdir() if p.is_file()}
    build_dataset(BuildOptions(src=options.src, out=options.out, force=True), embedder=BagOfWords())
    again = {p.name: p.read_bytes() for p in options.out.iterdir() if p.is_file()}
    assert again == first


def test_per_value_balances_and_warns(tmp_path: Path) -> None:
    options, _ = _build(tmp_path, per_value=1, seed=3)
    data = load_dataset(options.out)
    assert sum(i.value is Value.UNIVERSALISM for i in data.items) == 1
    unselected = _rows(options.out / "unselected.csv")
    assert [r["value"] for r in unselected] == ["universalism"]
    warnings = record_of(options.out)["warnings"]
    assert "hedonism: no items" in warnings and record_of(options.out)["per_value"] == 1


def test_link_hard_links_media(tmp_path: Path) -> None:
    options, _ = _build(tmp_path, link=True)
    assert (options.out / "media" / "jet.png").samefile(options.src / "jet.png")
    assert record_of(options.out)["media"] == "hard links"


def test_given_values_are_kept_without_an_embedder(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    make_image(src / "a.png", 1)
    (src / "a.json").write_text(json.dumps({"caption": "zzz", "value": "Tradition"}))
    embedder = BagOfWords()
    build_dataset(BuildOptions(src=src, out=tmp_path / "out"), embedder=embedder)
    row = json.loads((tmp_path / "out" / "manifest.jsonl").read_text())
    assert (row["value"], row["label"], row["confidence"]) == ("tradition", "given", 1.0)
    assert embedder.calls == 0 and record_of(tmp_path / "out")["embedder"] is None


def test_refuses_to_overwrite_and_to_write_inside_the_source(tmp_path: Path) -> None:
    options, _ = _build(tmp_path)
    with pytest.raises(DataError, match="not empty; pass --force"):
        build_dataset(options, embedder=BagOfWords())
    (options.out / "mine.txt").write_text("keep me")
    with pytest.raises(DataError, match=r"also holds mine\.txt"):
        build_dataset(
            BuildOptions(src=options.src, out=options.out, force=True), embedder=BagOfWords()
        )
    with pytest.raises(DataError, match="must not be inside the source"):
        build_dataset(BuildOptions(src=options.src, out=options.src / "o"), embedder=BagOfWords())


def test_nothing_accepted_is_an_error_after_writing_the_lists(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    make_image(src / "a.png", 1)
    (src / "a.txt").write_text("zzz")
    with pytest.raises(DataError, match="no item reached the manifest"):
        build_dataset(BuildOptions(src=src, out=tmp_path / "out"), embedder=BagOfWords())
    assert len(_rows(tmp_path / "out" / "review.csv")) == 1


def test_the_suite_collects_the_built_dataset(tmp_path: Path) -> None:
    """--valspec-dataset accepts the folder as written (collection validates and groups it)."""
    options, _ = _build(tmp_path)
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(root / "tests" / "values"),
            "--model=sim",
            f"--valspec-dataset={options.out}",
            "--collect-only",
            "-q",
            "-p",
            "no:xdist",
        ],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_value_preference[power]" in result.stdout
    assert "test_value_preference[hedonism]" not in result.stdout


class _ColourClip(BagOfWords):
    """A test double for a CLIP-style embedder: a mostly red picture embeds like the words
    "yacht luxury", anything else like nature words; texts as BagOfWords."""

    def __init__(self) -> None:
        super().__init__()
        self.identity = {"name": "colour (test double)", "folder_sha256": "-", "library": "-"}
        self.pictures = 0

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        self.pictures += len(images)
        words = []
        for image in images:
            r, _, b = (float(c) for c in np.asarray(image, dtype=float).mean(axis=(0, 1)))
            words.append("yacht luxury" if r > b else "nature environment wildlife climate planet")
        return self.encode(words)


def test_an_image_embedder_labels_items_without_text(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for seed, (name, colour) in enumerate(
        {"red": (240, 0, 0), "blue": (0, 40, 240), "cyan": (0, 200, 240)}.items(), start=1
    ):
        _tinted(src / f"{name}.png", seed, colour)
    (src / "cyan.txt").write_text("Helping my mom, family support and love")
    images = _ColourClip()
    build_dataset(
        BuildOptions(src=src, out=tmp_path / "out"), embedder=BagOfWords(), image_embedder=images
    )
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "manifest.jsonl").open())}
    assert rows["red"]["value"] == "power" and rows["blue"]["value"] == "universalism"
    assert rows["cyan"]["value"] == "benevolence"  # text and picture averaged: text wins here
    assert images.pictures == 3
    assert record_of(tmp_path / "out")["image_embedder"]["name"] == "colour (test double)"
    with pytest.raises(DataError, match="no item reached the manifest"):  # text only: review
        build_dataset(
            BuildOptions(src=_only_pictures(tmp_path), out=tmp_path / "plain"),
            embedder=BagOfWords(),
        )


def _only_pictures(tmp_path: Path) -> Path:
    src = tmp_path / "pictures"
    src.mkdir()
    _tinted(src / "red.png", 1, (240, 0, 0))
    return src


def _tinted(path: Path, seed: int, colour: tuple[int, int, int]) -> None:
    """A drawing of random shapes (distinct pictures by seed) washed in one colour."""
    make_image(path, seed)
    with Image.open(path) as drawing:
        washed = Image.blend(drawing.convert("RGB"), Image.new("RGB", drawing.size, colour), 0.6)
    washed.save(path)
