"""Decode items' media ahead of the send loop, on a bounded pool, in the order they are sent.

The engine sends an item's queries together (item-major), so each item's frames are needed
once, for all of its conditions, and can then be dropped. :class:`FrameSource` decodes the
next ``ahead`` items on ``workers`` threads (or processes) while the current one is being
asked, so the adapter never waits for a decode while there is work; at most ``ahead`` items'
frames are held at a time, whatever the dataset's size (back-pressure: nothing is decoded
further ahead until the engine takes an item). A decode error is returned in place of the
frames (the engine turns it into that item's error rows, naming the file).

Threads are the default: PyAV and Pillow release the GIL while they decode and resize, and
a process pool pays for spawning (importing PyAV and Pillow in every worker) and for
pickling every frame back (``bench/decode_pool.py`` measures both; see docs/engine.md).
Forking after torch is imported is unsafe, so processes are always spawned.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Literal

from PIL.Image import Image

from valspec.data.dataset import Item
from valspec.data.media import FrameSpec, load_frames
from valspec.domain.errors import MediaError

Frames = tuple[Image, ...] | MediaError
PoolKind = Literal["thread", "process"]
POOL_KINDS: tuple[PoolKind, ...] = ("thread", "process")


def decode_item(path: os.PathLike[str] | str, kind: str, spec: FrameSpec) -> Frames:
    """One item's frames, or the MediaError that says why there are none (module level so a
    process pool can pickle it)."""
    from pathlib import Path

    try:
        return tuple(load_frames(Path(path), kind, spec))
    except MediaError as exc:
        return exc


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_workers(*, concurrent: bool, cores: int | None = None) -> int:
    """The decode pool's size when none is configured.

    An adapter that keeps requests in flight (HTTP) gets this process's share of the cores:
    pytest-xdist workers (``PYTEST_XDIST_WORKER_COUNT``) split them rather than each taking
    all. A compute-bound adapter (one request at a time, e.g. ``hf``) needs the cores for the
    model, so it gets one decoder working ahead.
    """
    if not concurrent:
        return 1
    total = cores if cores is not None else usable_cores()
    try:
        share = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    except ValueError:
        share = 1
    return max(1, total // max(1, share))


@dataclass(frozen=True)
class PoolSettings:
    """How media is decoded ahead: ``workers`` (0: on the engine's thread, as it is needed),
    thread or process pool, and how many items may be decoded ahead of the one in use."""

    workers: int = 1
    kind: PoolKind = "thread"
    ahead: int | None = None  # None: 2 per worker, at least 4

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ValueError(f"decode workers must be 0 or more, got {self.workers}")
        if self.kind not in POOL_KINDS:
            raise ValueError(f"decode pool must be one of {', '.join(POOL_KINDS)}, got {self.kind}")
        if self.ahead is not None and self.ahead < 1:
            raise ValueError(f"decode look-ahead must be at least 1 item, got {self.ahead}")

    @property
    def look_ahead(self) -> int:
        """Items decoded (or being decoded) ahead of the one in use."""
        return self.ahead if self.ahead is not None else max(4, 2 * self.workers)


def _executor(settings: PoolSettings) -> Executor:
    if settings.kind == "process":
        return concurrent.futures.ProcessPoolExecutor(
            settings.workers, mp_context=multiprocessing.get_context("spawn")
        )
    return concurrent.futures.ThreadPoolExecutor(
        settings.workers, thread_name_prefix="valspec-decode"
    )


class FrameSource:
    """Frames of ``items`` (distinct, in send order), decoded ahead on a bounded pool.

    ``frames(item)`` returns the item's frames; the engine asks for items in the order given,
    each possibly several times in a row (once per condition). An item asked out of order (a
    query retried after a peer dropped it) is decoded on the spot. ``close()`` stops the pool
    without waiting for decodes nobody will read (also on Ctrl-C).
    """

    def __init__(
        self,
        items: Sequence[Item],
        spec: FrameSpec,
        settings: PoolSettings,
        *,
        decode: Callable[[os.PathLike[str] | str, str, FrameSpec], Frames] = decode_item,
    ) -> None:
        self._items = list(items)
        self._spec = spec
        self._decode = decode
        self._position = {item.id: n for n, item in enumerate(self._items)}
        self._next = 0  # the next item to hand to the pool
        self._taken = 0  # items before this one were handed out (or skipped)
        self._ahead: deque[tuple[str, Future[Frames]]] = deque()
        self._current: tuple[str, Frames] | None = None
        self._look_ahead = settings.look_ahead
        self._pool = _executor(settings) if settings.workers > 0 and self._items else None
        self.decoded = 0  # items decoded (for tests and figures)
        self._fill()

    def frames(self, item: Item) -> Frames:
        """The frames of ``item`` (or the MediaError that says why it has none)."""
        current = self._current
        if current is not None and current[0] == item.id:
            return current[1]
        self._current = None  # drop the previous item's frames before waiting for the next
        position = self._position.get(item.id, -1)
        if self._pool is None or position < self._taken:
            frames = self._decode_now(item)
        else:
            frames = self._take(item.id, position)
        self._current = (item.id, frames)
        return frames

    def close(self) -> None:
        """Stop decoding ahead; frames already handed out stay valid."""
        for _, future in self._ahead:
            future.cancel()
        self._ahead.clear()
        self._current = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _decode_now(self, item: Item) -> Frames:
        self.decoded += 1
        return self._decode(item.path, item.kind, self._spec)

    def _take(self, item_id: str, position: int) -> Frames:
        """Wait for ``item_id``'s decode, dropping items skipped on the way (their queries were
        answered by a peer meanwhile)."""
        assert self._pool is not None
        while self._taken <= position:
            if not self._ahead:
                self._fill()
            found_id, future = self._ahead.popleft()
            self._taken += 1
            self._fill()
            if found_id == item_id:
                frames = future.result()
                self.decoded += 1
                return frames
            future.cancel()
        raise AssertionError(f"{item_id} was not among the items to decode")  # pragma: no cover

    def _fill(self) -> None:
        """Hand items to the pool until ``look_ahead`` are decoded or being decoded."""
        pool = self._pool
        if pool is None:
            return
        while len(self._ahead) < self._look_ahead and self._next < len(self._items):
            item = self._items[self._next]
            self._next += 1
            self._ahead.append(
                (item.id, pool.submit(self._decode, item.path, item.kind, self._spec))
            )
