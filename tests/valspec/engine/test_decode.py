"""The decode pool: ahead of the send loop, bounded, in order, errors as values, pool sizes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from valspec.adapters.base import Capabilities, Request, Response
from valspec.adapters.mock import MockAdapter
from valspec.data.dataset import Dataset
from valspec.data.media import FrameSpec
from valspec.domain.errors import MediaError
from valspec.engine.decode import (
    Frames,
    FrameSource,
    PoolSettings,
    decode_item,
    default_workers,
)
from valspec.engine.engine import Engine
from valspec.engine.queries import NEUTRAL_CONDITION

SPEC = FrameSpec(frames=1)


@pytest.fixture
def dataset(tmp_path: Path, image_dataset: Callable[..., Dataset]) -> Dataset:
    return image_dataset(tmp_path, [f"i{i:02d}" for i in range(12)], size=(24, 32), step=20)


class Recorder:
    """A decode function that records calls and how many items were decoded but not taken."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, path: object, kind: str, spec: FrameSpec) -> Frames:
        time.sleep(self.delay_s)
        with self.lock:
            self.calls.append(Path(str(path)).stem)
        return decode_item(Path(str(path)), kind, spec)


def test_items_come_back_in_order_each_decoded_once(dataset: Dataset) -> None:
    recorder = Recorder()
    with FrameSource(dataset.items, SPEC, PoolSettings(workers=2), decode=recorder) as source:
        for item in dataset.items:
            first = source.frames(item)
            assert source.frames(item) is first  # every condition of an item: same frames
            assert isinstance(first, tuple) and first[0].size == (24, 32)
    assert sorted(recorder.calls) == sorted(i.id for i in dataset.items)
    assert source.decoded == len(dataset.items)


def test_decoding_stays_a_bounded_distance_ahead(dataset: Dataset) -> None:
    recorder = Recorder()
    settings = PoolSettings(workers=2, ahead=3)
    with FrameSource(dataset.items, SPEC, settings, decode=recorder) as source:
        source.frames(dataset.items[0])
        time.sleep(0.2)  # room for the pool to run ahead as far as it may
        assert len(recorder.calls) <= 1 + 3  # the item in use and three ahead, not all 12
        source.frames(dataset.items[1])
        time.sleep(0.2)
        assert len(recorder.calls) <= 2 + 3


def test_a_decode_error_is_returned_for_that_item_only(dataset: Dataset) -> None:
    broken = dataset.items[3]
    broken.path.write_bytes(b"not an image")
    with FrameSource(dataset.items, SPEC, PoolSettings(workers=2)) as source:
        results = [source.frames(item) for item in dataset.items]
    assert isinstance(results[3], MediaError) and str(broken.path) in str(results[3])
    assert all(isinstance(r, tuple) for n, r in enumerate(results) if n != 3)


def test_skipped_and_out_of_order_items_are_handled(dataset: Dataset) -> None:
    recorder = Recorder()
    items = dataset.items
    with FrameSource(items, SPEC, PoolSettings(workers=1, ahead=2), decode=recorder) as source:
        assert isinstance(source.frames(items[5]), tuple)  # items 0-4 answered by a peer
        assert isinstance(source.frames(items[1]), tuple)  # asked again later: decoded now
        assert isinstance(source.frames(items[6]), tuple)
    assert recorder.calls.count(items[1].id) >= 1 and items[6].id in recorder.calls


def test_close_stops_the_pool_without_waiting_for_unread_items(dataset: Dataset) -> None:
    recorder = Recorder(delay_s=0.05)
    source = FrameSource(dataset.items, SPEC, PoolSettings(workers=1, ahead=8), decode=recorder)
    source.frames(dataset.items[0])
    started = time.perf_counter()
    source.close()
    assert time.perf_counter() - started < 0.05  # nothing waited for
    time.sleep(0.2)
    assert len(recorder.calls) < len(dataset.items)  # queued decodes were cancelled


def test_workers_zero_decodes_on_the_callers_thread(dataset: Dataset) -> None:
    threads: set[str] = set()

    def decode(path: object, kind: str, spec: FrameSpec) -> Frames:
        threads.add(threading.current_thread().name)
        return ()

    with FrameSource(dataset.items, SPEC, PoolSettings(workers=0), decode=decode) as source:
        for item in dataset.items:
            source.frames(item)
    assert threads == {threading.current_thread().name}


def test_a_process_pool_decodes_the_same_frames(dataset: Dataset) -> None:
    items = dataset.items[:3]
    with FrameSource(items, SPEC, PoolSettings(workers=1, kind="process")) as source:
        spawned = [source.frames(item) for item in items]
    with FrameSource(items, SPEC, PoolSettings(workers=0)) as source:
        local = [source.frames(item) for item in items]
    for got, want in zip(spawned, local, strict=True):
        assert isinstance(got, tuple) and isinstance(want, tuple)
        assert [f.tobytes() for f in got] == [f.tobytes() for f in want]


def test_pool_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    assert default_workers(concurrent=False, cores=16) == 1  # compute-bound adapters
    assert default_workers(concurrent=True, cores=16) == 16
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")  # xdist workers split the cores
    assert default_workers(concurrent=True, cores=16) == 4
    assert default_workers(concurrent=True, cores=2) == 1
    assert PoolSettings(workers=3).look_ahead == 6 and PoolSettings(workers=1).look_ahead == 4
    for bad in ({"workers": -1}, {"kind": "fork"}, {"ahead": 0}):
        with pytest.raises(ValueError, match="decode"):
            PoolSettings(**bad)  # type: ignore[arg-type]


def test_the_engine_turns_a_decode_error_into_that_items_error_rows(dataset: Dataset) -> None:
    dataset.items[2].path.write_bytes(b"junk")
    adapter = MockAdapter(
        lambda r: Response(text="Yes."), capabilities=Capabilities(max_batch=4, needs_frames=True)
    )
    engine = Engine(
        adapter, fingerprint={"m": "x"}, frame_spec=SPEC, decode=PoolSettings(workers=2)
    )
    plan = engine.plan([(NEUTRAL_CONDITION, dataset.items)])
    stats = engine.run(plan)
    assert stats.errors == 1 and stats.sent == len(dataset.items)
    failed = [r for r in engine.records(plan) if r.response.error]
    assert [r.item_id for r in failed] == [dataset.items[2].id]
    assert str(dataset.items[2].path) in (failed[0].response.error or "")
    sent: list[Request] = adapter.requests  # type: ignore[attr-defined]
    assert dataset.items[2].id not in {r.item_id for r in sent}
