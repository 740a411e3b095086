"""Frames into chat requests for HTTP adapters: JPEG data URLs, a cache, and the JSON body.

Messages carry placeholders where frames go (:func:`chat_messages`); the serialised body gets
the data URLs spliced in as bytes (:func:`splice_frames`), so the large base64 strings are
never run through the JSON encoder.

A persona run sends the same video frames once per condition, so the encoder keeps the
base64 JPEG of recently seen frames: every condition of an item then sends byte-identical
images (a serving engine's image and prefix caches hit) and each frame is encoded once. The
cache holds a reference to each frame it keys by ``id()``, so an id cannot be reused by
another image while it is cached; its budget counts those frames' pixels as well as their
data URLs, so it holds the frames of the few items in flight, not the whole run's.
"""

from __future__ import annotations

import base64
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from valspec.domain.messages import MediaPart, Message, TextPart

if TYPE_CHECKING:
    from PIL.Image import Image

DATA_URL_PREFIX = b"data:image/jpeg;base64,"


def encode_jpeg(image: Image, longest_side: int | None = None, quality: int = 90) -> bytes:
    """JPEG bytes of ``image`` in RGB, shrunk so its longest side is at most ``longest_side``.

    Never upscales: the engine already sized frames to the run's frame spec. The resizing and
    encoding are the media module's, so frames are prepared one way everywhere.
    """
    from valspec.data.media import encode_jpeg as jpeg_bytes
    from valspec.data.media import resize_longest

    frame = resize_longest(image, longest_side) if longest_side is not None else image
    return jpeg_bytes(frame, quality)


def jpeg_data_url(image: Image, longest_side: int | None = None, quality: int = 90) -> bytes:
    """``data:image/jpeg;base64,...`` for ``image``, as ASCII bytes (ready to splice into JSON)."""
    return DATA_URL_PREFIX + base64.b64encode(encode_jpeg(image, longest_side, quality))


class FrameEncoder:
    """Encodes frames to data URLs, remembering the most recent ones up to ``max_bytes``.

    Thread-safe: encoding runs outside the lock, so two threads may encode the same frame
    once each; the result is the same.
    """

    def __init__(
        self, longest_side: int | None = None, quality: int = 90, max_bytes: int = 32 << 20
    ) -> None:
        self.longest_side = longest_side
        self.quality = quality
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._cache: OrderedDict[int, tuple[Image, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def cached(self, image: Image) -> bytes | None:
        """The data URL of ``image`` if it is cached (no encoding), else None."""
        with self._lock:
            entry = self._cache.get(id(image))
            if entry is None or entry[0] is not image:
                return None
            self._cache.move_to_end(id(image))
            self.hits += 1
            return entry[1]

    def jpeg(self, image: Image) -> bytes:
        """The JPEG bytes of ``image`` as its data URL carries them (through the cache)."""
        return base64.b64decode(self.data_url(image)[len(DATA_URL_PREFIX) :])

    def data_url(self, image: Image) -> bytes:
        """The data URL of ``image``, from the cache or freshly encoded."""
        found = self.cached(image)
        if found is not None:
            return found
        url = jpeg_data_url(image, self.longest_side, self.quality)
        with self._lock:
            self.misses += 1
            cost = _cost(image, url)
            if cost <= self.max_bytes and id(image) not in self._cache:
                self._cache[id(image)] = (image, url)
                self._bytes += cost
                while self._bytes > self.max_bytes:
                    _, (dropped, dropped_url) = self._cache.popitem(last=False)
                    self._bytes -= _cost(dropped, dropped_url)
        return url


def _cost(image: Image, url: bytes) -> int:
    """What a cache entry keeps alive: the frame's pixels and its data URL."""
    width, height = image.size
    return width * height * len(image.getbands()) + len(url)


def frame_marker_re(marker: str) -> re.Pattern[bytes]:
    """Matches the JSON string ``"<marker>n<i>e"`` left where frame ``i``'s data URL goes."""
    return re.compile(b'"' + re.escape(marker.encode()) + rb'n(\d+)e"')


def frame_placeholder(marker: str, index: int) -> str:
    """The placeholder string for frame ``index`` (alphanumeric, so JSON leaves it alone)."""
    return f"{marker}n{index}e"


def splice_frames(json_text: str, marker: str, urls: Sequence[bytes]) -> bytes:
    """Replace each frame placeholder in serialised JSON with its data URL, as UTF-8 bytes.

    Base64 data URLs need no JSON escaping, so splicing them in saves serialising (and
    scanning) hundreds of kilobytes per request.
    """
    pieces = frame_marker_re(marker).split(json_text.encode())
    out: list[bytes] = [pieces[0]]
    for index in range(1, len(pieces), 2):
        out += [b'"', urls[int(pieces[index])], b'"', pieces[index + 1]]
    return b"".join(out)


def chat_messages(messages: Sequence[Message], frames: int, marker: str) -> list[dict[str, Any]]:
    """valspec messages as OpenAI chat messages; every MediaPart becomes the request's frames.

    Frames appear as placeholders that :func:`splice_frames` replaces with data URLs. Messages
    without media keep plain string content (what every server accepts). Frames given
    without any MediaPart go first in the last user message.
    """
    images = [
        {"type": "image_url", "image_url": {"url": frame_placeholder(marker, i)}}
        for i in range(frames)
    ]
    out: list[dict[str, Any]] = []
    placed = False
    for message in messages:
        if not images or not any(isinstance(p, MediaPart) for p in message.content):
            out.append({"role": message.role, "content": message.text})
            continue
        parts: list[dict[str, Any]] = []
        for part in message.content:
            if isinstance(part, TextPart):
                parts.append({"type": "text", "text": part.text})
            else:
                parts.extend(images)
                placed = True
        out.append({"role": message.role, "content": parts})
    if images and not placed:
        users = [m for m in out if m["role"] == "user"] or out
        if not users:
            out.append({"role": "user", "content": ""})
            users = out
        text = users[-1]["content"]
        users[-1]["content"] = [*images, {"type": "text", "text": text}]
    return out
