"""Tests for valspec.data.media: frame sampling by time, both decoding paths, images and errors."""

from __future__ import annotations

import io
import itertools
import math
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, JpegImagePlugin

from valspec.data import media
from valspec.data.media import (
    SAMPLER_VERSION,
    FrameSpec,
    choose_strategy,
    encode_jpeg,
    load_frames,
    load_image,
    probe_video,
    resize_longest,
    sample_timestamps,
    sample_video,
)
from valspec.domain.errors import DataError, MediaError

FPS, SECONDS, WIDTH, HEIGHT = 12, 10, 64, 112
LEVELS = (25, 75, 125, 175, 225)  # 5**3 = 125 colours, far enough apart to survive H.264


def colour(index: int) -> tuple[int, int, int]:
    """The solid colour of frame ``index`` in the generated clips."""
    return LEVELS[index % 5], LEVELS[index // 5 % 5], LEVELS[index // 25 % 5]


def frame_index(image: Image.Image) -> int:
    """Which generated frame ``image`` shows, from its mean colour (ignoring the marker)."""
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    height, width = pixels.shape[:2]
    mean = pixels[height // 4 :, width // 2 :].reshape(-1, 3).mean(axis=0)
    return min(range(FPS * SECONDS), key=lambda i: float(np.abs(mean - colour(i)).sum()))


def make_clip(
    path: Path,
    *,
    gop: int,
    frames: int = FPS * SECONDS,
    b_frames: bool = False,
    rotation: float | None = None,
    faststart: bool = False,
) -> Path:
    """A clip whose frame i is colour(i), with a red marker on the left quarter."""
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream("h264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        params = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={3 if b_frames else 0}"
        stream.options = {"preset": "veryfast", "crf": "12", "x264-params": params}
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for index in range(frames):
            rgb = np.empty((HEIGHT, WIDTH, 3), np.uint8)
            rgb[:] = colour(index)
            rgb[:, : WIDTH // 4] = (255, 0, 0)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "dense": make_clip(folder / "dense.mp4", gop=FPS),
        "sparse": make_clip(folder / "sparse.mp4", gop=1000),
        "bframes": make_clip(folder / "bframes.mp4", gop=FPS, b_frames=True),
        "mkv": make_clip(folder / "dense.mkv", gop=FPS, b_frames=True),
        "faststart": make_clip(folder / "faststart.mp4", gop=FPS, faststart=True),
        "rotated": make_clip(folder / "rotated.mp4", gop=FPS, frames=FPS, rotation=90),
        "three": make_clip(folder / "three.mp4", gop=FPS, frames=3),
    }


def nearest_frames(n: int, frame_count: int = FPS * SECONDS) -> list[int]:
    """Expected frame indices for n targets: nearest in time, ties to the earlier frame."""
    targets = [Fraction(2 * k + 1, 2 * n) * Fraction(frame_count, FPS) for k in range(n)]
    return [min(range(frame_count), key=lambda i: (abs(Fraction(i, FPS) - t), i)) for t in targets]


# --------------------------------------------------------------------------- timestamps


@settings(max_examples=200, deadline=None)
@given(duration=st.floats(min_value=1e-3, max_value=1e5), n=st.integers(1, 64))
def test_sample_timestamps_are_even_segment_centres(duration: float, n: int) -> None:
    times = sample_timestamps(duration, n)
    assert len(times) == n
    assert all(0 <= t < duration for t in times)
    assert times == sorted(times) and len(set(times)) == n
    assert math.isclose(times[0], duration / (2 * n), rel_tol=1e-12)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(math.isclose(g, duration / n, rel_tol=1e-9) for g in gaps)


@pytest.mark.parametrize(("duration", "n"), [(1.0, 0), (0.0, 3), (-1.0, 3), (math.nan, 3)])
def test_sample_timestamps_rejects_nonsense(duration: float, n: int) -> None:
    with pytest.raises(ValueError, match=r"duration|timestamp"):
        sample_timestamps(duration, n)


# --------------------------------------------------------------------------- resizing, specs


@settings(max_examples=60, deadline=None)
@given(width=st.integers(1, 1200), height=st.integers(1, 1200), longest=st.integers(1, 900))
def test_resize_longest_bounds_and_aspect(width: int, height: int, longest: int) -> None:
    image = Image.new("RGB", (width, height))
    resized = resize_longest(image, longest)
    new_w, new_h = resized.size
    if max(width, height) <= longest:
        assert resized is image  # never upscales, never copies needlessly
        return
    assert max(new_w, new_h) == longest
    assert min(new_w, new_h) >= 1
    if width >= height:
        assert abs(new_h - height * new_w / width) <= 1
    else:
        assert abs(new_w - width * new_h / height) <= 1


def test_resize_longest_rejects_zero() -> None:
    with pytest.raises(ValueError, match="longest_side"):
        resize_longest(Image.new("RGB", (4, 4)), 0)


def test_frame_spec_identity_names_every_setting() -> None:
    identity = FrameSpec(frames=6, longest_side=384).identity()
    assert identity == {"sampler": SAMPLER_VERSION, "frames": 6, "longest_side": 384}
    assert FrameSpec().identity() != FrameSpec(frames=5).identity()
    assert FrameSpec().identity() != FrameSpec(longest_side=256).identity()


@pytest.mark.parametrize("kwargs", [{"frames": 0}, {"longest_side": 0}])
def test_frame_spec_rejects_nonsense(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="FrameSpec"):
        FrameSpec(**kwargs)


def test_encode_jpeg_round_trips_and_converts() -> None:
    image = Image.new("RGBA", (40, 30), (200, 20, 20, 255))
    data = encode_jpeg(image, quality=95)
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.format == "JPEG" and decoded.size == (40, 30)
        r, g, b = decoded.convert("RGB").getpixel((20, 15))  # type: ignore[misc]
        assert abs(r - 200) < 8 and g < 30 and b < 30
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))
    assert len(encode_jpeg(noisy, quality=30)) < len(encode_jpeg(noisy, quality=95))
    with pytest.raises(ValueError, match="quality"):
        encode_jpeg(image, quality=0)


# --------------------------------------------------------------------------- probing


def test_probe_reads_timeline_and_keyframes_without_decoding(clips: dict[str, Path]) -> None:
    dense = probe_video(clips["dense"])
    assert (dense.width, dense.height, dense.fps, dense.frame_count) == (WIDTH, HEIGHT, 12.0, 120)
    assert math.isclose(dense.duration_s, 10.0)
    assert [round(t, 6) for t in dense.keyframe_times] == [float(s) for s in range(10)]
    assert probe_video(clips["sparse"]).keyframe_times == (0.0,)
    mkv = probe_video(clips["mkv"])
    assert mkv.frame_count == 120 and abs(mkv.duration_s - 10.0) < 0.01


def test_strategy_seeks_only_where_keyframes_are_dense(clips: dict[str, Path]) -> None:
    dense, sparse = probe_video(clips["dense"]), probe_video(clips["sparse"])
    assert choose_strategy(dense, 4) == "seek"
    assert choose_strategy(sparse, 4) == "scan"
    # Targets closer together than the keyframe spacing: one pass is cheaper than seeking.
    assert choose_strategy(dense, 40) == "scan"
    assert sample_video(clips["dense"], FrameSpec(frames=4)).strategy == "seek"
    assert sample_video(clips["sparse"], FrameSpec(frames=4)).strategy == "scan"


# --------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("clip", ["dense", "sparse", "bframes", "mkv", "faststart"])
@pytest.mark.parametrize("n", [1, 4, 7, 8])  # 8: targets fall exactly between two frames
def test_seek_and_scan_return_the_nearest_frames(clips: dict[str, Path], clip: str, n: int) -> None:
    spec = FrameSpec(frames=n)
    by_seek = sample_video(clips[clip], spec, "seek")
    by_scan = sample_video(clips[clip], spec, "scan")
    assert by_seek.strategy == "seek" and by_scan.strategy == "scan"
    expected = nearest_frames(n)
    assert [frame_index(f) for f in by_scan.frames] == expected
    assert [frame_index(f) for f in by_seek.frames] == expected
    assert by_seek.times_s == by_scan.times_s
    assert [round(t * FPS) for t in by_seek.times_s] == expected
    assert [f.tobytes() for f in by_seek.frames] == [f.tobytes() for f in by_scan.frames]


def test_a_seek_that_overshoots_falls_back_to_scanning(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def keyframe_after(keyframes: list[float], target: float) -> float:
        return next((k for k in keyframes if k > target), keyframes[-1])

    monkeypatch.setattr(media, "_keyframe_before", keyframe_after)
    sample = sample_video(clips["dense"], FrameSpec(frames=4), "seek")
    assert sample.strategy == "scan"
    assert [frame_index(f) for f in sample.frames] == nearest_frames(4)


def test_load_frames_gives_rgb_frames_of_the_spec(clips: dict[str, Path]) -> None:
    frames = load_frames(clips["dense"], "video", FrameSpec(frames=5, longest_side=56))
    assert len(frames) == 5
    assert all(f.mode == "RGB" and f.size == (32, 56) for f in frames)
    large = load_frames(clips["dense"], "video", FrameSpec(frames=2, longest_side=1000))
    assert all(f.size == (WIDTH, HEIGHT) for f in large)  # never upscaled


def test_short_clip_repeats_frames_to_fill_the_spec(clips: dict[str, Path]) -> None:
    sample = sample_video(clips["three"], FrameSpec(frames=6))
    assert [frame_index(f) for f in sample.frames] == nearest_frames(6, frame_count=3)


def test_display_rotation_is_applied(clips: dict[str, Path]) -> None:
    (frame,) = load_frames(clips["rotated"], "video", FrameSpec(frames=1))
    assert frame.size == (HEIGHT, WIDTH)
    pixels = np.asarray(frame, dtype=int)
    # Rotated 90° counter-clockwise, the red left strip of the coded frame lies along the bottom.
    assert pixels[-4:, :, 0].mean() > 230 and pixels[-4:, :, 1].mean() < 30
    assert np.abs(pixels[:8].mean(axis=(0, 1)) - colour(6)).max() < 8  # frame 6 at 0.5 s


@pytest.mark.parametrize("size", [(WIDTH, HEIGHT), (30, 17)], ids=["even", "odd-padded-rows"])
def test_frames_match_pyav_to_image_pixel_for_pixel(tmp_path: Path, size: tuple[int, int]) -> None:
    """The frame conversion reads the plane's buffer with its stride; PyAV's own
    ``to_image`` is the reference (odd widths leave padding at the end of each row)."""
    width, height = size
    rng = np.random.default_rng(3)
    path = tmp_path / "noise.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264rgb", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "rgb24"
        for _ in range(4):
            rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with av.open(str(path)) as container:
        decoded = list(container.decode(video=0))
    assert decoded and decoded[0].reformat(format="rgb24").planes[0].line_size >= width * 3
    for frame in decoded:
        ours = media._frame_to_image(frame, longest_side=1000)
        reference = frame.reformat(format="rgb24", interpolation="AREA").to_image()
        assert ours.size == reference.size == (width, height)
        assert ours.tobytes() == reference.tobytes()


# --------------------------------------------------------------------------- images


def test_image_exif_orientation_is_honoured(tmp_path: Path) -> None:
    image = Image.new("RGB", (60, 30), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 30, 30))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90° clockwise turn
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif, quality=95)
    (loaded,) = load_frames(path, "image", FrameSpec())
    assert loaded.size == (30, 60) and loaded.mode == "RGB"
    top, bottom = loaded.getpixel((15, 5)), loaded.getpixel((15, 55))
    assert top[0] > 200 and top[2] < 50  # type: ignore[index]
    assert bottom[2] > 200 and bottom[0] < 50  # type: ignore[index]


def test_large_jpeg_is_decoded_small_and_shrunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.jpg"
    Image.new("RGB", (2400, 1200), (30, 160, 90)).save(path, quality=90)
    drafted: list[tuple[int, int]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str, size: tuple[int, int]) -> object:
        result = real_draft(self, mode, size)
        drafted.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    image = load_image(path, 300)
    assert drafted == [(300, 150)]  # libjpeg decoded at 1/8 scale, not at full size
    assert image.size == (300, 150) and image.mode == "RGB"
    r, g, b = image.getpixel((150, 75))  # type: ignore[misc]
    assert abs(r - 30) < 8 and abs(g - 160) < 8 and abs(b - 90) < 8


def test_transparent_png_is_laid_over_white(tmp_path: Path) -> None:
    path = tmp_path / "alpha.png"
    image = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    image.paste((0, 128, 0, 255), (0, 0, 10, 10))
    image.save(path)
    loaded = load_image(path, 512)
    assert loaded.mode == "RGB"
    assert loaded.getpixel((15, 5)) == (255, 255, 255)
    assert loaded.getpixel((5, 5)) == (0, 128, 0)


def test_unknown_kind_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"kind: unknown media kind 'gif'"):
        load_frames(tmp_path / "x.gif", "gif", FrameSpec())


# --------------------------------------------------------------------------- errors


def _cut_half(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def _audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=8000)
        for _ in range(4):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate = 8000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _video_without_frames(path: Path) -> Path:
    """An mkv with a declared video stream but no video packets (its audio has some)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("h264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = container.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), "fltp", "mono")
        frame.sample_rate = 8000
        for packet in [*audio.encode(frame), *audio.encode()]:
            container.mux(packet)
    return path


def _empty(path: Path) -> Path:
    path.touch()
    return path


def _random(path: Path) -> Path:
    path.write_bytes(os.urandom(4096))
    return path


def _jpeg_cut_half(path: Path) -> Path:
    source = path.with_suffix(".full.jpg")
    Image.new("RGB", (300, 200), (1, 2, 3)).save(source, quality=90)
    return _cut_half(source, path)


BROKEN: dict[str, tuple[str, str, Callable[[Path, dict[str, Path]], Path]]] = {
    "missing": ("video", "not found", lambda p, c: p / "missing.mp4"),
    "directory": ("image", "not a regular file", lambda p, c: p),
    "empty": ("video", "empty file", lambda p, c: _empty(p / "empty.mp4")),
    "truncated mp4": (
        "video",
        "cannot open video",
        lambda p, c: _cut_half(c["dense"], p / "t.mp4"),
    ),
    "truncated faststart mp4": (
        "video",
        "header lists 120 frames",
        lambda p, c: _cut_half(c["faststart"], p / "tf.mp4"),
    ),
    "truncated mkv": (
        "video",
        "truncated video: frames cover",
        lambda p, c: _cut_half(c["mkv"], p / "t.mkv"),
    ),
    "random bytes .mp4": ("video", "cannot open video", lambda p, c: _random(p / "r.mp4")),
    "random bytes .jpg": ("image", "not an image", lambda p, c: _random(p / "r.jpg")),
    "truncated jpg": ("image", "truncated", lambda p, c: _jpeg_cut_half(p / "t.jpg")),
    "video read as image": ("image", "not an image", lambda p, c: c["dense"]),
    "audio only": ("video", "no video stream", lambda p, c: _audio_only(p / "a.mp4")),
    "zero frames": ("video", "no frames", lambda p, c: _video_without_frames(p / "z.mkv")),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_media_is_a_one_line_media_error(
    case: str, clips: dict[str, Path], tmp_path: Path
) -> None:
    kind, reason, make = BROKEN[case]
    path = make(tmp_path, clips)
    with pytest.raises(MediaError) as caught:
        load_frames(path, kind, FrameSpec())
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and reason in message
    assert "\n" not in message
    error = caught.value  # no library traceback chained to it
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    if kind == "video" and case not in ("missing", "empty"):
        with pytest.raises(MediaError, match=reason):
            probe_video(path)


def test_decode_errors_are_media_errors(clips: dict[str, Path], tmp_path: Path) -> None:
    # Corrupt the middle of a clip whose header is intact: whatever FFmpeg makes of it,
    # the result is frames or a MediaError, never a library exception.
    data = bytearray(clips["faststart"].read_bytes())
    middle = len(data) // 2
    data[middle : middle + 400] = os.urandom(400)
    path = tmp_path / "corrupt.mp4"
    path.write_bytes(bytes(data))
    try:
        frames = load_frames(path, "video", FrameSpec(frames=3))
    except MediaError as error:
        assert str(error).startswith(f"{path}: ")
    else:
        assert len(frames) == 3


def test_frame_threading_gives_the_same_frames(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media, "DECODE_THREAD_TYPE", "AUTO")
    auto = sample_video(clips["bframes"], FrameSpec(frames=3), "scan")
    assert [frame_index(f) for f in auto.frames] == nearest_frames(3)
