"""Frame sampling speed: ms per 8-frame sample via seek, scan and the automatic choice.

Generates two 10 s, 30 fps, 854x480 H.264 clips in a temp dir (a keyframe every second vs
x264's default spacing of 250 frames), then times ``valspec.data.media.sample_video`` on each, with
PyAV's default slice threading and with frame threading ("AUTO"). It also prints what one
seek costs in decoded frames, the figure behind ``SEEK_OVERHEAD_FRAMES``.

Run: ``python bench/media_decode.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from valspec.data import media
from valspec.data.media import FrameSpec, choose_strategy, probe_video, sample_video

WIDTH, HEIGHT, FPS, SECONDS, FRAMES = 854, 480, 30, 10, 8


def make_clip(path: Path, gop: int | None) -> None:
    """A moving gradient with a drifting block, so frames differ the way real footage does."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("h264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        if gop is not None:
            stream.codec_context.gop_size = gop
            stream.options = {"keyint_min": str(gop)}
        for index in range(FPS * SECONDS):
            rgb = np.empty((HEIGHT, WIDTH, 3), np.uint8)
            rgb[..., 0] = (x + 3 * index) % 256
            rgb[..., 1] = (y + 2 * index) % 256
            rgb[..., 2] = (x + y + index) % 256
            left = (index * 7) % (WIDTH - 120)
            rgb[100:220, left : left + 120] = (255, 255, 255)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def best_ms(action: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``action`` in ms after a warm-up (the least disturbed by neighbours)."""
    action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def seek_overhead_frames(path: Path, repeat: int) -> float:
    """(seek to a keyframe + decode one frame) / (one frame of a linear decode), minus one."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start = time.perf_counter()
        decoded = sum(1 for _ in container.decode(stream))
        per_frame = (time.perf_counter() - start) / decoded
        container.seek(0, stream=stream)
        keyframes = [p.pts for p in container.demux(stream) if p.is_keyframe and p.pts is not None]
        costs = []
        for _ in range(repeat):
            for keyframe in keyframes[1:]:
                start = time.perf_counter()
                container.seek(keyframe, stream=stream, backward=True, any_frame=False)
                next(container.decode(stream))
                costs.append(time.perf_counter() - start)
    return statistics.median(costs) / per_frame - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure")
    args = parser.parse_args()
    spec = FrameSpec(frames=FRAMES, longest_side=512)
    with tempfile.TemporaryDirectory() as tmp:
        clips = {
            "keyframe every 1 s": Path(tmp, "dense.mp4"),
            "x264 default": Path(tmp, "sparse.mp4"),
        }
        start = time.perf_counter()
        make_clip(clips["keyframe every 1 s"], gop=FPS)
        make_clip(clips["x264 default"], gop=None)
        print(
            f"generated 2 clips ({WIDTH}x{HEIGHT}, {FPS} fps, {SECONDS} s) in "
            f"{time.perf_counter() - start:.1f} s"
        )
        print(f"ms per {FRAMES}-frame sample (best of {args.repeat}), longest side 512")
        print(
            f"{'clip':<20} {'keyframes':>9} {'threads':>7} {'seek':>7} {'scan':>7} "
            f"{'auto':>7}  chosen"
        )
        for name, path in clips.items():
            info = probe_video(path)
            chosen = choose_strategy(info, FRAMES)
            seek_frames = sample_video(path, spec, "seek").times_s
            if seek_frames != sample_video(path, spec, "scan").times_s:
                raise SystemExit(f"{name}: seek and scan chose different frames")
            for threads in ("SLICE", "AUTO"):
                media.DECODE_THREAD_TYPE = threads
                row = [
                    best_ms(functools.partial(sample_video, path, spec, strategy), args.repeat)
                    for strategy in ("seek", "scan", None)
                ]
                print(
                    f"{name:<20} {len(info.keyframe_times):>9} {threads:>7} "
                    + " ".join(f"{ms:7.1f}" for ms in row)
                    + f"  {chosen}"
                )
            media.DECODE_THREAD_TYPE = "SLICE"
            probe_ms = best_ms(functools.partial(probe_video, path), args.repeat)
            print(f"{'':<20} probe (demux only): {probe_ms:.1f} ms")
        overhead = seek_overhead_frames(clips["keyframe every 1 s"], args.repeat)
        print(
            f"one seek costs about {overhead:.1f} decoded frames "
            f"(SEEK_OVERHEAD_FRAMES = {media.SEEK_OVERHEAD_FRAMES})"
        )


if __name__ == "__main__":
    main()
