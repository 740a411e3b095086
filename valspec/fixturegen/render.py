"""Post chrome per platform, caption overlay, and writing frames as JPEG or H.264 MP4.

A post frame is a scene with the platform's interface drawn on top: top bar, the right-hand
action column, user name, caption, hashtags, sound line and bottom navigation, in the
colours of TikTok, YouTube Shorts or Instagram Reels. The static chrome is drawn once per
post as an RGBA layer; only the progress bar and the spinning disc change per frame.
Every encoder setting is pinned so the same frames give byte-identical files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from valspec.fixturegen.figures import Style
from valspec.fixturegen.painter import RGB, RGBA, WHITE, Color, Painter
from valspec.fixturegen.scenes import Scene

if TYPE_CHECKING:
    import av

WIDTH, HEIGHT, SCALE = 216, 384, 2
"""Output frame size (9:16) and the supersampling factor frames are drawn at."""

JPEG_QUALITY = 85
X264_PRESET = "veryfast"
X264_CRF = 26

CAPTION_SIZE = 10.0
TAG_SIZE = 9.5
TEXT_LEFT = 10.0
TEXT_WIDTH = 150.0
NAV_TOP = 354.0
SHADOW: RGBA = (0, 0, 0, 110)
CLEAR: RGBA = (0, 0, 0, 0)

TIKTOK_CYAN: RGB = (37, 244, 238)
TIKTOK_RED: RGB = (254, 44, 85)
YOUTUBE_RED: RGB = (255, 0, 0)
INSTA_PINK: RGB = (225, 48, 108)
INSTA_ORANGE: RGB = (247, 119, 55)
INSTA_PURPLE: RGB = (131, 58, 180)


@dataclass(frozen=True)
class PostText:
    """The words on a post: who posted it, the caption, hashtags and engagement counts."""

    username: str
    caption: str
    hashtags: tuple[str, ...]
    likes: str
    comments: str
    shares: str


class CaptionTooLongError(ValueError):
    """A caption or hashtag line that would not fit the caption area of the frame."""


Icon = Callable[[Painter, float, float, Color], None]


# -- icons (drawn twice: a soft shadow, then the icon, so they read on any scene) ----------
def _shadowed(p: Painter, icon: Icon, x: float, y: float, color: Color = WHITE) -> None:
    icon(p, x + 0.8, y + 0.8, SHADOW)
    icon(p, x, y, color)


def _heart(p: Painter, x: float, y: float, c: Color) -> None:
    r = 8.0
    p.circle(x - r / 2, y - r / 4, r / 2, c)
    p.circle(x + r / 2, y - r / 4, r / 2, c)
    p.polygon([(x - r, y - r / 8), (x + r, y - r / 8), (x, y + r)], c)


def _heart_outline(p: Painter, x: float, y: float, c: Color) -> None:
    _heart(p, x, y, c)
    if c != SHADOW:
        r = 5.6
        p.circle(x - r / 2, y - r / 4 + 0.3, r / 2, CLEAR)
        p.circle(x + r / 2, y - r / 4 + 0.3, r / 2, CLEAR)
        p.polygon([(x - r, y), (x + r, y), (x, y + r)], CLEAR)


def _bubble(p: Painter, x: float, y: float, c: Color) -> None:
    p.ellipse((x - 9, y - 7, x + 9, y + 6), c)
    p.polygon([(x - 6, y + 3), (x - 9, y + 10), (x - 1, y + 5)], c)
    if c != SHADOW:
        for dx in (-4, 0, 4):
            p.circle(x + dx, y - 0.5, 1.1, (60, 60, 60))


def _bubble_outline(p: Painter, x: float, y: float, c: Color) -> None:
    _bubble(p, x, y, c)
    if c != SHADOW:
        p.ellipse((x - 7, y - 5, x + 7, y + 4), CLEAR)


def _share_arrow(p: Painter, x: float, y: float, c: Color) -> None:
    p.polygon(
        [
            (x + 9, y - 1),
            (x + 1, y - 9),
            (x + 1, y - 5),
            (x - 9, y - 4),
            (x - 9, y + 8),
            (x - 4, y + 2),
            (x + 1, y + 3),
            (x + 1, y + 7),
        ],
        c,
    )


def _bookmark(p: Painter, x: float, y: float, c: Color) -> None:
    p.polygon([(x - 6, y - 8), (x + 6, y - 8), (x + 6, y + 8), (x, y + 3), (x - 6, y + 8)], c)


def _thumb(p: Painter, x: float, y: float, c: Color, down: bool = False) -> None:
    s = -1 if down else 1
    p.rect((x - 8, y - 1 * s, x - 4, y + 8 * s), c, radius=1)
    p.rect((x - 3, y - 2 * s, x + 8, y + 8 * s), c, radius=2)
    p.polygon([(x - 3, y - 1 * s), (x + 1, y - 9 * s), (x + 4, y - 8 * s), (x + 3, y - 1 * s)], c)


def _thumb_down(p: Painter, x: float, y: float, c: Color) -> None:
    _thumb(p, x, y, c, down=True)


def _plane(p: Painter, x: float, y: float, c: Color) -> None:
    p.polygon([(x - 9, y - 6), (x + 9, y - 8), (x, y + 9), (x - 2, y)], c)
    if c != SHADOW:
        p.polygon([(x - 5, y - 4.5), (x + 5, y - 6), (x - 0.5, y + 4), (x - 1.5, y - 0.5)], CLEAR)


def _dots(p: Painter, x: float, y: float, c: Color) -> None:
    for dy in (-6, 0, 6):
        p.circle(x, y + dy, 1.8, c)


def _remix(p: Painter, x: float, y: float, c: Color) -> None:
    p.arc((x - 8, y - 8, x + 8, y + 8), 30, 330, c, 2.2)
    p.polygon([(x + 5, y - 9), (x + 10, y - 3), (x + 3, y - 3)], c)


def _note(p: Painter, x: float, y: float, c: Color) -> None:
    p.circle(x - 2, y + 3, 2.2, c)
    p.line([(x, y + 3), (x, y - 5), (x + 4, y - 3)], c, 1.1)


def _counted(p: Painter, icon: Icon, x: float, y: float, label: str) -> None:
    _shadowed(p, icon, x, y)
    p.text((x, y + 15), label, 6.5, WHITE, stroke=0.6, stroke_fill=SHADOW)


# -- caption block shared by all platforms -------------------------------------------------
def caption_lines(text: PostText) -> tuple[list[str], list[str]]:
    """The caption and hashtag lines as they will be drawn (at most two of each).

    Raises :class:`CaptionTooLongError` when either needs more than two lines.
    """
    measure = Painter(1, 1, SCALE)
    caption = measure.wrap(text.caption, CAPTION_SIZE, TEXT_WIDTH)
    tags = measure.wrap(" ".join(text.hashtags), TAG_SIZE, TEXT_WIDTH)
    if len(caption) > 2 or len(tags) > 2:
        raise CaptionTooLongError(
            f"caption {text.caption!r} or its hashtags need more than two lines of "
            f"{TEXT_WIDTH:.0f} px at the fixture font size"
        )
    return caption, tags


def _caption_block(p: Painter, text: PostText, bottom: float) -> tuple[str, float]:
    """Draw caption and hashtags upward from ``bottom``; return the drawn text and its top."""
    wrapped, tag_lines = caption_lines(text)
    y = bottom
    for line in reversed(tag_lines):
        p.text((TEXT_LEFT, y), line, TAG_SIZE, (235, 235, 235), "ls", 0.6, SHADOW)
        y -= 12
    for line in reversed(wrapped):
        p.text((TEXT_LEFT, y), line, CAPTION_SIZE, WHITE, "ls", 0.7, SHADOW)
        y -= 13
    return " ".join(wrapped + tag_lines), y


def _scrim(p: Painter, top: float) -> None:
    p.vgradient((0, top, WIDTH, NAV_TOP), (0, 0, 0, 0), (0, 0, 0, 175))


# -- platform chrome -------------------------------------------------------------------------
def _tiktok(p: Painter, text: PostText) -> str:
    p.vgradient((0, 0, WIDTH, 34), (0, 0, 0, 130), (0, 0, 0, 0))
    p.text((80, 17), "Following", 8.5, (210, 210, 210), stroke=0.5, stroke_fill=SHADOW)
    p.text((138, 17), "For You", 9.5, WHITE, stroke=0.5, stroke_fill=SHADOW)
    p.rect((128, 26, 148, 27.5), WHITE)
    p.label((8, 11, 28, 23), "LIVE", (254, 44, 85, 255), size=6.5)
    p.circle(198, 16, 5, outline=WHITE, width=1.6)
    p.line([(201.5, 19.5), (206, 24)], WHITE, 1.8)
    _scrim(p, 236)
    x = 196.0
    p.circle(x, 160, 12, WHITE)
    p.circle(x, 160, 10.5, (90, 90, 110))
    p.text((x, 161), text.username[1:3].upper(), 8, WHITE)
    p.circle(x, 172, 5, TIKTOK_RED)
    p.text((x, 171.5), "+", 8, WHITE)
    _counted(p, _heart, x, 198, text.likes)
    _counted(p, _bubble, x, 232, text.comments)
    _counted(p, _bookmark, x, 266, text.shares)
    _counted(p, _share_arrow, x, 300, "Share")
    drawn, top = _caption_block(p, text, 334)
    p.text((TEXT_LEFT, top), text.username, 10, WHITE, "ls", 0.7, SHADOW)
    _note(p, TEXT_LEFT + 3, 344, WHITE)
    p.text((TEXT_LEFT + 10, 347), f"original sound - {text.username[1:]}", 7, WHITE, "ls")
    p.rect((0, NAV_TOP, WIDTH, HEIGHT), (0, 0, 0, 255))
    for i, label in enumerate(("Home", "Friends", "", "Inbox", "Profile")):
        cx = 22 + i * 43
        if label:
            p.text((cx, 375), label, 6.5, WHITE if i == 0 else (170, 170, 170))
            p.rect((cx - 5, 358, cx + 5, 367), WHITE if i == 0 else (170, 170, 170), radius=2)
        else:
            p.rect((cx - 15, 360, cx + 11, 378), TIKTOK_CYAN, radius=5)
            p.rect((cx - 11, 360, cx + 15, 378), TIKTOK_RED, radius=5)
            p.rect((cx - 13, 360, cx + 13, 378), WHITE, radius=5)
            p.text((cx, 368.5), "+", 14, (0, 0, 0))
    return drawn


def _youtube(p: Painter, text: PostText) -> str:
    p.vgradient((0, 0, WIDTH, 34), (0, 0, 0, 130), (0, 0, 0, 0))
    p.rect((8, 9, 24, 23), YOUTUBE_RED, radius=4)
    p.polygon([(14, 12.5), (20, 16), (14, 19.5)], WHITE)
    p.text((28, 16.5), "Shorts", 10, WHITE, "lm", 0.6, SHADOW)
    p.circle(178, 15, 5, outline=WHITE, width=1.6)
    p.line([(181.5, 18.5), (186, 23)], WHITE, 1.8)
    _dots(p, 204, 16, WHITE)
    _scrim(p, 230)
    x = 194.0
    _counted(p, _thumb, x, 168, text.likes)
    _counted(p, _thumb_down, x, 202, "Dislike")
    _counted(p, _bubble, x, 236, text.comments)
    _counted(p, _share_arrow, x, 270, "Share")
    _counted(p, _remix, x, 304, "Remix")
    p.rect((x - 9, 326, x + 9, 344), (60, 60, 70), WHITE, 1.5, radius=3)
    drawn, top = _caption_block(p, text, 342)
    y = top - 6
    p.circle(TEXT_LEFT + 7, y, 7, (90, 90, 110))
    p.text((TEXT_LEFT + 7, y + 0.5), text.username[1:2].upper(), 7, WHITE)
    p.text((TEXT_LEFT + 18, y + 0.5), text.username, 8.5, WHITE, "lm", 0.6, SHADOW)
    sx = TEXT_LEFT + 22 + p.text_width(text.username, 8.5)
    p.label((sx, y - 7, sx + 44, y + 7), "Subscribe", YOUTUBE_RED, size=7, radius=7)
    p.rect((0, NAV_TOP, WIDTH, HEIGHT), (15, 15, 15, 255))
    for i, label in enumerate(("Home", "Shorts", "", "Subs", "You")):
        cx = 22 + i * 43
        if label:
            p.text((cx, 376), label, 6.5, WHITE)
            p.rect((cx - 5, 358, cx + 5, 367), WHITE if i == 1 else (200, 200, 200), radius=2)
        else:
            p.circle(cx, 368, 10, outline=WHITE, width=1.5)
            p.text((cx, 367.5), "+", 13, WHITE)
    return drawn


def _instagram(p: Painter, text: PostText) -> str:
    p.vgradient((0, 0, WIDTH, 34), (0, 0, 0, 130), (0, 0, 0, 0))
    p.text((10, 17), "Reels", 12, WHITE, "lm", 0.6, SHADOW)
    p.rect((190, 9, 208, 23), outline=WHITE, width=1.6, radius=4)
    p.circle(199, 16, 3.5, outline=WHITE, width=1.5)
    _scrim(p, 232)
    x = 196.0
    _counted(p, _heart_outline, x, 178, text.likes)
    _counted(p, _bubble_outline, x, 212, text.comments)
    _counted(p, _plane, x, 246, text.shares)
    _shadowed(p, _dots, x, 282)
    p.rect((x - 9, 306, x + 9, 324), INSTA_ORANGE, radius=4)
    p.rect((x - 7, 308, x + 7, 322), INSTA_PURPLE, radius=3)
    drawn, top = _caption_block(p, text, 334)
    y = top - 6
    p.circle(TEXT_LEFT + 7, y, 8, INSTA_PINK)
    p.circle(TEXT_LEFT + 7, y, 6.5, INSTA_ORANGE)
    p.circle(TEXT_LEFT + 7, y, 5.5, (90, 90, 110))
    p.text((TEXT_LEFT + 19, y + 0.5), text.username[1:], 8.5, WHITE, "lm", 0.6, SHADOW)
    fx = TEXT_LEFT + 24 + p.text_width(text.username[1:], 8.5)
    p.rect((fx, y - 7, fx + 32, y + 7), outline=WHITE, width=1, radius=4)
    p.text((fx + 16, y + 0.5), "Follow", 7, WHITE)
    _note(p, TEXT_LEFT + 3, 344, WHITE)
    p.text((TEXT_LEFT + 10, 347), f"{text.username[1:]} - Original audio", 7, WHITE, "ls")
    p.rect((0, NAV_TOP, WIDTH, HEIGHT), (255, 255, 255, 255))
    ink: RGB = (20, 20, 20)
    centres = [22 + i * 43 for i in range(5)]
    p.polygon(
        [
            (centres[0] - 7, 368),
            (centres[0], 361),
            (centres[0] + 7, 368),
            (centres[0] + 7, 376),
            (centres[0] - 7, 376),
        ],
        ink,
    )
    p.circle(centres[1] - 1, 367, 5, outline=ink, width=1.6)
    p.line([(centres[1] + 2.5, 370.5), (centres[1] + 6, 374)], ink, 1.8)
    p.rect((centres[2] - 8, 361, centres[2] + 8, 377), outline=ink, width=1.6, radius=4)
    p.text((centres[2], 368.5), "+", 12, ink)
    p.rect((centres[3] - 8, 361, centres[3] + 8, 377), outline=ink, width=1.6, radius=4)
    p.polygon([(centres[3] - 2, 365), (centres[3] + 4, 369), (centres[3] - 2, 373)], ink)
    p.circle(centres[4], 369, 8, INSTA_PINK)
    p.circle(centres[4], 369, 6.5, (150, 150, 160))
    return drawn


_CHROME: dict[str, Callable[[Painter, PostText], str]] = {
    "tiktok": _tiktok,
    "youtube_shorts": _youtube,
    "instagram_reels": _instagram,
}


def chrome_layer(platform: str, text: PostText) -> tuple[Image.Image, str]:
    """The static interface of ``platform`` as an RGBA layer at frame size (drawn
    supersampled), and the caption exactly as drawn (caption lines, then hashtag lines)."""
    if platform not in _CHROME:
        raise ValueError(f"unknown platform {platform!r}; expected one of {sorted(_CHROME)}")
    p = Painter(WIDTH, HEIGHT, SCALE, background=CLEAR)
    drawn = _CHROME[platform](p, text)
    return p.image.resize((WIDTH, HEIGHT), Image.Resampling.BOX), drawn


def _dynamic_chrome(p: Painter, platform: str, t: float, duration: float) -> None:
    """The parts that move: YouTube's red progress bar, TikTok's spinning sound disc."""
    progress = min(1.0, max(0.0, t / duration))
    if platform == "youtube_shorts":
        p.rect((0, NAV_TOP - 2, WIDTH, NAV_TOP), (120, 120, 120))
        p.rect((0, NAV_TOP - 2, WIDTH * progress, NAV_TOP), YOUTUBE_RED)
        p.circle(WIDTH * progress, NAV_TOP - 1, 2.5, YOUTUBE_RED)
    elif platform == "tiktok":
        cx, cy = 196.0, 334.0
        p.circle(cx, cy, 10, (30, 30, 30))
        p.circle(cx, cy, 4, (200, 120, 60))
        a = t * 3.0
        p.line(
            [
                (cx + math.cos(a) * 5, cy + math.sin(a) * 5),
                (cx + math.cos(a) * 9, cy + math.sin(a) * 9),
            ],
            (90, 90, 90),
            1.2,
        )
        p.rect((0, NAV_TOP - 1.5, WIDTH, NAV_TOP), (90, 90, 90))
        p.rect((0, NAV_TOP - 1.5, WIDTH * progress, NAV_TOP), (230, 230, 230))


def render_frame(
    scene: Scene,
    style: Style,
    t: float,
    platform: str,
    layer: Image.Image,
    duration: float,
) -> Image.Image:
    """One finished frame at base size: the scene at time ``t`` under the post chrome."""
    p = Painter(WIDTH, HEIGHT, SCALE)
    scene(p, t, style)
    frame = p.result()
    frame.paste(layer, (0, 0), layer)
    _dynamic_chrome(Painter.on(frame), platform, t, duration)
    return frame


# -- writing files ----------------------------------------------------------------------------
def write_jpeg(image: Image.Image, path: Path) -> None:
    """Save a screenshot as baseline JPEG with pinned quality and no metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=JPEG_QUALITY, subsampling=2, optimize=False, progressive=False)


def _yuv420p_frame(image: Image.Image) -> av.VideoFrame:
    """Convert RGB to a yuv420p frame with integer BT.601 (limited range) arithmetic.

    Done here rather than by swscale so the result is bit-exact on every CPU, and every
    byte of each plane, line padding included, is set (the encoder must never see
    uninitialised memory).
    """
    import av

    rgb = np.asarray(image.convert("RGB")).astype(np.uint16)  # 16 bits hold every sum
    h, w, _ = rgb.shape
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
    quad = rgb[0::2, 0::2] + rgb[1::2, 0::2] + rgb[0::2, 1::2] + rgb[1::2, 1::2]
    avg = ((quad + 2) >> 2).astype(np.int16)
    r2, g2, b2 = avg[..., 0], avg[..., 1], avg[..., 2]
    u = ((-38 * r2 - 74 * g2 + 112 * b2 + 128) >> 8) + 128
    v = ((112 * r2 - 94 * g2 - 18 * b2 + 128) >> 8) + 128
    frame = av.VideoFrame(w, h, "yuv420p")
    for plane, data in zip(frame.planes, (y, u, v), strict=True):
        padded = np.empty((plane.height, plane.line_size), dtype=np.uint8)
        padded[:, : data.shape[1]] = data
        padded[:, data.shape[1] :] = data[:, -1:]
        plane.update(padded.tobytes())
    return frame


def write_mp4(frames: Iterable[Image.Image], path: Path, fps: int, gop: int) -> int:
    """Encode frames as H.264 (libx264, yuv420p) in MP4 with every option pinned.

    ``gop`` is the keyframe interval: a keyframe every ``gop`` frames and no scene-cut
    keyframes, so a clip has exactly ``ceil(n / gop)`` keyframes. x264 runs single-threaded
    and without its assembly (``asm=0``): its AVX-512 code paths gave different bytes from
    run to run on the same machine. Returns the frame count.
    """
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream(
            "h264",
            rate=fps,
            options={
                "preset": X264_PRESET,
                "crf": str(X264_CRF),
                "x264-params": (f"keyint={gop}:min-keyint={gop}:scenecut=0:threads=1:asm=0"),
            },
        )
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.thread_count = 1
        stream.codec_context.gop_size = gop
        stream.time_base = Fraction(1, fps)
        for image in frames:
            frame = _yuv420p_frame(image)
            frame.pts = count
            container.mux(stream.encode(frame))
            count += 1
        container.mux(stream.encode(None))
    return count
