"""Decode-only throughput of the engine's decode pool: threads against processes.

Decodes ``--items`` distinct media files (copies of the generated fixture clips and
screenshots, made distinct as in ``bench/real_media.py``) through
``valspec.engine.decode.FrameSource`` in item order, as the send loop reads them, and
prints items per second for one worker, then for ``--workers`` threads and processes, each
as a multiple of one worker. FFmpeg's own decoder threads are set to 1
(``VALSPEC_FFMPEG_THREADS=1``) so the pool is the only parallelism; ``--ffmpeg-threads 0``
leaves FFmpeg's default. Each variant runs ``--repeats`` times, interleaved; the best run is
shown, and beside it the median and range of the per-repeat ratios (each variant against the
one-thread run of the same repeat, seconds apart), which drift on a shared machine cancels.

Run:  python bench/decode_pool.py [--items 300 --workers 2 --repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ffmpeg-threads", type=int, default=1)
    args = parser.parse_args()
    os.environ["VALSPEC_FFMPEG_THREADS"] = str(args.ffmpeg_threads)  # before media is imported
    sys.path.insert(0, str(REPO / "bench"))
    import real_media

    from valspec.data.dataset import load_dataset
    from valspec.data.media import FrameSpec
    from valspec.engine.decode import FrameSource, PoolSettings

    base = Path(tempfile.mkdtemp(prefix="valspec-decode-"))
    try:
        real_media.build(base, args.items, 1, "http://127.0.0.1:1")
        items = load_dataset(base / "data" / "manifest.jsonl").items
        spec = FrameSpec()
        variants = {
            "1 thread": PoolSettings(workers=1),
            f"{args.workers} threads": PoolSettings(workers=args.workers),
            f"{args.workers} processes (spawned)": PoolSettings(
                workers=args.workers, kind="process"
            ),
        }
        best: dict[str, float] = {}
        runs: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, settings in variants.items():
                started = time.perf_counter()
                with FrameSource(items, spec, settings) as source:
                    for item in items:
                        source.frames(item)
                seconds = time.perf_counter() - started
                best[name] = min(best.get(name, seconds), seconds)
                runs[name].append(seconds)
        one = args.items / best["1 thread"]
        print(
            f"{args.items} items ({sum(i.kind == 'video' for i in items)} clips), "
            f"{spec.frames} frames each, FFmpeg threads {args.ffmpeg_threads or 'default'}; "
            f"best of {args.repeats}"
        )
        for name, seconds in best.items():
            rate = args.items / seconds
            paired = sorted(a / b for a, b in zip(runs["1 thread"], runs[name], strict=True))
            print(
                f"{name:28s} {seconds:6.2f} s  {rate:6.1f} items/s  {rate / one:4.2f}x best; "
                f"per repeat {statistics.median(paired):4.2f}x "
                f"(range {paired[0]:.2f}-{paired[-1]:.2f})"
            )
        print(f"load average (1/5/15 min): {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
