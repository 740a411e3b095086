"""The engine with the SQLite cache: resume, shared work, shards, samples, frames, progress."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import valspec.engine.decode as decode_module
from valspec.adapters.base import Capabilities, Request, Response
from valspec.adapters.mock import MockAdapter
from valspec.data.dataset import Dataset
from valspec.data.media import FrameSpec
from valspec.domain.personas import Persona
from valspec.domain.values import Value
from valspec.engine.cache import SQLiteStore
from valspec.engine.engine import Engine
from valspec.engine.queries import NEUTRAL_CONDITION, Condition, in_shard, parse_shard

PERSONA = Persona(id="p", name="P", description="d", raises=(Value.POWER,))
SIMPLE = Condition("simple", PERSONA)


@pytest.fixture
def dataset(tmp_path: Path, image_dataset: Callable[..., Dataset]) -> Dataset:
    return image_dataset(tmp_path, [f"i{i}" for i in range(6)], size=(32, 48), step=30)


def answer(request: Request) -> Response:
    return Response(text="Yes." if int(request.item_id[1:]) % 2 else "No.", p_yes=0.5)


def make(adapter: MockAdapter, cache: Path | None = None, **kwargs: object) -> Engine:
    store = SQLiteStore(cache) if cache is not None else None
    return Engine(
        adapter,
        fingerprint=adapter.fingerprint(),
        frame_spec=FrameSpec(frames=1),
        store=store,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_new_run_sends_only_what_the_cache_lacks(dataset: Dataset, tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    first = make(MockAdapter(answer), cache)
    plan = first.plan([(NEUTRAL_CONDITION, dataset.items[:4])])
    first.run(plan)
    adapter = MockAdapter(answer)
    second = make(adapter, cache)
    plan = second.plan([(NEUTRAL_CONDITION, dataset.items), (SIMPLE, dataset.items)])
    stats = second.run(plan)
    assert (stats.planned, stats.cached, stats.sent) == (12, 4, 8)
    assert len(adapter.requests) == 8
    assert [r.verdict for r in second.records(plan[:2])] == ["no", "no"]


def test_failed_queries_are_retried_by_the_next_run_only(dataset: Dataset, tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"

    def flaky(request: Request) -> Response:
        return Response.failed("HTTP 503") if request.item_id == "i1" else answer(request)

    first = make(MockAdapter(flaky), cache)
    plan = first.plan([(NEUTRAL_CONDITION, dataset.items)])
    assert first.run(plan).errors == 1
    assert first.run(plan).sent == 0  # the same run does not retry (its failure is stored)
    adapter = MockAdapter(answer)
    second = make(adapter, cache)
    assert second.run(plan).sent == 1 and adapter.requests[0].item_id == "i1"


def test_workers_sharing_a_cache_pay_each_query_once(dataset: Dataset, tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    seen: list[str] = []
    lock = threading.Lock()

    def slow(request: Request) -> Response:
        time.sleep(0.01)
        with lock:
            seen.append(request.key)
        return answer(request)

    caps = Capabilities(max_batch=2, needs_frames=False)
    engines = [make(MockAdapter(slow, capabilities=caps), cache) for _ in range(3)]
    plans = [e.plan([(NEUTRAL_CONDITION, dataset.items), (SIMPLE, dataset.items)]) for e in engines]
    stats = []
    threads = [
        threading.Thread(target=lambda e=e, p=p: stats.append(e.run(p)))
        for e, p in zip(engines, plans, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(seen) == sorted(q.key for q in plans[0])  # every query exactly once
    assert sum(s.sent for s in stats) == 12 and all(s.sent < 12 for s in stats)
    assert all(len(e.records(plans[0])) == 12 for e in engines)


def test_frames_are_decoded_once_per_item_across_conditions(
    dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[str] = []
    real = decode_module.load_frames

    def counting(path: Path, kind: str, spec: FrameSpec) -> list[Image.Image]:
        decoded.append(path.name)
        return real(path, kind, spec)

    monkeypatch.setattr(decode_module, "load_frames", counting)
    caps = Capabilities(max_batch=1, needs_frames=True)
    engine = make(MockAdapter(answer, capabilities=caps), samples=1)
    other = Condition("isq", PERSONA)
    engine.run(
        engine.plan(
            [(NEUTRAL_CONDITION, dataset.items), (SIMPLE, dataset.items), (other, dataset.items)]
        )
    )
    assert sorted(decoded) == sorted(i.path.name for i in dataset.items)


def test_samples_have_their_own_keys(dataset: Dataset) -> None:
    engine = make(MockAdapter(answer), samples=3)
    plan = engine.plan([(NEUTRAL_CONDITION, dataset.items[:2])])
    assert [q.sample_index for q in plan] == [0, 1, 2, 0, 1, 2]
    assert len({q.key for q in plan}) == 6
    assert all(engine.key_for(q.item, q.condition, q.sample_index) == q.key for q in plan)
    engine.run(plan)
    assert [r.sampling.sample_index for r in engine.adapter.requests][:3] == [0, 1, 2]  # type: ignore[attr-defined]


def test_keys_are_stable_across_engines_and_cover_sim_labels(dataset: Dataset) -> None:
    item = dataset.items[0]
    sim_caps = Capabilities(simulated=True, needs_frames=False)
    plain = make(MockAdapter(answer)).key_for(item, SIMPLE, 0)
    assert make(MockAdapter(answer)).key_for(item, SIMPLE, 0) == plain
    simulated = make(MockAdapter(answer, capabilities=sim_caps))
    other_labels = Persona(id="p", name="P", description="d", raises=(Value.TRADITION,))
    assert simulated.key_for(item, SIMPLE, 0) != plain
    assert simulated.key_for(item, Condition("simple", other_labels), 0) != simulated.key_for(
        item, SIMPLE, 0
    )


@given(
    keys=st.lists(st.text("0123456789abcdef", min_size=12, max_size=64), max_size=50),
    count=st.integers(1, 8),
)
def test_shards_split_every_key_into_exactly_one_shard(keys: list[str], count: int) -> None:
    for key in keys:
        assert sum(in_shard(key, i, count) for i in range(1, count + 1)) == 1


def test_parse_shard() -> None:
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/2", "3/2", "x/2", "2", "1/0"):
        with pytest.raises(ValueError, match="I/N"):
            parse_shard(bad)


RACER = """
import sys, time
from concurrent.futures import Future
from pathlib import Path
import threading
from valspec.adapters.base import Capabilities, Response
from valspec.data.dataset import load_dataset
from valspec.data.media import FrameSpec
from valspec.engine.cache import open_store
from valspec.engine.engine import Engine
from valspec.engine.queries import NEUTRAL_CONDITION

root, log = Path(sys.argv[1]), Path(sys.argv[2])


class Slow:
    name = "slow"
    capabilities = Capabilities(max_batch=8, concurrency=4, needs_frames=False)

    def fingerprint(self):
        return {"adapter": "slow"}

    def answer(self, requests):
        raise AssertionError("streamed")

    def submit(self, request):
        with log.open("a") as out:
            out.write(request.key + "\\n")
        future = Future()
        threading.Timer(0.05, future.set_result, [Response(text="Yes.")]).start()
        return future


store = open_store(root, path=root / "c.sqlite")
engine = Engine(Slow(), fingerprint={"adapter": "slow"}, frame_spec=FrameSpec(), store=store)
plan = engine.plan([(NEUTRAL_CONDITION, load_dataset(root).items)])
stats = engine.run(plan)
assert len(engine.records(plan)) == len(plan)
store.close()
print(stats.sent)
"""


def test_two_runs_started_together_on_one_cache_send_each_query_once(
    tmp_path: Path, image_dataset: Callable[..., Dataset]
) -> None:
    """Separate processes (not xdist workers: no shared run id) claim keys before asking."""
    import subprocess
    import sys

    image_dataset(tmp_path, [f"i{i:03d}" for i in range(120)], size=(8, 8), step=2)
    log = tmp_path / "sent.log"
    script = tmp_path / "racer.py"
    script.write_text(RACER)
    runs = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), str(log)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err[-2000:] for _, err in outputs]
    sent = log.read_text().split()
    assert len(sent) == len(set(sent)) == 120  # every query asked once, by one of the two
    assert sum(int(out) for out, _ in outputs) == 120
