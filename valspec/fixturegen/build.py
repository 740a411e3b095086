"""Build the video fixture set: plan items per value, render them, write the manifest.

``build_fixtures`` is deterministic: the same ``per_value`` and ``seed`` give byte-identical
files with the same library versions (recorded in ``generator.json`` next to the manifest).
Every random choice comes from a ``random.Random`` seeded by (seed, value, index), so an
item does not depend on how many others are built.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.fixturegen.catalogue import CATALOGUE, PLATFORMS, Post
from valspec.fixturegen.figures import Style
from valspec.fixturegen.render import (
    HEIGHT,
    WIDTH,
    PostText,
    chrome_layer,
    render_frame,
    write_jpeg,
    write_mp4,
)
from valspec.fixturegen.scenes import SCENES

GENERATOR_VERSION = "1.1"
"""Bump when a change to the generator changes its output bytes."""

FPS = 12
DURATIONS_S: tuple[float, ...] = (2.5, 3.0, 3.5)
KIND_PATTERN: tuple[str, ...] = (
    "video",
    "image",
    "image",
    "video",
    "image",
    "image",
    "video",
    "image",
    "video",
    "image",
)
"""Kind of the first ten items of each value: 4 clips and 6 screenshots, one of each for the
first two, so small sets still hold both kinds. Items after the tenth are screenshots, as the
paper's 50,191 items were (1.1; 1.0 repeated the pattern): a set sized for the gate's power
stays small on disk."""

MANIFEST = "manifest.jsonl"
GENERATOR_FILE = "generator.json"

_HANDLE_A = (
    "sunny",
    "urban",
    "daily",
    "happy",
    "wild",
    "little",
    "real",
    "bright",
    "north",
    "quiet",
    "brave",
    "cozy",
)
_HANDLE_B = (
    "trails",
    "kitchen",
    "life",
    "moments",
    "studio",
    "journal",
    "diaries",
    "notes",
    "crew",
    "stories",
    "corner",
    "days",
)


@dataclass(frozen=True)
class ItemPlan:
    """Everything needed to render one item, decided before any drawing."""

    id: str
    value: Value
    kind: str
    platform: str
    post: Post
    caption: str
    style: Style
    text: PostText
    duration_s: float
    gop: int

    @property
    def file(self) -> str:
        """Path relative to the manifest's folder."""
        ext = "mp4" if self.kind == "video" else "jpg"
        return f"{self.value.value}/{self.id}.{ext}"

    @property
    def frame_count(self) -> int:
        """Frames in the clip (0 for a screenshot)."""
        return round(self.duration_s * FPS) if self.kind == "video" else 0


def _count(rng: random.Random) -> str:
    n = rng.randrange(120, 990_000)
    if n >= 10_000:
        return f"{n / 1000:.1f}K"
    return str(n)


def plan_items(per_value: int, seed: int) -> list[ItemPlan]:
    """Decide every item (kind, platform, post, caption, style) for ``per_value`` per value."""
    if per_value < 1:
        raise ValueError(f"per_value must be at least 1, got {per_value}")
    width = max(2, len(str(per_value)))
    plans: list[ItemPlan] = []
    for v_index, value in enumerate(CIRCLE_ORDER):
        posts = CATALOGUE[value]
        offset = random.Random(f"valspec-fixturegen:{seed}:{value}:platform").randrange(3)
        made = {"video": 0, "image": 0}
        for index in range(per_value):
            rng = random.Random(f"valspec-fixturegen:{seed}:{value}:{index}")
            post = posts[index % len(posts)]
            caption = post.captions[(index // len(posts)) % len(post.captions)]
            kind = KIND_PATTERN[index] if index < len(KIND_PATTERN) else "image"
            duration = rng.choice(DURATIONS_S)
            frames = round(duration * FPS)
            nth = made[kind]  # clips and screenshots each rotate through the platforms
            made[kind] += 1
            gop = 0
            if kind == "video":
                gop = FPS if (nth + v_index) % 2 == 0 else frames
            platform = PLATFORMS[(nth + offset + (kind == "image")) % len(PLATFORMS)]
            handle = f"@{rng.choice(_HANDLE_A)}.{rng.choice(_HANDLE_B)}{rng.randrange(10, 99)}"
            text = PostText(handle, caption, post.hashtags, _count(rng), _count(rng), _count(rng))
            plans.append(
                ItemPlan(
                    id=f"{value.value}-{index + 1:0{width}d}",
                    value=value,
                    kind=kind,
                    platform=platform,
                    post=post,
                    caption=caption,
                    style=Style.from_rng(rng),
                    text=text,
                    duration_s=frames / FPS,
                    gop=gop,
                )
            )
    return plans


def render_item(plan: ItemPlan, out_dir: Path) -> dict[str, object]:
    """Render one planned item into ``out_dir`` and return its manifest row."""
    scene = SCENES[plan.post.scene]
    layer, drawn_caption = chrome_layer(plan.platform, plan.text)
    path = out_dir / plan.file

    def frames() -> Iterator[Image.Image]:
        for i in range(plan.frame_count):
            yield render_frame(scene, plan.style, i / FPS, plan.platform, layer, plan.duration_s)

    if plan.kind == "video":
        write_mp4(frames(), path, FPS, plan.gop)
    else:
        still = render_frame(scene, plan.style, plan.style.still_t, plan.platform, layer, 3.0)
        write_jpeg(still, path)
    row: dict[str, object] = {
        "id": plan.id,
        "file": plan.file,
        "kind": plan.kind,
        "platform": plan.platform,
        "value": plan.value.value,
        "value_weights": plan.post.weights(plan.value),
        "topic": plan.post.topic,
        "caption": drawn_caption,
        "keywords": list(plan.post.keywords),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    if plan.kind == "video":
        row.update({"duration_s": plan.duration_s, "fps": FPS, "gop": plan.gop})
    row.update({"width": WIDTH, "height": HEIGHT})
    return row


def generator_info(out_dir: Path | None = None) -> dict[str, object]:
    """Versions that decide the output bytes: this generator, PyAV/FFmpeg, x264, Pillow."""
    import av
    import PIL
    from PIL import features

    info: dict[str, object] = {
        "generator": "valspec.fixturegen",
        "version": GENERATOR_VERSION,
        "av": av.__version__,
        "ffmpeg": av.ffmpeg_version_info,
        "pillow": PIL.__version__,
        "freetype": features.version("freetype2"),
        "libjpeg": features.version("jpg"),
        "libjpeg_turbo": features.version("libjpeg_turbo"),
    }
    if out_dir is not None:
        for clip in sorted(out_dir.glob("*/*.mp4"))[:1]:
            found = re.search(rb"x264 - core (\d+)", clip.read_bytes())
            info["x264_core"] = int(found.group(1)) if found else None
    return info


def _remove_stale(out_dir: Path, keep: set[str]) -> None:
    """Delete generated media in value folders that this build did not write."""
    pattern = re.compile(r"^[a-z-]+-\d+\.(mp4|jpg)$")
    for value in CIRCLE_ORDER:
        folder = out_dir / value.value
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            rel = f"{value.value}/{path.name}"
            if path.is_file() and pattern.match(path.name) and rel not in keep:
                path.unlink()


def write_manifest(rows: list[dict[str, object]], path: Path) -> None:
    """One JSON object per line, keys in manifest order, trailing newline."""
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )


def build_fixtures(
    out_dir: Path,
    *,
    per_value: int = 10,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, object]]:
    """Render ``per_value`` items per value into ``out_dir``; write manifest and generator info.

    Returns the manifest rows, sorted by value in circle order, then id. ``progress`` is told
    (done, total) after each item (the ``valspec fixtures build`` command shows it).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plans = plan_items(per_value, seed)
    rows = []
    for plan in plans:
        rows.append(render_item(plan, out_dir))
        if progress is not None:
            progress(len(rows), len(plans))
    order = {v.value: i for i, v in enumerate(CIRCLE_ORDER)}
    rows.sort(key=lambda r: (order[str(r["value"])], str(r["id"])))
    _remove_stale(out_dir, {str(r["file"]) for r in rows})
    write_manifest(rows, out_dir / MANIFEST)
    info = generator_info(out_dir) | {"per_value": per_value, "seed": seed}
    (out_dir / GENERATOR_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return rows


def main(argv: list[str] | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    """Command line: ``python -m valspec.fixturegen [--out DIR] [--per-value N] [--seed S]``."""
    parser = argparse.ArgumentParser(
        prog="valspec fixtures build",
        description="Render the deterministic short-video fixture set (clips and screenshots).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("fixtures/videos"),
        help="output folder (default: fixtures/videos)",
    )
    parser.add_argument(
        "--per-value",
        type=int,
        default=10,
        help="items per Schwartz value (default: 10; clips among the first 10, then screenshots)",
    )
    parser.add_argument("--seed", type=int, default=0, help="variation seed (default: 0)")
    args = parser.parse_args(argv)
    if args.per_value < 1:
        parser.error(f"--per-value must be at least 1, got {args.per_value}")
    rows = build_fixtures(args.out, per_value=args.per_value, seed=args.seed, progress=progress)
    clips = sum(1 for r in rows if r["kind"] == "video")
    size = sum((args.out / str(r["file"])).stat().st_size for r in rows)
    print(
        f"wrote {len(rows)} items ({clips} clips, {len(rows) - clips} screenshots, "
        f"{size / 1e6:.2f} MB) and {args.out / MANIFEST}",
        file=sys.stdout,
    )
    return 0
