"""`valspec dataset build` on real media: time, duplicates caught, labels against known values.

    python bench/dataset_build.py [--work /tmp/valspec-bench-build]
    python bench/dataset_build.py --pairs     # pHash size and threshold: copies vs distinct

Makes a source folder from the bundled fixture posts (fixtures/videos: 40 H.264 clips and 60
JPEG screenshots, each with its caption and platform as a JSON sidecar), adds two altered
copies of every screenshot (half size at JPEG quality 50; 15 % brighter), then runs the build
exactly as the command does (packaged MiniLM, PyAV decoding, pHash). Prints the wall time by
stage, the near duplicates found among the copies (should be all) and among the 100 distinct
posts (false merges), and how often the retrieved value equals the fixture's own label.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections import Counter
from pathlib import Path

from PIL import Image, ImageEnhance

from valspec.curation.build import BuildOptions, build_dataset
from valspec.curation.embed import load_embedder

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "videos"


def make_source(src: Path) -> dict[str, str]:
    """The fixture posts with sidecars plus altered copies; returns id -> fixture value."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    labels: dict[str, str] = {}
    for line in (FIXTURES / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        media = FIXTURES / row["file"]
        target = src / media.name
        shutil.copyfile(media, target)
        caption, _, tags = row["caption"].partition("#")
        sidecar = {
            "caption": caption.strip(),
            "hashtags": [t.strip() for t in ("#" + tags).split("#") if t.strip()],
            "platform": row["platform"],
        }
        target.with_suffix(".json").write_text(json.dumps(sidecar))
        labels[target.stem] = row["value"]
        if row["kind"] == "image":
            with Image.open(media) as im:
                rgb = im.convert("RGB")
                small = rgb.resize((rgb.width // 2, rgb.height // 2))
                small.save(src / f"{target.stem}~small.jpg", quality=50)
                ImageEnhance.Brightness(rgb).enhance(1.15).save(src / f"{target.stem}~bright.jpg")
            for copy in ("small", "bright"):
                (src / f"{target.stem}~{copy}.json").write_text(json.dumps(sidecar))
    return labels


def hash_pairs() -> None:
    """Copies caught vs distinct pairs merged, per hash size and threshold (screenshots only)."""
    import io

    import imagehash
    import numpy as np

    images = []
    for line in (FIXTURES / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["kind"] == "image":
            with Image.open(FIXTURES / row["file"]) as im:
                images.append(im.convert("RGB"))

    def copies(im: Image.Image) -> list[Image.Image]:
        buffer = io.BytesIO()
        im.resize((im.width // 2, im.height // 2)).save(buffer, "JPEG", quality=50)
        small = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
        return [small, ImageEnhance.Brightness(im).enhance(1.15)]

    for size, thresholds in ((8, (4, 8)), (16, (10, 16, 24))):
        hashes = [imagehash.phash(im, size) for im in images]
        distinct = np.array(
            [hashes[a] - hashes[b] for a in range(len(hashes)) for b in range(a + 1, len(hashes))]
        )
        moved = np.array(
            [
                hashes[k] - imagehash.phash(c, size)
                for k, im in enumerate(images)
                for c in copies(im)
            ]
        )
        for t in thresholds:
            print(
                f"pHash {size * size} bits <= {t}: "
                f"copies caught {(moved <= t).sum()}/{moved.size}, "
                f"distinct pairs merged {(distinct <= t).sum()}/{distinct.size}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("/tmp/valspec-bench-build"))
    parser.add_argument("--pairs", action="store_true", help="only the hash-threshold table")
    args = parser.parse_args()
    if args.pairs:
        hash_pairs()
        return
    labels = make_source(args.work / "src")
    n_media = sum(1 for p in (args.work / "src").iterdir() if p.suffix != ".json")

    started = time.perf_counter()
    embedder = load_embedder()
    load_s = time.perf_counter() - started
    stages: list[tuple[str, float]] = []
    last = time.perf_counter()

    def log(line: str) -> None:
        nonlocal last
        now = time.perf_counter()
        stages.append((line, now - last))
        last = now

    out = args.work / "out"
    started = time.perf_counter()
    summary = build_dataset(
        BuildOptions(src=args.work / "src", out=out, force=out.exists()),
        embedder=embedder,
        log=log,
    )
    total_s = time.perf_counter() - started
    print(f"source: {n_media} media files ({len(labels)} distinct posts + altered copies)")
    print(f"embedder load (packaged MiniLM, once per process): {load_s:.1f} s")
    print(f"build: {total_s:.1f} s total, {1000 * total_s / n_media:.0f} ms per media file")
    for line, took in stages:
        print(f"  {took:6.1f} s  up to: {line}")
    print(f"  {total_s - sum(t for _, t in stages):6.1f} s  labelling, media copies, files")
    print(f"counts: {summary.counts}")

    dups = [line.split(",") for line in (out / "duplicates.csv").read_text().splitlines()[1:]]
    copies = [d for d in dups if "~" in d[1]]  # the file column keeps the "~"
    false = [d for d in dups if "~" not in d[1]]
    print(
        f"near duplicates: {len(copies)} of {2 * 60} altered copies caught; "
        f"{len(false)} distinct posts merged wrongly"
        + (f" ({', '.join(f'{d[0]}~{d[2]} at {d[4]}' for d in false)})" if false else "")
    )
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    hits = Counter(r["value"] == labels[r["id"]] for r in rows if r["id"] in labels)
    print(
        f"retrieved value = fixture label: {hits[True]}/{hits[True] + hits[False]} "
        f"({100 * hits[True] / max(1, hits[True] + hits[False]):.0f} %) of the posts in the "
        f"manifest; {summary.counts['review']} sent to review"
    )


if __name__ == "__main__":
    main()
