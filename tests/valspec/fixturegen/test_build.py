"""Building a small fixture set: determinism, decodable files, manifest contents."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from valspec.domain.values import CIRCLE_ORDER
from valspec.fixturegen.build import MANIFEST, build_fixtures, main
from valspec.fixturegen.catalogue import PLATFORMS, TOPICS

KEYS = [
    "id",
    "file",
    "kind",
    "platform",
    "value",
    "value_weights",
    "topic",
    "caption",
    "keywords",
    "sha256",
]
CLIP_KEYS = ["duration_s", "fps", "gop"]
SIZE_KEYS = ["width", "height"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same small set built twice: once through the API, once through the CLI."""
    first = tmp_path_factory.mktemp("first")
    stale = first / "power" / "power-99.jpg"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left over from a bigger build")
    (first / "power" / "notes.txt").write_text("not generated, must survive")
    build_fixtures(first, per_value=2, seed=0)
    second = tmp_path_factory.mktemp("second")
    steps: list[tuple[int, int]] = []
    assert (
        main(
            ["--out", str(second), "--per-value", "2", "--seed", "0"],
            progress=lambda *a: steps.append(a),
        )
        == 0
    )
    assert steps == [(done, 20) for done in range(1, 21)]  # the command's progress display
    return first, second


def _rows(folder: Path) -> list[dict[str, Any]]:
    text = (folder / MANIFEST).read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_two_builds_are_byte_identical(built: tuple[Path, Path]) -> None:
    first, second = built
    assert (first / MANIFEST).read_bytes() == (second / MANIFEST).read_bytes()
    for row in _rows(first):
        name = str(row["file"])
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_manifest_rows_have_keys_in_order_and_true_hashes(built: tuple[Path, Path]) -> None:
    folder = built[0]
    rows = _rows(folder)
    assert len(rows) == 20
    for row in rows:
        expected = KEYS + (CLIP_KEYS if row["kind"] == "video" else []) + SIZE_KEYS
        assert list(row) == expected
        data = (folder / str(row["file"])).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert row["platform"] in PLATFORMS
        assert row["topic"] in TOPICS
        weights = row["value_weights"]
        assert isinstance(weights, dict)
        assert weights[row["value"]] == 1.0
        assert all(0 < w <= 1 for w in weights.values())
        assert row["keywords"] and all(isinstance(k, str) for k in row["keywords"])
        assert "#" in str(row["caption"])
    order = [v.value for v in CIRCLE_ORDER]
    keys = [(order.index(str(r["value"])), str(r["id"])) for r in rows]
    assert keys == sorted(keys)
    for value in CIRCLE_ORDER:
        kinds = {r["kind"] for r in rows if r["value"] == value.value}
        assert kinds == {"video", "image"}, value


def test_stale_outputs_are_removed_and_other_files_kept(built: tuple[Path, Path]) -> None:
    folder = built[0]
    assert not (folder / "power" / "power-99.jpg").exists()
    assert (folder / "power" / "notes.txt").exists()


def test_clips_decode_as_vertical_h264_with_motion(built: tuple[Path, Path]) -> None:
    folder = built[0]
    clips = [r for r in _rows(folder) if r["kind"] == "video"]
    gops = set()
    for row in clips:
        with av.open(str(folder / str(row["file"]))) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert stream.codec_context.pix_fmt == "yuv420p"
            assert (stream.width, stream.height) == (row["width"], row["height"])
            assert stream.width * 16 == stream.height * 9
            keyframes = sum(1 for packet in container.demux(stream) if packet.is_keyframe)
            container.seek(0)
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
            assert stream.duration is not None and stream.time_base is not None
            duration = float(stream.duration * stream.time_base)
        assert 2.0 <= duration <= 4.0
        assert duration == pytest.approx(row["duration_s"])
        assert len(frames) == round(float(row["duration_s"]) * int(row["fps"]))
        gop = int(row["gop"])
        assert keyframes == math.ceil(len(frames) / gop)
        gops.add("dense" if gop == row["fps"] else "single")
        moved = np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean()
        assert moved > 1.0, f"{row['id']} barely moves"
    assert gops == {"dense", "single"}


def test_screenshots_are_jpeg_at_frame_size(built: tuple[Path, Path]) -> None:
    folder = built[0]
    for row in _rows(folder):
        if row["kind"] != "image":
            continue
        with Image.open(folder / str(row["file"])) as image:
            assert image.format == "JPEG"
            assert image.mode == "RGB"
            assert image.size == (row["width"], row["height"])
            pixels = np.asarray(image)
        assert pixels.std() > 20, "a drawn scene, not a flat fill"


def test_cli_rejects_a_non_positive_count(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path), "--per-value", "0"])
    assert exit_info.value.code == 2
    assert not (tmp_path / MANIFEST).exists()
