from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from valspec.curation.hygiene import PHASH_DISTANCE, NearDuplicateIndex, balance, phash
from valspec.data.media import FrameSpec, load_frames
from valspec.domain.values import CIRCLE_ORDER, Value

from .conftest import make_clip, make_image


def _reencoded(image: Image.Image, *, scale: float, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    size = (int(image.width * scale), int(image.height * scale))
    image.resize(size).save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def test_resized_recompressed_copy_is_near_and_other_pictures_are_not(tmp_path: Path) -> None:
    original = Image.open(make_image(tmp_path / "a.png", 1)).convert("RGB")
    index = NearDuplicateIndex()
    assert index.check_and_add("a", "image", [phash(original)]) is None
    copy = _reencoded(original, scale=0.5, quality=40)
    dup = index.check_and_add("a-small", "image", [phash(copy)])
    assert dup is not None and (dup.duplicate_of, dup.how) == ("a", "near")
    assert dup.distance <= PHASH_DISTANCE
    for seed in range(2, 12):
        other = Image.open(make_image(tmp_path / f"{seed}.png", seed)).convert("RGB")
        assert index.check_and_add(f"o{seed}", "image", [phash(other)]) is None


def test_clips_compare_aligned_frames_and_never_images(tmp_path: Path) -> None:
    spec = FrameSpec(frames=4, longest_side=256)
    a = [phash(f) for f in load_frames(make_clip(tmp_path / "a.mp4", 1), "video", spec)]
    smaller = make_clip(tmp_path / "b.mp4", 1, size=(48, 72))  # the same clip, re-encoded smaller
    same = [phash(f) for f in load_frames(smaller, "video", spec)]
    other = [phash(f) for f in load_frames(make_clip(tmp_path / "c.mp4", 2), "video", spec)]
    index = NearDuplicateIndex()
    assert index.check_and_add("a", "video", a) is None
    assert index.check_and_add("img", "image", a[:1]) is None  # an image is not a clip
    assert index.check_and_add("c", "video", other) is None
    dup = index.check_and_add("b", "video", same)
    assert dup is not None and dup.duplicate_of == "a"


def test_distance_zero_keeps_everything_that_differs(tmp_path: Path) -> None:
    original = Image.open(make_image(tmp_path / "a.png", 1)).convert("RGB")
    index = NearDuplicateIndex(max_distance=0)
    index.check_and_add("a", "image", [phash(original)])
    flipped = original.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert index.check_and_add("flip", "image", [phash(flipped)]) is None


def _items(spec: list[tuple[Value, str, int]]) -> list[tuple[str, Value, str]]:
    return [(f"{v.value}-{p}-{i}", v, p) for v, p, n in spec for i in range(n)]


def test_balance_spreads_platforms_and_reports_short_values() -> None:
    items = _items(
        [
            (Value.POWER, "tiktok", 10),
            (Value.POWER, "youtube_shorts", 2),
            (Value.POWER, "unknown", 10),
            (Value.HEDONISM, "tiktok", 3),
        ]
    )
    chosen = balance(items, 6, seed=0)
    by_platform = Counter(i.split("-")[1] for i in chosen.kept if i.startswith("power"))
    assert by_platform == {"tiktok": 2, "youtube_shorts": 2, "unknown": 2}
    assert chosen.short == {Value.HEDONISM: 3}
    assert sum(i.startswith("hedonism") for i in chosen.kept) == 3
    assert balance(items, 6, seed=0) == chosen
    assert balance(items, 6, seed=1).kept != chosen.kept


def test_balance_rejects_a_zero_quota() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        balance([], 0)


@given(
    counts=st.lists(st.integers(0, 12), min_size=10, max_size=10),
    per_value=st.integers(1, 8),
    seed=st.integers(0, 3),
)
def test_balance_invariants(counts: list[int], per_value: int, seed: int) -> None:
    platforms = ["tiktok", "unknown"]
    items = [
        (f"{v.value}-{i}", v, platforms[i % 2])
        for v, n in zip(CIRCLE_ORDER, counts, strict=True)
        for i in range(n)
    ]
    chosen = balance(items, per_value, seed=seed)
    assert sorted(chosen.kept + chosen.left_out) == sorted(i for i, _, _ in items)
    kept = Counter(v for i, v, _ in items if i in set(chosen.kept))
    for v, n in zip(CIRCLE_ORDER, counts, strict=True):
        assert kept[v] == min(n, per_value)
        assert (v in chosen.short) == (0 < n < per_value)
