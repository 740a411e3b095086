"""The engine pipelines batches for concurrent adapters: overlap, once-only, per-batch storing."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path

import pytest
from PIL import Image

import valspec.engine.decode as decode_module
import valspec.engine.engine as engine_module
from valspec.adapters.base import Capabilities, Request, Response
from valspec.adapters.mock import MockAdapter
from valspec.data.dataset import Dataset
from valspec.data.media import FrameSpec
from valspec.domain.personas import Persona
from valspec.domain.values import Value
from valspec.engine.cache import SQLiteStore
from valspec.engine.engine import Engine
from valspec.engine.queries import NEUTRAL_CONDITION, Condition, MemoryStore, Query, Record

PERSONA = Persona(id="p", name="P", description="d", raises=(Value.POWER,))
SIMPLE = Condition("simple", PERSONA)
BATCH = 8  # the adapters below take at most 8 requests per call


@pytest.fixture(scope="module")
def dataset(
    tmp_path_factory: pytest.TempPathFactory, image_dataset: Callable[..., Dataset]
) -> Dataset:
    root = tmp_path_factory.mktemp("pipeline")
    return image_dataset(root, [f"i{i:02d}" for i in range(20)], size=(24, 32), step=10)


def verdict_of(request: Request) -> Response:
    return Response(text="Yes." if int(request.item_id[1:]) % 3 else "No.", p_yes=0.5)


class ConcurrentAdapter:
    """Answers batches after ``delay(batch)`` seconds and records how many calls overlap."""

    name = "concurrent"

    def __init__(
        self,
        delay: Callable[[Sequence[Request]], float] = lambda _batch: 0.03,
        *,
        concurrency: int = 4,
        needs_frames: bool = False,
        fail: Callable[[Sequence[Request]], BaseException | None] = lambda _batch: None,
    ) -> None:
        self.capabilities = Capabilities(
            max_batch=BATCH, concurrency=concurrency, needs_frames=needs_frames
        )
        self.delay = delay
        self.fail = fail
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.keys: list[str] = []
        self.batches: list[int] = []
        self.events: list[str] = []
        self.threads: set[str] = set()

    def answer(self, requests: Sequence[Request]) -> list[Response]:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.keys.extend(r.key for r in requests)
            self.batches.append(len(requests))
            self.events.append("answer")
            self.threads.add(threading.current_thread().name)
        try:
            time.sleep(self.delay(requests))
            error = self.fail(requests)
            if error is not None:
                raise error
            return [verdict_of(r) for r in requests]
        finally:
            with self.lock:
                self.in_flight -= 1

    def fingerprint(self) -> dict[str, str]:
        return {"adapter": "concurrent"}


class LoggingStore(MemoryStore):
    """A memory store that logs each ``put_many`` (its size and thread) into ``events``."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events
        self.puts: list[tuple[int, str]] = []

    def put_many(self, records: Sequence[Record]) -> None:
        self.events.append("put")
        self.puts.append((len(records), threading.current_thread().name))
        super().put_many(records)


def make(adapter: object, store: object = None, **kwargs: object) -> Engine:
    return Engine(
        adapter,  # type: ignore[arg-type]
        fingerprint={"adapter": "concurrent"},
        frame_spec=FrameSpec(frames=1),
        store=store,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def plan_for(engine: Engine, dataset: Dataset) -> list[Query]:
    return engine.plan([(NEUTRAL_CONDITION, dataset.items), (SIMPLE, dataset.items)])


def test_batches_overlap_and_every_query_is_answered_once(dataset: Dataset) -> None:
    adapter = ConcurrentAdapter()
    store = LoggingStore(adapter.events)
    engine = make(adapter, store)
    plan = plan_for(engine, dataset)
    progress: list[tuple[int, int]] = []
    stats = engine.run(plan, progress=lambda done, total, errors: progress.append((done, total)))
    assert (stats.planned, stats.sent, stats.errors) == (40, 40, 0)
    assert 2 <= adapter.most_in_flight <= engine_module.PIPELINE_DEPTH
    assert Counter(adapter.keys) == Counter(q.key for q in plan)  # each key exactly once
    assert max(adapter.batches) <= BATCH and sum(adapter.batches) == 40
    # one put_many per batch, on the engine's thread, and the first one before the last call
    assert [n for n, _ in store.puts] == adapter.batches
    assert {thread for _, thread in store.puts} == {threading.current_thread().name}
    assert threading.current_thread().name not in adapter.threads
    assert adapter.events.index("put") < len(adapter.events) - 1 - adapter.events[::-1].index(
        "answer"
    )
    assert progress[-1] == (40, 40) and progress == sorted(progress)
    assert engine.run(plan).sent == 0


def test_results_do_not_depend_on_which_batch_returns_first(dataset: Dataset) -> None:
    def first_batch_slowest(batch: Sequence[Request]) -> float:
        return 0.15 if any(r.item_id == "i00" for r in batch) else 0.005

    pipelined = make(ConcurrentAdapter(first_batch_slowest))
    plan = plan_for(pipelined, dataset)
    pipelined.run(plan)
    sequential = make(MockAdapter(verdict_of, capabilities=Capabilities(max_batch=BATCH)))
    assert plan_for(sequential, dataset) == plan
    sequential.run(plan)
    got = [(r.key, r.verdict, r.response.text) for r in pipelined.records(plan)]
    assert got == [(r.key, r.verdict, r.response.text) for r in sequential.records(plan)]


def test_an_exception_in_one_batch_fails_only_that_batch(dataset: Dataset) -> None:
    def boom(batch: Sequence[Request]) -> BaseException | None:
        return RuntimeError("GPU on fire") if any(r.item_id == "i05" for r in batch) else None

    adapter = ConcurrentAdapter(fail=boom)
    engine = make(adapter)
    plan = plan_for(engine, dataset)
    stats = engine.run(plan)
    failed = {r.key for r in engine.records(plan) if r.verdict == "error"}
    bad_batch = next(
        i for i in range(0, 40, BATCH) if any(q.item.id == "i05" for q in plan[i : i + BATCH])
    )
    assert failed == {q.key for q in plan[bad_batch : bad_batch + BATCH]}
    assert stats.errors == len(failed) == BATCH and stats.sent == 40
    errors = {r.response.error for r in engine.records(plan) if r.key in failed}
    assert errors == {"adapter raised RuntimeError: GPU on fire"}


def test_media_decode_once_per_item_while_batches_overlap(
    dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[str] = []
    real = decode_module.load_frames

    def counting(path: Path, kind: str, spec: FrameSpec) -> list[Image.Image]:
        decoded.append(path.name)
        return real(path, kind, spec)

    monkeypatch.setattr(decode_module, "load_frames", counting)
    adapter = ConcurrentAdapter(needs_frames=True)
    engine = make(adapter, samples=3)  # 6 queries per item: items straddle batch borders
    stats = engine.run(plan_for(engine, dataset))
    assert stats.sent == 120 and adapter.most_in_flight >= 2
    assert sorted(decoded) == sorted(i.path.name for i in dataset.items)


def test_an_interrupted_run_loses_only_what_was_in_flight(dataset: Dataset, tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"

    def interrupt(batch: Sequence[Request]) -> BaseException | None:
        return KeyboardInterrupt() if any(r.item_id == "i09" for r in batch) else None

    first = ConcurrentAdapter(fail=interrupt)
    store = SQLiteStore(cache)
    engine = make(first, store)
    plan = plan_for(engine, dataset)
    with pytest.raises(KeyboardInterrupt):
        engine.run(plan)
    store.close()  # as when the interrupted process ends: its claims go
    probe = SQLiteStore(cache)
    stored = {q.key for q in plan} - set(probe.missing([q.key for q in plan]))
    probe.close()
    assert stored and stored <= set(first.keys)  # only answered batches were stored
    assert len(set(first.keys) - stored) <= engine_module.PIPELINE_DEPTH * BATCH
    second = ConcurrentAdapter()
    resumed = make(second, SQLiteStore(cache))
    stats = resumed.run(plan)
    assert not stored & set(second.keys)  # nothing stored is paid for twice
    assert stats.sent == 40 - len(stored) and len(resumed.records(plan)) == 40


def test_sequential_adapters_keep_whole_batches_on_the_calling_thread(dataset: Dataset) -> None:
    threads: set[str] = set()

    def handler(request: Request) -> Response:
        threads.add(threading.current_thread().name)
        return verdict_of(request)

    adapter = MockAdapter(handler, capabilities=Capabilities(max_batch=16, needs_frames=False))
    engine = make(adapter)
    engine.run(plan_for(engine, dataset))
    assert adapter.batches == [16, 16, 8]
    assert threads == {threading.current_thread().name}


class SubmitAdapter:
    """Answers each submitted request on its own timer thread after ``delay(request)``
    seconds; records how many were sent and not yet stored at the most."""

    name = "submitting"

    def __init__(
        self,
        store: LoggingStore | None = None,
        delay: Callable[[Request], float] = lambda _r: 0.01,
        *,
        concurrency: int = 4,
        fail: Callable[[Request], BaseException | None] = lambda _r: None,
    ) -> None:
        self.capabilities = Capabilities(max_batch=BATCH, concurrency=concurrency)
        self.store = store
        self.delay = delay
        self.fail = fail
        self.keys: list[str] = []
        self.most_unstored = 0
        self.frames: dict[str, set[tuple[int, ...]]] = {}

    def submit(self, request: Request) -> Future[Response]:
        self.keys.append(request.key)
        self.frames.setdefault(request.item_id, set()).add(tuple(id(f) for f in request.frames))
        if self.store is not None:
            unstored = len(self.keys) - len(self.store.records)
            self.most_unstored = max(self.most_unstored, unstored)
        future: Future[Response] = Future()

        def answer() -> None:
            error = self.fail(request)
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(verdict_of(request))

        threading.Timer(self.delay(request), answer).start()
        return future

    def answer(self, requests: Sequence[Request]) -> list[Response]:
        raise AssertionError("a submitting adapter is streamed, not given batches")

    def fingerprint(self) -> dict[str, str]:
        return {"adapter": "concurrent"}


def test_streamed_answers_are_stored_as_they_arrive_within_the_window(dataset: Dataset) -> None:
    store = LoggingStore([])
    adapter = SubmitAdapter(store, lambda r: 0.002 * (int(r.item_id[1:]) % 5), concurrency=4)
    engine = make(adapter, store)
    plan = plan_for(engine, dataset)
    stats = engine.run(plan)
    assert (stats.sent, stats.errors) == (40, 0)
    assert Counter(adapter.keys) == Counter(q.key for q in plan)  # each key exactly once
    assert 1 <= adapter.most_unstored <= 4  # never more than the concurrency unstored
    assert all(n <= 4 for n, _ in store.puts) and len(store.puts) >= 10
    assert {thread for _, thread in store.puts} == {threading.current_thread().name}
    assert adapter.keys == [q.key for q in plan]  # sent item-major, in plan order
    assert engine.run(plan).sent == 0


def test_streamed_results_match_the_sequential_path(dataset: Dataset) -> None:
    streamed = make(SubmitAdapter(delay=lambda r: 0.02 if r.item_id == "i00" else 0.001))
    plan = plan_for(streamed, dataset)
    streamed.run(plan)
    sequential = make(MockAdapter(verdict_of, capabilities=Capabilities(max_batch=BATCH)))
    sequential.run(plan)
    got = [(r.key, r.verdict, r.response.text) for r in streamed.records(plan)]
    assert got == [(r.key, r.verdict, r.response.text) for r in sequential.records(plan)]


def test_a_submitted_request_that_raises_fails_only_itself(dataset: Dataset) -> None:
    adapter = SubmitAdapter(fail=lambda r: RuntimeError("boom") if r.item_id == "i03" else None)
    engine = make(adapter)
    plan = plan_for(engine, dataset)
    stats = engine.run(plan)
    failed = {r.item_id for r in engine.records(plan) if r.verdict == "error"}
    assert failed == {"i03"} and stats.errors == 2 and stats.sent == 40


def test_an_items_conditions_get_the_same_frame_objects(dataset: Dataset) -> None:
    adapter = SubmitAdapter()
    adapter.capabilities = Capabilities(max_batch=BATCH, concurrency=4, needs_frames=True)
    engine = make(adapter, samples=2)
    engine.run(plan_for(engine, dataset))
    assert len(adapter.frames) == 20  # 4 requests per item (2 conditions x 2 samples) ...
    assert all(len(shapes) == 1 for shapes in adapter.frames.values())  # ... one set of frames


def test_an_interrupted_stream_loses_at_most_the_window(dataset: Dataset, tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    store = SQLiteStore(cache)
    adapter = SubmitAdapter(concurrency=4)
    engine = make(adapter, store)
    plan = plan_for(engine, dataset)

    def stop(done: int, total: int, errors: int = 0) -> None:
        if done >= 17:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.run(plan, progress=stop)
    time.sleep(0.1)  # what was in flight comes back after the interruption: not stored
    store.close()
    probe = SQLiteStore(cache)
    stored = {q.key for q in plan} - set(probe.missing([q.key for q in plan]))
    probe.close()
    assert len(stored) >= 17 and len(set(adapter.keys) - stored) <= 4
    resumed = SubmitAdapter()
    stats = make(resumed, SQLiteStore(cache)).run(plan)
    assert not stored & set(resumed.keys) and stats.sent == 40 - len(stored)
