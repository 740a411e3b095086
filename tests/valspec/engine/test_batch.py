"""Provider batches end to end: the engine, the SQLite cache and the official client against
the loopback fake of /v1/files and /v1/batches (several states, output and error files,
expiry, partial failure, queue-limit refusals, interruption)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from valspec.adapters.base import Response
from valspec.adapters.batching import BatchError
from valspec.adapters.openai_api import OpenAIAdapter, OpenAISettings
from valspec.adapters.registry import ModelSpec
from valspec.data.dataset import Dataset
from valspec.data.media import FrameSpec
from valspec.domain.errors import ConfigError
from valspec.engine.batch import (
    BatchPending,
    Price,
    ProviderBatches,
    cost_line,
    parse_duration,
    parse_price,
)
from valspec.engine.batch_book import BatchBook
from valspec.engine.batch_files import Limits
from valspec.engine.cache import SQLiteStore
from valspec.engine.engine import Engine
from valspec.engine.queries import NEUTRAL_CONDITION, Query
from valspec.testing.batch_server import BatchServer, stand_in_p_yes

MODEL = "batchy"


@pytest.fixture
def dataset(tmp_path: Path, image_dataset: Callable[..., Dataset]) -> Dataset:
    folder = tmp_path / "data"
    folder.mkdir()
    return image_dataset(folder, [f"i{i}" for i in range(6)], size=(32, 48), step=30)


@pytest.fixture
def server() -> Iterator[BatchServer]:
    with BatchServer(max_lifetime_s=60) as fake:
        yield fake


class Harness:
    """A run's engine over one cache file, re-created per 'run' (a new process each time)."""

    def __init__(self, base_url: str, cache: Path, dataset: Dataset) -> None:
        self.base_url, self.cache, self.dataset = base_url, cache, dataset
        self.engines: list[Engine] = []

    def engine(self) -> Engine:
        spec = ModelSpec(name=MODEL, adapter="openai", model="gpt-x", options={})
        adapter = OpenAIAdapter(
            spec, OpenAISettings(base_url=self.base_url, max_attempts=1), "EMPTY"
        )
        engine = Engine(
            adapter,
            fingerprint=adapter.fingerprint(),
            frame_spec=FrameSpec(frames=1),
            store=SQLiteStore(self.cache),
        )
        self.engines.append(engine)
        return engine

    def step(self, **kwargs: Any) -> tuple[Engine, list[Query], Any]:
        engine = self.engine()
        plan = engine.plan([(NEUTRAL_CONDITION, self.dataset.items)])
        batches = ProviderBatches(
            engine, model=MODEL, folder=self.cache.parent / "batches", **kwargs
        )
        return engine, plan, batches.step(engine.missing(plan))

    def close(self) -> None:
        for engine in self.engines:
            engine.store.close()  # type: ignore[attr-defined]


@pytest.fixture
def harness(server: BatchServer, tmp_path: Path, dataset: Dataset) -> Iterator[Harness]:
    made = Harness(server.base_url, tmp_path / "cache.sqlite", dataset)
    yield made
    made.close()


def test_submit_then_collect_over_several_runs(harness: Harness, server: BatchServer) -> None:
    _, plan, first = harness.step()
    assert (first.submitted, first.pending) == (6, 6)
    assert [r.status for r in first.rows] == ["validating"]
    assert first.rows[0].provider_id in server.batches
    statuses = []
    for _ in range(3):
        _, _, later = harness.step()
        statuses.append((later.rows[0].status, later.pending))
    assert statuses == [("in_progress", 6), ("finalizing", 6), ("ingested", 0)]
    engine, plan, last = harness.step()
    assert (last.submitted, last.pending) == (0, 0)  # nothing resent: every key is stored
    records = engine.records(plan)
    assert [r.response.p_yes for r in records] == pytest.approx(
        [stand_in_p_yes(q.key) for q in plan]
    )
    assert all(r.response.error is None for r in records)
    uploads = [c for c in server.calls if c == "POST /v1/files"]
    assert len(uploads) == 1


def test_waiting_polls_until_done_in_one_step(harness: Harness) -> None:
    naps: list[float] = []
    engine, plan, summary = harness.step(wait_s=3600.0, sleep=naps.append)
    assert summary.pending == 0 and summary.ingested == 6
    assert naps == [0.2, 0.4, 0.8]  # backing off between looks
    assert len(engine.records(plan)) == 6


def test_a_wait_that_times_out_leaves_the_batch_pending(harness: Harness) -> None:
    _, _, summary = harness.step(wait_s=1e-9, sleep=lambda _s: None)
    assert summary.pending == 6
    assert BatchPending(summary).summary is summary
    assert "run the same command again" in str(BatchPending(summary))


def test_failed_lines_are_errors_for_this_run_and_asked_again_next_run(
    tmp_path: Path, dataset: Dataset
) -> None:
    with BatchServer(max_lifetime_s=60) as server:
        harness = Harness(server.base_url, tmp_path / "c.sqlite", dataset)
        try:
            keys = [q.key for q in harness.engine().plan([(NEUTRAL_CONDITION, dataset.items)])]
            server.fail_tags = (keys[1], keys[4])
            engine, plan, done = harness.step(wait_s=60.0, sleep=lambda _s: None)
            records = engine.records(plan)
            failed = [r for r in records if r.response.error]
            assert {r.key for r in failed} == {keys[1], keys[4]}
            assert all("HTTP 500" in (r.response.error or "") for r in failed)
            assert done.failed == len(failed) and done.ingested == 6 - len(failed)
            server.fail_tags = ()
            _, _, again = harness.step(wait_s=60.0, sleep=lambda _s: None)
            assert again.submitted == len(failed)  # only the failures are sent again
            final = harness.engine().records(plan)
            assert all(r.response.error is None for r in final)
        finally:
            harness.close()


def test_an_expired_batch_keeps_what_finished_and_the_rest_are_errors(
    tmp_path: Path, dataset: Dataset
) -> None:
    with BatchServer(expire_after=4, max_lifetime_s=60) as server:
        harness = Harness(server.base_url, tmp_path / "c.sqlite", dataset)
        try:
            engine, plan, done = harness.step(wait_s=60.0, sleep=lambda _s: None)
            errors = [r.response.error for r in engine.records(plan) if r.response.error]
            assert (done.ingested, done.failed) == (4, 2)
            assert all("batch_expired" in e for e in errors)
            assert done.rows[0].note == "expired: 4 answered, 2 failed"
        finally:
            harness.close()


@pytest.mark.parametrize("mode", ["http429", "failed"])
def test_refused_batches_are_kept_and_submitted_when_the_queue_has_room(
    tmp_path: Path, dataset: Dataset, mode: str
) -> None:
    with BatchServer(queue_limit=4, refuse_mode=mode, max_lifetime_s=60) as server:  # type: ignore[arg-type]
        harness = Harness(server.base_url, tmp_path / "c.sqlite", dataset)
        try:
            limits = Limits(max_requests=3)
            _, _, first = harness.step(limits=limits)
            if mode == "failed":  # the provider fails the second batch on its first look
                _, _, first = harness.step(limits=limits)
            assert first.refused >= 1 and first.pending == 6
            assert "queued" in {r.status for r in first.rows}
            for _ in range(8):
                _, _, later = harness.step(limits=limits)
            assert later.pending == 0
            uploads = [c for c in server.calls if c == "POST /v1/files"]
            assert len(uploads) == 2  # a refused file is not uploaded twice
        finally:
            harness.close()


def test_files_stay_within_the_limits(harness: Harness, server: BatchServer) -> None:
    _, _, summary = harness.step(limits=Limits(max_requests=4))
    assert [r.size for r in summary.rows] == [4, 2]
    line_bytes = summary.rows[0].bytes // 4
    _, _, none = harness.step(limits=Limits(max_requests=100, max_bytes=line_bytes * 2))
    assert none.submitted == 0  # already open: not submitted twice


def test_an_interrupted_upload_loses_nothing_and_resumes(
    harness: Harness, server: BatchServer
) -> None:
    engine = harness.engine()
    plan = engine.plan([(NEUTRAL_CONDITION, harness.dataset.items)])
    batches = ProviderBatches(engine, model=MODEL, folder=harness.cache.parent / "batches")
    real_client = batches.client

    class Broken:
        def upload(self, path: str, name: str) -> str:
            raise BatchError("batch upload: connection reset")

        def __getattr__(self, name: str) -> Any:
            return getattr(real_client, name)

    batches._client = Broken()  # type: ignore[assignment]
    with pytest.raises(BatchError):
        batches.step(engine.missing(plan))
    rows = BatchBook(engine.store.connection).rows()  # type: ignore[attr-defined]
    assert [(r.status, r.size) for r in rows] == [("written", 6)]  # booked before the upload
    _, _, resumed = harness.step()
    assert resumed.submitted == 0 and resumed.rows[0].status == "validating"


def test_batching_needs_a_batch_adapter_and_the_cache(dataset: Dataset) -> None:
    from valspec.adapters.mock import MockAdapter
    from valspec.adapters.sim import create as sim

    engine = Engine(
        MockAdapter(lambda _r: Response("Yes.")), fingerprint={}, frame_spec=FrameSpec(frames=1)
    )
    with pytest.raises(ConfigError, match="cannot run as batches"):
        ProviderBatches(engine, model="mock", folder=Path())
    spec = ModelSpec(name="m", adapter="openai", model="gpt-x", options={})
    adapter = OpenAIAdapter(spec, OpenAISettings(), "EMPTY")
    memory = Engine(adapter, fingerprint={}, frame_spec=FrameSpec(frames=1))
    with pytest.raises(ConfigError, match="needs the response cache"):
        ProviderBatches(memory, model="m", folder=Path())
    assert not sim(ModelSpec(name="sim", adapter="sim", model="reference")).capabilities.batch


def test_the_header_prices_the_batch_only_when_given_a_price() -> None:
    assert "half the synchronous price" in cost_line(1_000_000, 10, 8, None)
    assert "$" not in cost_line(1_000_000, 10, 8, None)
    line = cost_line(2_000_000, 1000, 100, Price(2.5, 10.0))
    assert "at most $3.00 (synchronous at most $6.00)" in line  # 2M x 2.5 + 100k x 10
    assert parse_price("2.5") == (2.5, None)
    assert parse_duration("30m") == 1800.0 and parse_duration("90") == 90.0
