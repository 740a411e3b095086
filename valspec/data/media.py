"""Read screenshots and sample frames from short clips, as RGB PIL images of a bounded size.

Video frames are chosen by time: the centres of ``n`` equal segments of the clip, each mapped
to the decoded frame nearest to it. Two decoding paths give the same frames: *seek* (jump to
the keyframe before each target, cheap when keyframes are dense) and *scan* (one forward pass,
cheap when they are sparse); :func:`choose_strategy` picks one from the keyframe layout, which
:func:`probe_video` reads by demuxing packets, without decoding. Every unreadable file becomes
a one-line :class:`~valspec.domain.errors.MediaError` naming the path, so a run counts it per item.
"""

from __future__ import annotations

import bisect
import io
import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import av
import av.error
import av.stream
from PIL import Image, ImageOps, UnidentifiedImageError

from valspec.domain.errors import DataError, MediaError

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

Strategy = Literal["seek", "scan"]

#: Changes whenever sampling, rotation or resizing changes, so cached answers are not reused.
SAMPLER_VERSION = "centres-nearest/1;rotate;area"

#: A seek (demuxer jump + decoder flush + keyframe decode) costs about as much as decoding
#: this many ordinary frames: 2 to 6 measured with ``bench/media_decode.py`` on 2 busy cores.
SEEK_OVERHEAD_FRAMES = 4.0

#: Seek only when the plan decodes clearly less than one forward pass (seeks carry more risk).
SEEK_ADVANTAGE = 0.8

#: A container whose packets span less than this share of its declared duration is truncated.
TRUNCATED_SPAN_SHARE = 0.5

#: Decoder threading. Frame threads ("AUTO") showed no reliable gain over PyAV's default slice
#: threading for 8-frame samples on 2 shared cores (bench/media_decode.py), so the default stays.
DECODE_THREAD_TYPE: Literal["SLICE", "AUTO"] = "SLICE"

#: FFmpeg decoder threads per clip (0: FFmpeg's default). ``VALSPEC_FFMPEG_THREADS=1`` leaves
#: the parallelism to the engine's decode pool (bench/decode_pool.py measures it that way).
DECODE_THREADS = int(os.environ.get("VALSPEC_FFMPEG_THREADS", "0") or 0)

_RESAMPLE = Image.Resampling.BICUBIC
_EXIF_ORIENTATION = 0x0112  # EXIF tag: how the camera was held

#: What PyAV raises for unreadable input (FFmpegError covers its whole family).
_DECODE_ERRORS: tuple[type[BaseException], ...] = (av.error.FFmpegError, OSError, EOFError)


@dataclass(frozen=True)
class FrameSpec:
    """How many frames to take from a clip and how large they may be (part of cache keys)."""

    frames: int = 4
    longest_side: int = 512

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise ValueError(f"FrameSpec.frames must be >= 1, got {self.frames}")
        if self.longest_side < 1:
            raise ValueError(f"FrameSpec.longest_side must be >= 1, got {self.longest_side}")

    def identity(self) -> dict[str, int | str]:
        """What identifies the frames this spec produces, for cache keys and snapshots."""
        return {
            "sampler": SAMPLER_VERSION,
            "frames": self.frames,
            "longest_side": self.longest_side,
        }


@dataclass(frozen=True)
class VideoInfo:
    """A clip's video stream as seen by demuxing its packets (no decoding).

    ``width`` and ``height`` are the coded size, before any display rotation.
    """

    duration_s: float
    fps: float
    width: int
    height: int
    frame_count: int
    keyframe_times: tuple[float, ...]  # seconds from the first frame, ascending
    # Timeline details the decoder needs; not part of the public description.
    time_base: Fraction = field(default=Fraction(1, 1), repr=False)
    start_pts: int = field(default=0, repr=False)
    keyframe_pts: tuple[int, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class VideoSample:
    """Frames sampled from one clip, with the time each was taken at and the path used."""

    frames: list[Image.Image]
    times_s: list[float]  # each frame's own timestamp, seconds from the first frame
    targets_s: list[float]  # the times asked for
    strategy: Strategy
    info: VideoInfo


# --------------------------------------------------------------------------- pure helpers


def sample_timestamps(duration_s: float, n: int) -> list[float]:
    """The centres of ``n`` equal segments of ``[0, duration_s)``: evenly spread, never the ends."""
    if n < 1:
        raise ValueError(f"need at least one timestamp, got n={n}")
    if not math.isfinite(duration_s) or duration_s <= 0:
        raise ValueError(f"duration must be a positive number of seconds, got {duration_s}")
    return [duration_s * (2 * i + 1) / (2 * n) for i in range(n)]


def resize_longest(image: Image.Image, longest_side: int) -> Image.Image:
    """Shrink ``image`` so its longer side is ``longest_side``, keeping aspect; never upscale."""
    if longest_side < 1:
        raise ValueError(f"longest_side must be >= 1, got {longest_side}")
    size = _fit_size(image.size, longest_side)
    if size == image.size:
        return image
    return image.resize(size, _RESAMPLE, reducing_gap=3.0)


def encode_jpeg(image: Image.Image, quality: int = 90) -> bytes:
    """JPEG bytes of ``image`` (converted to RGB), for adapters that send data URLs."""
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be within 1..100, got {quality}")
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def choose_strategy(info: VideoInfo, n: int) -> Strategy:
    """'seek' where jumping between keyframes decodes clearly less than one pass, else 'scan'."""
    if not info.keyframe_times or info.frame_count <= 1 or info.duration_s <= 0:
        return "scan"
    targets = sample_timestamps(info.duration_s, n)
    frame_s = 1.0 / info.fps if info.fps > 0 else info.duration_s / info.frame_count
    scan_cost = targets[-1] + frame_s
    seek_cost = 0.0
    position: float | None = None  # the time the decoder stands at, if it stands anywhere
    for target, needs_seek in zip(targets, _seek_plan(info.keyframe_times, targets), strict=True):
        if needs_seek or position is None:
            keyframe = _keyframe_before(info.keyframe_times, target)
            seek_cost += SEEK_OVERHEAD_FRAMES * frame_s + (target - keyframe) + frame_s
        else:
            seek_cost += target - position
        position = target
    return "seek" if seek_cost < SEEK_ADVANTAGE * scan_cost else "scan"


def _fit_size(size: tuple[int, int], longest_side: int) -> tuple[int, int]:
    """The size ``size`` shrinks to so that its longer side is at most ``longest_side``."""
    width, height = size
    longest = max(width, height)
    if longest <= longest_side:
        return size
    if width >= height:
        return longest_side, max(1, round(height * longest_side / width))
    return max(1, round(width * longest_side / height)), longest_side


def _keyframe_before(keyframes: Sequence[float], target: float) -> float:
    """The last keyframe at or before ``target`` (the first keyframe if none is)."""
    index = bisect.bisect_right(keyframes, target) - 1
    return keyframes[max(index, 0)]


def _seek_plan(keyframes: Sequence[float], targets: Sequence[float]) -> list[bool]:
    """For each target, whether to seek: only when its keyframe lies past the previous target."""
    plan: list[bool] = []
    previous: float | None = None
    for target in targets:
        plan.append(previous is None or _keyframe_before(keyframes, target) > previous)
        previous = target
    return plan


# --------------------------------------------------------------------------- public entry points


def load_frames(path: Path, kind: str, spec: FrameSpec) -> list[Image.Image]:
    """RGB frames of one item: ``spec.frames`` from a video, one from an image (``kind``)."""
    if kind == "video":
        return sample_video(path, spec).frames
    if kind == "image":
        return [load_image(path, spec.longest_side)]
    raise DataError(
        f"unknown media kind {kind!r}; expected 'video' or 'image'", file=path, field="kind"
    )


def load_image(path: Path, longest_side: int) -> Image.Image:
    """One screenshot as RGB, EXIF orientation applied, shrunk to ``longest_side``."""
    _check_file(path)
    try:
        # One read, then decode from memory: Pillow's chunked file reads hold the GIL, and
        # the decode pool's threads scale better without them (bench/decode_pool.py).
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result is still big enough.
                opened.draft("RGB", _fit_size(opened.size, longest_side))
            upright: Image.Image = opened
            if opened.getexif().get(_EXIF_ORIENTATION, 1) != 1:
                upright = ImageOps.exif_transpose(opened)
            upright.load()
            rgb = _to_rgb(upright)
    except UnidentifiedImageError:
        raise MediaError(f"{path}: not an image file (unrecognised format)") from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise MediaError(f"{path}: cannot read image: {_describe(exc)}") from None
    return resize_longest(rgb, longest_side)


def probe_video(path: Path) -> VideoInfo:
    """Duration, rate, size, frame count and keyframe times of a clip, from its packets only."""
    _check_file(path)
    with _open_video(path) as (container, stream):
        return _probe(path, container, stream)


def sample_video(path: Path, spec: FrameSpec, strategy: Strategy | None = None) -> VideoSample:
    """``spec.frames`` frames nearest the segment centres; ``strategy`` None picks the path."""
    _check_file(path)
    with _open_video(path) as (container, stream):
        info = _probe(path, container, stream)
        chosen = strategy or choose_strategy(info, spec.frames)
        targets_s = sample_timestamps(info.duration_s, spec.frames)
        targets = [float(info.start_pts + Fraction(t) / info.time_base) for t in targets_s]
        try:
            try:
                picked = _decode_nearest(container, stream, info, targets, chosen)
            except _SeekMissedError:
                chosen = "scan"
                picked = _decode_nearest(container, stream, info, targets, chosen)
            if not picked:
                raise MediaError(f"{path}: video stream has no decodable frames")
            images: dict[int, Image.Image] = {}
            for frame, _ in picked:
                if id(frame) not in images:
                    images[id(frame)] = _frame_to_image(frame, spec.longest_side)
        except _DECODE_ERRORS as exc:
            raise MediaError(f"{path}: cannot decode video: {_describe(exc)}") from None
        return VideoSample(
            frames=[images[id(frame)] for frame, _ in picked],
            times_s=[float((pts - info.start_pts) * info.time_base) for _, pts in picked],
            targets_s=targets_s,
            strategy=chosen,
            info=info,
        )


# --------------------------------------------------------------------------- video internals


class _SeekMissedError(Exception):
    """A seek landed after its target, so seeking cannot promise the nearest frame."""


class _NearestPicker:
    """Walks decoded frames forward and returns, per target pts, the frame nearest to it."""

    def __init__(self, frames: Iterator[VideoFrame], frame_step: float) -> None:
        self._frames = frames
        self._step = frame_step
        self.previous: tuple[VideoFrame, float] | None = None
        self.current: tuple[VideoFrame, float] | None = None
        self.current = self._next()

    def _next(self) -> tuple[VideoFrame, float] | None:
        frame = next(self._frames, None)
        if frame is None:
            return None
        if frame.pts is not None:
            return frame, float(frame.pts)
        # A frame without a timestamp follows the one before it by one nominal frame.
        last = self.current or self.previous
        return frame, (last[1] + self._step if last else 0.0)

    def pick(self, target: float) -> tuple[VideoFrame, float] | None:
        """The decoded frame nearest ``target``; ties go to the earlier frame."""
        while self.current is not None and self.current[1] < target:
            self.previous, self.current = self.current, self._next()
        if self.previous is None or self.current is None:
            return self.current or self.previous
        before, after = target - self.previous[1], self.current[1] - target
        return self.previous if before <= after else self.current


def _decode_nearest(
    container: InputContainer,
    stream: VideoStream,
    info: VideoInfo,
    targets: list[float],
    strategy: Strategy,
) -> list[tuple[VideoFrame, int]]:
    """Decode with ``strategy`` and return (frame, pts) nearest each target pts."""
    frame_step = float(1 / info.time_base) / info.fps
    seeking = strategy == "seek" and bool(info.keyframe_pts)
    # Scanning is seeking once, to the start, and then only decoding forward.
    seeks = (
        _seek_plan(info.keyframe_pts, targets) if seeking else [True] + [False] * (len(targets) - 1)
    )
    picked: list[tuple[VideoFrame, int]] = []
    picker: _NearestPicker | None = None
    for target, needs_seek in zip(targets, seeks, strict=True):
        if picker is None or needs_seek:
            keyframe = (
                int(_keyframe_before(info.keyframe_pts, target)) if seeking else info.start_pts
            )
            container.seek(keyframe, stream=stream, backward=True, any_frame=False)
            picker = _NearestPicker(container.decode(stream), frame_step)
            first = picker.current
            if seeking and first is not None and first[1] > max(target, info.start_pts):
                raise _SeekMissedError
        found = picker.pick(target)
        if found is not None:
            picked.append((found[0], round(found[1])))
    return picked


def _frame_to_image(frame: VideoFrame, longest_side: int) -> Image.Image:
    """A decoded frame as an upright RGB PIL image, shrunk to ``longest_side``."""
    width, height = _fit_size((frame.width, frame.height), longest_side)
    # swscale converts and shrinks in one step, ~4x faster than PIL's resize after to_image().
    rgb = frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA")
    plane = rgb.planes[0]
    if plane.line_size > 0:
        # Straight from the plane's buffer, rows ``line_size`` apart: PyAV's ``to_image``
        # copies row by row holding the GIL, which kept the decode pool's threads waiting.
        image = Image.frombuffer(
            "RGB", (plane.width, plane.height), bytes(plane), "raw", "RGB", plane.line_size, 1
        )
    else:  # a bottom-up frame: PyAV flips it
        image = rgb.to_image()  # type: ignore[no-untyped-call]  # PyAV's stub lacks it
    rotation = frame.rotation  # degrees counter-clockwise, from the display matrix
    if rotation % 360:
        image = image.rotate(rotation, expand=True)
    return image


def _probe(path: Path, container: InputContainer, stream: VideoStream) -> VideoInfo:
    """Read every packet of ``stream`` (demux only) and describe its timeline."""
    time_base = stream.time_base or Fraction(1, 1_000_000)
    rate = _frame_rate(stream)
    nominal = round(1 / (rate * time_base)) if rate > 0 else 0  # one frame, in pts units
    stamps: list[int] = []
    keyframes: list[int] = []
    end_pts: int | None = None
    packets = 0
    try:
        for packet in container.demux(stream):
            pts = packet.pts if packet.pts is not None else packet.dts
            if pts is None and packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            packets += 1
            if pts is None or packet.is_discard:
                continue
            stamps.append(pts)
            if packet.is_keyframe:
                keyframes.append(pts)
            end = pts + (packet.duration or nominal)
            end_pts = end if end_pts is None else max(end_pts, end)
    except _DECODE_ERRORS as exc:
        raise MediaError(f"{path}: cannot read video packets: {_describe(exc)}") from None
    if packets == 0:
        raise MediaError(f"{path}: video stream has no frames")
    if stream.frames and packets < stream.frames:
        raise MediaError(
            f"{path}: truncated video: header lists {stream.frames} frames, "
            f"only {packets} are present"
        )
    start = min(stamps, default=0)
    span = float(((end_pts or start) - start) * time_base)
    if span <= 0:  # no usable timestamps: lay the frames out at the nominal rate
        span = packets / rate if rate > 0 else float(packets)
    declared = _declared_duration(container, stream)
    if declared is not None and span < TRUNCATED_SPAN_SHARE * declared:
        raise MediaError(
            f"{path}: truncated video: frames cover {span:.2f} s of a declared {declared:.2f} s"
        )
    keyframes.sort()
    return VideoInfo(
        duration_s=span,
        fps=rate if rate > 0 else packets / span,
        width=stream.codec_context.width,
        height=stream.codec_context.height,
        frame_count=packets,
        keyframe_times=tuple(float((k - start) * time_base) for k in keyframes),
        time_base=time_base,
        start_pts=start,
        keyframe_pts=tuple(keyframes),
    )


def _frame_rate(stream: VideoStream) -> float:
    """The stream's average frame rate, or its guessed one, or 0 when neither is known."""
    for rate in (stream.average_rate, stream.guessed_rate):
        if rate:
            return float(rate)
    return 0.0


def _declared_duration(container: InputContainer, stream: VideoStream) -> float | None:
    """The duration the file's header claims for the video stream (or the file), if any."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


@contextmanager
def _open_video(path: Path) -> Iterator[tuple[InputContainer, VideoStream]]:
    """Open ``path`` with PyAV and yield it with its video stream, or raise MediaError."""
    try:
        container = av.open(str(path), mode="r")
    except _DECODE_ERRORS as exc:
        raise MediaError(f"{path}: cannot open video: {_describe(exc)}") from None
    with container:
        streams = [s for s in container.streams.video if not _is_cover_art(s)]
        if not streams:
            raise MediaError(f"{path}: no video stream in the file")
        stream = streams[0]
        stream.thread_type = DECODE_THREAD_TYPE
        if DECODE_THREADS > 0:
            stream.codec_context.thread_count = DECODE_THREADS
        yield container, stream


def _is_cover_art(stream: VideoStream) -> bool:
    """True for a still picture attached to an audio file (it is not a clip)."""
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


# --------------------------------------------------------------------------- shared internals


def _check_file(path: Path) -> None:
    """Fail early, in plain words, when there is no file or nothing in it."""
    if not path.exists():
        raise MediaError(f"{path}: file not found")
    if not path.is_file():
        raise MediaError(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: empty file")


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels; transparent areas are laid over white, as a viewer would see them."""
    if image.mode == "RGB":
        return image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _describe(exc: BaseException) -> str:
    """A short reason from a library exception, without errno noise or the repeated path."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(reason).rstrip(".").lower()
