"""The catalogue, the item plan, and the pieces of rendering that can be checked in isolation."""

from __future__ import annotations

import string
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from valspec.domain.values import CIRCLE_ORDER
from valspec.fixturegen.build import FPS, KIND_PATTERN, plan_items
from valspec.fixturegen.catalogue import CATALOGUE, PLATFORMS, TOPICS
from valspec.fixturegen.painter import Painter
from valspec.fixturegen.render import (
    HEIGHT,
    WIDTH,
    CaptionTooLongError,
    PostText,
    _yuv420p_frame,
    caption_lines,
    chrome_layer,
)
from valspec.fixturegen.scenes import SCENES

PRINTABLE = set(string.printable) - set("\t\n\r\x0b\x0c")


def test_catalogue_covers_every_value_with_two_scenes_and_all_topics() -> None:
    assert tuple(CATALOGUE) == CIRCLE_ORDER
    for value, posts in CATALOGUE.items():
        assert len({p.scene for p in posts}) >= 2, value
        for post in posts:
            assert post.scene in SCENES
            assert post.topic in TOPICS
            assert post.weights(value)[value.value] == 1.0
            assert value not in dict(post.secondary)
            assert len(post.captions) >= 2 and post.keywords
    assert {p.topic for posts in CATALOGUE.values() for p in posts} == set(TOPICS)
    used = {p.scene for posts in CATALOGUE.values() for p in posts}
    assert used == set(SCENES), "every scene is used and every used scene exists"


def test_caption_text_is_plain_ascii_the_builtin_font_can_draw() -> None:
    for posts in CATALOGUE.values():
        for post in posts:
            for text in (*post.captions, *post.hashtags):
                assert set(text) <= PRINTABLE, text
            assert all(tag.startswith("#") and len(tag) > 1 for tag in post.hashtags)


def test_every_caption_fits_in_two_lines_plus_two_of_hashtags() -> None:
    for posts in CATALOGUE.values():
        for post in posts:
            for caption in post.captions:
                text = PostText("@someone.here42", caption, post.hashtags, "1.2K", "34", "5")
                lines, tags = caption_lines(text)
                assert " ".join(lines) == caption
                assert " ".join(tags) == " ".join(post.hashtags)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_chrome_layer_reports_the_caption_as_drawn(platform: str) -> None:
    post = CATALOGUE[CIRCLE_ORDER[0]][0]
    text = PostText("@someone.here42", post.captions[0], post.hashtags, "1.2K", "34", "5")
    layer, drawn = chrome_layer(platform, text)
    assert layer.size == (WIDTH, HEIGHT) and layer.mode == "RGBA"
    assert drawn == f"{post.captions[0]} {' '.join(post.hashtags)}"
    alpha = np.asarray(layer)[..., 3]
    assert alpha[:, :150].max() == 255 and alpha[100:200, 20:150].max() == 0


def test_chrome_differs_per_platform_and_rejects_long_captions() -> None:
    text = PostText("@a.b12", "Short caption", ("#one", "#two"), "1", "2", "3")
    layers = [np.asarray(chrome_layer(p, text)[0]) for p in PLATFORMS]
    for i in range(len(layers)):
        for j in range(i + 1, len(layers)):
            assert np.abs(layers[i].astype(int) - layers[j].astype(int)).mean() > 2
    with pytest.raises(CaptionTooLongError):
        chrome_layer("tiktok", PostText("@a.b12", "word " * 40, ("#x",), "1", "2", "3"))
    with pytest.raises(ValueError, match="unknown platform"):
        chrome_layer("myspace", text)


@settings(max_examples=40, deadline=None)
@given(per_value=st.integers(1, 40), extra=st.integers(1, 20), seed=st.integers(0, 10_000))
def test_plan_is_prefix_stable_and_balanced(per_value: int, extra: int, seed: int) -> None:
    small = plan_items(per_value, seed)
    large = plan_items(per_value + extra, seed)
    assert len(small) == 10 * per_value
    assert len({p.id for p in small}) == len(small)
    by_value = {v: [p for p in large if p.value == v] for v in CIRCLE_ORDER}
    for value in CIRCLE_ORDER:
        mine = [p for p in small if p.value == value]
        assert mine == by_value[value][:per_value], "an item does not depend on the count"
        kinds = Counter(p.kind for p in mine)
        clips = sum(KIND_PATTERN[i] == "video" for i in range(min(per_value, 10)))
        assert kinds["video"] == clips  # after the tenth item, screenshots only
        if per_value >= 2:
            assert set(kinds) == {"video", "image"}
        if per_value >= 3:
            assert {p.platform for p in mine} == set(PLATFORMS)
        for p in mine:
            if p.kind == "video":
                assert 2.0 <= p.duration_s <= 4.0
                assert p.gop in (FPS, p.frame_count)
    gops = {p.gop == FPS for p in small if p.kind == "video"}
    assert gops == {True, False}


def test_plan_changes_with_the_seed_and_rejects_zero() -> None:
    a, b = plan_items(2, 0), plan_items(2, 1)
    assert [p.style for p in a] != [p.style for p in b]
    with pytest.raises(ValueError, match="at least 1"):
        plan_items(0, 0)


@pytest.mark.parametrize(
    ("rgb", "yuv"),
    [
        ((255, 255, 255), (235, 128, 128)),
        ((0, 0, 0), (16, 128, 128)),
        ((255, 0, 0), (82, 90, 240)),
        ((0, 0, 255), (41, 240, 110)),
    ],
)
def test_yuv_conversion_is_bt601_limited_range_with_filled_padding(
    rgb: tuple[int, int, int], yuv: tuple[int, int, int]
) -> None:
    frame = _yuv420p_frame(Image.new("RGB", (WIDTH, HEIGHT), rgb))
    for plane, expected in zip(frame.planes, yuv, strict=True):
        data = np.frombuffer(bytes(plane), dtype=np.uint8)
        assert data.size == plane.line_size * plane.height
        assert set(np.unique(data).tolist()) == {expected}


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=12), min_size=1, max_size=20
    ),
    width=st.floats(30, 200),
)
def test_wrap_keeps_words_in_order_and_lines_within_width(words: list[str], width: float) -> None:
    painter = Painter(WIDTH, HEIGHT, 2)
    lines = painter.wrap(" ".join(words), 10, width)
    assert " ".join(lines).split() == words
    for line in lines:
        assert " " not in line or painter.text_width(line, 10) <= width
