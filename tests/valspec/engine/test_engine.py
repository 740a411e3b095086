from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from valspec.adapters.base import Capabilities, Request, Response, Sampling
from valspec.adapters.mock import MockAdapter
from valspec.data.dataset import Dataset, load_dataset
from valspec.data.media import FrameSpec
from valspec.domain.personas import Persona
from valspec.domain.values import Value
from valspec.engine.engine import Engine
from valspec.engine.queries import NEUTRAL_CONDITION, Condition

PERSONA = Persona(id="p", name="P", description="d", raises=(Value.POWER,))


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    rows = []
    for i, value in enumerate(["power", "power", "security"]):
        name = f"i{i}.jpg"
        Image.new("RGB", (36, 64), (40 * i, 90, 160)).save(tmp_path / name)
        digest = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        rows.append({"id": f"i{i}", "file": name, "value": value, "sha256": digest})
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg at all")
    bad_hash = hashlib.sha256(b"not a jpeg at all").hexdigest()
    rows.append({"id": "bad", "file": "bad.jpg", "value": "security", "sha256": bad_hash})
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return load_dataset(tmp_path)


def yes(request: Request) -> Response:
    return Response(text="Yes, I like it." if request.item_id != "i1" else "No.", p_yes=0.7)


def _engine(adapter: MockAdapter, **kwargs: object) -> Engine:
    return Engine(
        adapter, fingerprint=adapter.fingerprint(), frame_spec=FrameSpec(frames=2), **kwargs
    )  # type: ignore[arg-type]


def test_shared_neutral_queries_are_planned_once(dataset: Dataset) -> None:
    engine = _engine(MockAdapter(yes))
    power = [i for i in dataset if i.value is Value.POWER]
    persona = Condition("simple", PERSONA)
    plan = engine.plan(
        [(NEUTRAL_CONDITION, power), (NEUTRAL_CONDITION, dataset.items), (persona, dataset.items)]
    )
    assert len(plan) == 2 * len(dataset)
    assert len({q.key for q in plan}) == len(plan)


def test_each_query_is_paid_once_and_results_are_stored(dataset: Dataset) -> None:
    adapter = MockAdapter(yes)
    engine = _engine(adapter)
    plan = engine.plan([(NEUTRAL_CONDITION, dataset.items)])
    first = engine.run(plan)
    assert (first.planned, first.sent, first.cached) == (4, 4, 0)
    second = engine.run(plan)
    assert (second.sent, second.cached) == (0, 4)
    assert len(adapter.requests) == 4
    verdicts = {r.item_id: r.verdict for r in engine.records(plan)}
    assert verdicts == {"i0": "yes", "i1": "no", "i2": "yes", "bad": "yes"}  # media not read


def test_media_errors_stay_with_their_item(dataset: Dataset) -> None:
    adapter = MockAdapter(yes, capabilities=Capabilities(max_batch=2, needs_frames=True))
    engine = _engine(adapter)
    plan = engine.plan([(NEUTRAL_CONDITION, dataset.items)])
    stats = engine.run(plan)
    assert stats.errors == 1
    bad = next(r for r in engine.records(plan) if r.item_id == "bad")
    assert bad.response.error and "bad.jpg" in bad.response.error
    assert all(len(r.frames) == 1 for r in adapter.requests)  # screenshots give one frame
    assert all(max(r.frames[0].size) <= 512 for r in adapter.requests)
    assert max(adapter.batches) <= 2 and sum(adapter.batches) == 3  # the bad item never sent


def test_an_adapter_that_raises_fails_only_its_batch(dataset: Dataset) -> None:
    calls = {"n": 0}

    def flaky(request: Request) -> Response:
        calls["n"] += 1
        if request.item_id == "i0":
            raise RuntimeError("boom")
        return yes(request)

    engine = _engine(MockAdapter(flaky, capabilities=Capabilities(max_batch=1, needs_frames=False)))
    plan = engine.plan([(NEUTRAL_CONDITION, dataset.items)])
    stats = engine.run(plan)
    records = {r.item_id: r for r in engine.records(plan)}
    assert stats.errors == 1 and "RuntimeError: boom" in str(records["i0"].response.error)
    assert records["i2"].verdict == "yes"


def test_real_adapters_never_see_labels(dataset: Dataset) -> None:
    adapter = MockAdapter(yes)
    engine = _engine(adapter)
    engine.run(engine.plan([(Condition("isq", PERSONA), dataset.items)]))
    assert adapter.requests and all(r.labels is None for r in adapter.requests)
    simulated = MockAdapter(yes, capabilities=Capabilities(simulated=True, needs_frames=False))
    engine = _engine(simulated)
    engine.run(engine.plan([(Condition("isq", PERSONA), dataset.items)]))
    assert all(
        r.labels is not None and r.labels.persona_raises == ("power",) for r in simulated.requests
    )


def test_keys_depend_on_what_determines_the_answer(dataset: Dataset) -> None:
    item = dataset.items[0]
    base = _engine(MockAdapter(yes)).key_for(item, NEUTRAL_CONDITION, 0)
    assert _engine(MockAdapter(yes)).key_for(item, NEUTRAL_CONDITION, 0) == base
    assert _engine(MockAdapter(yes)).key_for(item, NEUTRAL_CONDITION, 1) != base
    assert _engine(MockAdapter(yes)).key_for(item, Condition("simple", PERSONA), 0) != base
    other_model = MockAdapter(yes, fingerprint={"adapter": "mock", "model": "v2"})
    assert _engine(other_model).key_for(item, NEUTRAL_CONDITION, 0) != base
    hot = _engine(MockAdapter(yes), sampling=Sampling(temperature=0.7))
    assert hot.key_for(item, NEUTRAL_CONDITION, 0) != base
    same_fp = Engine(
        MockAdapter(yes),
        fingerprint={"adapter": "mock"},
        frame_spec=FrameSpec(frames=2, longest_side=256),
    )
    assert same_fp.key_for(item, NEUTRAL_CONDITION, 0) != base


def test_identical_answers_are_parsed_once_and_each_condition_rendered_once(
    dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    from valspec.domain.prompts import PromptTemplate
    from valspec.engine import engine as engine_module

    parses: list[str] = []
    renders: list[str] = []
    real_parse, real_render = engine_module.parse_answer, PromptTemplate.render

    def counting_parse(text: str, fmt: object) -> object:
        parses.append(text)
        return real_parse(text, fmt)  # type: ignore[arg-type]

    def counting_render(self: PromptTemplate, **kwargs: object) -> object:
        renders.append(self.name)
        return real_render(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module, "parse_answer", counting_parse)
    monkeypatch.setattr(PromptTemplate, "render", counting_render)
    engine = _engine(MockAdapter(yes))
    persona = Condition(strategy="simple", persona=PERSONA)
    plan = engine.plan([(NEUTRAL_CONDITION, dataset.items), (persona, dataset.items)])
    engine.run(plan)
    records = engine.records(plan)
    answered = [r for r in records if not r.response.error]
    assert len(answered) == 8  # 4 items x 2 conditions
    # two distinct texts in each of two answer formats: four parses for eight answers
    assert sorted(parses) == ["No.", "No.", "Yes, I like it.", "Yes, I like it."]
    assert len(renders) == 2  # one platform, two conditions: keys and requests share it
    assert {r.verdict for r in answered if r.item_id == "i1"} == {"no"}
