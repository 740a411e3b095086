"""Throughput of the openai adapter against a loopback server with a fixed latency.

The server (a child process, so it does not share the client's GIL) answers every chat
completion after ``--latency`` seconds. With ``--concurrency`` requests in flight the ideal
rate is concurrency / latency; the script prints what each client reaches, as req/s and as
a share of the ideal, plus the client's CPU time per request, side by side:

* ``adapter, 1 call``: ``OpenAIAdapter.answer`` with all requests in one call (official
  client, aiohttp transport, raw ``post``): the transport's throughput;
* ``adapter, engine batches``: the same in calls of ``capabilities.max_batch`` (256), one
  after the other, as the engine drove it before it pipelined; each call ends by waiting
  for its slowest request (a batch-end drain);
* ``adapter through the engine``: ``Engine.run`` over image items made of the same frames
  (each item decoded from its JPEG file once, then asked ``requests / frames`` times as
  samples): the engine keeps up to 3 batches of max(concurrency, 64) in flight, decoding
  the next while earlier ones are answered, and stores each batch in memory;
* ``adapter, httpx``: one call, with the SDK's default httpx2 transport;
* ``SDK create, default``: ``AsyncOpenAI().chat.completions.create`` as most code calls it;
* ``SDK create, aiohttp``: the same with ``DefaultAioHttpClient``;
* ``plain aiohttp``: a bare aiohttp POST, the floor of client cost.

Each variant runs ``--repeats`` times, interleaved; the best and median runs are shown
(the machine is shared, so the best run is the least disturbed one). Frames are JPEGs of
about 150 KB; the adapter caches encoded frames, so the figures measure the request path
(the one-off JPEG encoding cost per frame is printed separately).

Run:  python bench/api_throughput.py [--requests 1000 --concurrency 64 --latency 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from valspec.adapters._images import jpeg_data_url
from valspec.adapters.base import Request
from valspec.adapters.openai_api import create
from valspec.adapters.registry import ModelSpec
from valspec.data.dataset import Item
from valspec.data.media import FrameSpec
from valspec.domain.messages import AnswerFormat, MediaPart, Message, TextPart
from valspec.domain.values import Value
from valspec.engine.engine import Engine
from valspec.engine.queries import NEUTRAL_CONDITION
from valspec.testing.servers import ServerProcess

PROMPT = "Here is a short video. Would you like it and keep watching? Answer Yes or No first."


def make_frames(count: int, target_kb: int = 150) -> list[Image.Image]:
    """Noisy frames whose JPEG (quality 90) is about ``target_kb`` KB each."""
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(count):
        base = rng.integers(0, 255, (1, 1, 3)) + np.zeros((360, 480, 3))
        noise = rng.normal(0, 24, (360, 480, 3))
        frames.append(Image.fromarray(np.clip(base + noise, 0, 255).astype("uint8")))
    width, height = 480, 360
    for _ in range(3):  # JPEG size grows about with the pixel count
        size = len(jpeg_data_url(frames[0].resize((width, height)))) * 3 / 4
        scale = (target_kb * 1024 / size) ** 0.5
        width, height = round(width * scale), round(height * scale)
    return [frame.resize((width, height)) for frame in frames]


def make_requests(frames: list[Image.Image], n: int) -> list[Request]:
    messages = (Message("user", (MediaPart(), TextPart(PROMPT))),)
    return [
        Request(
            key=f"q{i}",
            item_id=f"item-{i}",
            messages=messages,
            answer_format=AnswerFormat.YES_NO,
            frames=(frames[i % len(frames)],),
        )
        for i in range(n)
    ]


def run_adapter(
    base_url: str, requests: list[Request], concurrency: int, transport: str, max_batch: int = 256
) -> None:
    options = {
        "base_url": base_url,
        "concurrency": concurrency,
        "transport": transport,
        "max_batch": max_batch,
    }
    adapter = create(ModelSpec(name="bench", adapter="openai", model="bench", options=options))
    try:
        adapter.answer(requests[:concurrency])  # warm up: connections, probe, frame cache
        step = adapter.capabilities.max_batch
        started, cpu = time.perf_counter(), time.process_time()
        failed = 0
        for offset in range(0, len(requests), step):
            failed += sum(
                r.error is not None for r in adapter.answer(requests[offset : offset + step])
            )
        report_run(len(requests), time.perf_counter() - started, time.process_time() - cpu, failed)
    finally:
        adapter.close()


def make_items(frames: list[Image.Image], folder: Path) -> list[Item]:
    """One screenshot item per frame, saved as a JPEG file the engine decodes."""
    items = []
    for i, frame in enumerate(frames):
        path = folder / f"frame-{i:02d}.jpg"
        frame.save(path, quality=90)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        items.append(Item(f"item-{i:02d}", path.name, path, "image", "tiktok", Value.POWER, digest))
    return items


def run_engine(
    base_url: str, items: list[Item], requests: list[Request], n: int, concurrency: int
) -> None:
    """``Engine.run`` over ``items``, each asked ``n / len(items)`` times (as samples)."""
    options = {"base_url": base_url, "concurrency": concurrency, "transport": "aiohttp"}
    adapter = create(ModelSpec(name="bench", adapter="openai", model="bench", options=options))
    try:
        adapter.answer(requests[:concurrency])  # warm up: connections, probe
        longest = 0
        for item in items:
            with Image.open(item.path) as image:
                longest = max(longest, *image.size)
        engine = Engine(
            adapter,
            fingerprint=adapter.fingerprint(),
            frame_spec=FrameSpec(frames=1, longest_side=longest),
            samples=-(-n // len(items)),
        )
        queries = engine.plan([(NEUTRAL_CONDITION, items)])
        started, cpu = time.perf_counter(), time.process_time()
        stats = engine.run(queries)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        report_run(stats.sent, wall, cpu, stats.errors)
    finally:
        adapter.close()


Call = Callable[[int], Awaitable[Any]]


def sdk_caller(base_url: str, frames_b64: list[str], kind: str) -> Callable[[], tuple[Call, Any]]:
    """A factory (run inside the benchmark's event loop) of (call, close) for one client."""

    def payload(i: int) -> dict[str, Any]:
        url = "data:image/jpeg;base64," + frames_b64[i % len(frames_b64)]
        content = [
            {"type": "image_url", "image_url": {"url": url}},
            {"type": "text", "text": PROMPT},
        ]
        return {
            "model": "bench",
            "messages": [{"role": "user", "content": content}],
            "logprobs": True,
            "top_logprobs": 20,
            "temperature": 0.0,
            "max_tokens": 128,
            "seed": 0,
        }

    def plain() -> tuple[Call, Any]:
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
        headers = {"Content-Type": "application/json", "Authorization": "Bearer EMPTY"}

        async def post(i: int) -> Any:
            body = json.dumps(payload(i)).encode()
            async with session.post(
                f"{base_url}/chat/completions", data=body, headers=headers
            ) as r:
                return json.loads(await r.read())["choices"][0]["logprobs"]

        return post, session.close

    def sdk() -> tuple[Call, Any]:
        import openai

        http_client = openai.DefaultAioHttpClient() if kind == "aiohttp" else None
        client = openai.AsyncOpenAI(
            base_url=base_url, api_key="EMPTY", max_retries=0, http_client=http_client
        )

        async def create_call(i: int) -> Any:
            completion = await client.chat.completions.create(**payload(i))
            return completion.choices[0].logprobs

        return create_call, client.close

    return plain if kind == "plain" else sdk


def run_async(factory: Callable[[], tuple[Call, Any]], n: int, concurrency: int) -> None:
    async def main() -> None:
        call, close = factory()
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> bool:
            async with gate:
                try:
                    await call(i)
                    return True
                except Exception:
                    return False

        try:
            await asyncio.gather(*(one(i) for i in range(concurrency)))  # warm up
            started, cpu = time.perf_counter(), time.process_time()
            results = await asyncio.gather(*(one(i) for i in range(n)))
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            report_run(n, wall, cpu, results.count(False))
        finally:
            await close()

    asyncio.run(main())


_RUNS: list[tuple[float, float, int]] = []


def report_run(n: int, wall: float, cpu: float, failed: int) -> None:
    _RUNS.append((n / wall, cpu / n * 1000, failed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2, help="server seconds per answer")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frames", type=int, default=16, help="distinct frames")
    args = parser.parse_args()

    frames = make_frames(args.frames)
    started = time.perf_counter()
    urls = [jpeg_data_url(frame) for frame in frames]
    encode_ms = (time.perf_counter() - started) / len(frames) * 1000
    frames_b64 = [url.decode().split(",", 1)[1] for url in urls]
    jpeg_kb = statistics.mean(len(base64.b64decode(b)) for b in frames_b64) / 1024
    requests = make_requests(frames, args.requests)
    folder = tempfile.TemporaryDirectory(prefix="valspec-bench-")
    items = make_items(frames, Path(folder.name))
    ideal = args.concurrency / args.latency

    print(
        f"{args.requests} requests, {args.concurrency} in flight, server latency "
        f"{args.latency * 1000:.0f} ms, ideal {ideal:.0f} req/s; {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    print(f"frames: {jpeg_kb:.0f} KB JPEG each, encoding {encode_ms:.1f} ms per frame (cached)")
    variants: dict[str, Callable[[str], None]] = {
        "adapter, 1 call": lambda base: run_adapter(
            base, requests, args.concurrency, "aiohttp", max_batch=len(requests)
        ),
        "adapter, engine batches": lambda base: run_adapter(
            base, requests, args.concurrency, "aiohttp"
        ),
        "adapter through the engine": lambda base: run_engine(
            base, items, requests, args.requests, args.concurrency
        ),
        "adapter, httpx": lambda base: run_adapter(
            base, requests, args.concurrency, "httpx", max_batch=len(requests)
        ),
        "SDK create, default": lambda base: run_async(
            sdk_caller(base, frames_b64, "default"), args.requests, args.concurrency
        ),
        "SDK create, aiohttp": lambda base: run_async(
            sdk_caller(base, frames_b64, "aiohttp"), args.requests, args.concurrency
        ),
        "plain aiohttp": lambda base: run_async(
            sdk_caller(base, frames_b64, "plain"), args.requests, args.concurrency
        ),
    }
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in variants}
    lifetime = 60 + args.repeats * len(variants) * (3 * args.requests / ideal + 10)
    with ServerProcess(args.latency, max_lifetime_s=lifetime) as server:
        for _ in range(args.repeats):
            for name, run in variants.items():
                run(server.base_url)
                results[name].append(_RUNS.pop())
    folder.cleanup()
    print(f"load after: {os.getloadavg()[0]:.2f}")
    print(
        f"{'client':28} {'best req/s':>10} {'of ideal':>9} {'median':>7} {'CPU ms/req':>11} failed"
    )
    for name, runs in results.items():
        rates = [rate for rate, _, _ in runs]
        cpu = min(cpu for _, cpu, _ in runs)
        failed = sum(f for _, _, f in runs)
        print(
            f"{name:28} {max(rates):10.1f} {max(rates) / ideal:9.2f} "
            f"{statistics.median(rates) / ideal:7.2f} {cpu:11.2f} {failed:6d}"
        )


if __name__ == "__main__":
    main()
