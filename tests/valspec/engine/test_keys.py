"""The query key: one recorded value, and every component that determines an answer moves it.

The key is finished in one place (``valspec.engine.engine.query_key``) on a prefix built in
one place (``Engine._key_prefix``); planning (``Engine.queries``) and single look-ups
(``Engine.key_for``) both go through them. ``KEY_SCHEME`` versions the canonical record:
a deliberate change of the key's format bumps it, and then ``RECORDED`` below is updated.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from valspec.adapters.base import Capabilities, Request, Response, Sampling
from valspec.adapters.mock import MockAdapter
from valspec.data import media
from valspec.data.dataset import Item
from valspec.data.media import FrameSpec
from valspec.domain.personas import Persona
from valspec.domain.prompts import PromptTemplate
from valspec.domain.values import Value
from valspec.engine import engine as engine_module
from valspec.engine.engine import Engine
from valspec.engine.queries import NEUTRAL_CONDITION, Condition, Prior

ITEM = Item(
    id="clip-1",
    file="clip-1.mp4",
    path=Path("/nowhere/clip-1.mp4"),
    kind="video",
    platform="tiktok",
    value=Value.POWER,
    sha256="ab" * 32,
    value_weights={Value.POWER: 1.0, Value.SECURITY: 0.5},
)
FINGERPRINT = {"adapter": "mock", "model": "m1"}
PERSONA = Persona(id="p", name="P", description="d", raises=(Value.POWER,))

RECORDED = "d97c0d4e17a4ef1db8705e0cbbcd524090f2507e51738fbf55a5bbf14453e8e3"
"""The key of ``ITEM`` under the neutral question with the settings of ``_engine()``."""


def _answer(_request: Request) -> Response:
    return Response(text="Yes.")


def _engine(*, simulated: bool = False, **kwargs: Any) -> Engine:
    capabilities = Capabilities(simulated=simulated, needs_frames=False)
    adapter = MockAdapter(_answer, capabilities=capabilities)
    settings: dict[str, Any] = {
        "fingerprint": FINGERPRINT,
        "frame_spec": FrameSpec(frames=4, longest_side=512),
        "sampling": Sampling(temperature=0.0, max_tokens=128, seed=0),
    }
    return Engine(adapter, **(settings | kwargs))


def _key(engine: Engine | None = None, item: Item = ITEM, **condition: Any) -> str:
    chosen = Condition(**condition) if condition else NEUTRAL_CONDITION
    return (engine or _engine()).key_for(item, chosen, 0)


def test_the_key_of_a_fixed_query_is_the_recorded_one() -> None:
    assert engine_module.KEY_SCHEME == "valspec-key-2"
    # A change here changes every stored answer's key (a full re-run): bump KEY_SCHEME when
    # it is deliberate. The neutral prompt's text is part of the key too (its version).
    assert _key() == RECORDED


RECORDED_UNICODE = "ace746fadad341289112b09fee1fce41ad9c0f9eaba47920690aba42af4349f3"
"""The same query for a model whose name is not ASCII ("modèle-ü ✓")."""


def test_text_that_is_not_ascii_enters_the_key_as_utf8() -> None:
    # The canonical record is UTF-8 JSON (not \u escapes): switching the encoding would
    # re-key every answer whose prompt, persona or model name has a non-ASCII character.
    engine = _engine(fingerprint={"adapter": "mock", "model": "modèle-ü ✓"})
    assert _key(engine) == RECORDED_UNICODE


def test_planning_and_look_up_give_the_same_keys_for_every_sample() -> None:
    engine = _engine(samples=3)
    planned = engine.queries([(NEUTRAL_CONDITION, ITEM), (Condition("simple", PERSONA), ITEM)])
    assert [q.sample_index for q in planned] == [0, 1, 2, 0, 1, 2]
    assert [q.key for q in planned] == [
        engine.key_for(q.item, q.condition, q.sample_index) for q in planned
    ]
    assert len({q.key for q in planned}) == 6
    assert planned[0].key == RECORDED  # sample 0 of a K-sample run is the single-sample key


@pytest.mark.parametrize(
    "change",
    [
        {"fingerprint": {"adapter": "mock", "model": "m2"}},
        {"frame_spec": FrameSpec(frames=8, longest_side=512)},
        {"frame_spec": FrameSpec(frames=4, longest_side=256)},
        {"sampling": Sampling(temperature=0.7, max_tokens=128, seed=0)},
        {"sampling": Sampling(temperature=0.0, max_tokens=64, seed=0)},
        {"sampling": Sampling(temperature=0.0, max_tokens=128, seed=1)},
    ],
    ids=["model", "frames", "longest-side", "temperature", "max-tokens", "seed"],
)
def test_each_run_setting_enters_the_key(change: dict[str, Any]) -> None:
    assert _key(_engine(**change)) != RECORDED


@pytest.mark.parametrize(
    "change",
    [{"id": "clip-2"}, {"sha256": "cd" * 32}, {"kind": "image"}, {"platform": "youtube_shorts"}],
    ids=["item-id", "media-hash", "kind", "platform (rendered text)"],
)
def test_each_item_field_that_reaches_the_model_enters_the_key(change: dict[str, Any]) -> None:
    assert _key(item=replace(ITEM, **change)) != RECORDED


def test_fields_that_never_reach_the_model_stay_out_of_the_key() -> None:
    unseen = replace(ITEM, file="elsewhere.mp4", caption="c", topic="t", value=Value.SECURITY)
    assert _key(item=unseen) == RECORDED


def test_the_sample_index_enters_the_key() -> None:
    engine = _engine()
    keys = {engine.key_for(ITEM, NEUTRAL_CONDITION, k) for k in range(4)}
    assert len(keys) == 4 and RECORDED in keys


def test_the_frame_sampler_version_enters_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "SAMPLER_VERSION", media.SAMPLER_VERSION + "+")
    assert _key() != RECORDED


def test_the_key_scheme_enters_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "KEY_SCHEME", "valspec-key-3")
    assert _key() != RECORDED


def _with_template(monkeypatch: pytest.MonkeyPatch, change: dict[str, Any]) -> None:
    original = Condition.template.fget  # type: ignore[attr-defined]

    def changed(condition: Condition) -> PromptTemplate:
        return replace(original(replace(condition, keying="like")), **change)

    monkeypatch.setattr(Condition, "template", property(changed))


def test_the_prompt_version_alone_enters_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_template(monkeypatch, {})
    assert _key() == RECORDED  # the patch itself changes nothing
    _with_template(monkeypatch, {"revision": 99})  # same text, another version
    assert _key() != RECORDED


def test_the_keying_alone_enters_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_template(monkeypatch, {})  # the like-keyed question's text for both
    assert _key(keying="dislike") != RECORDED


def test_the_rendered_conversation_enters_the_key() -> None:
    assert _key(strategy="simple", persona=PERSONA) != RECORDED
    other = replace(PERSONA, description="someone else")
    assert _key(strategy="simple", persona=other) != _key(strategy="simple", persona=PERSONA)


def test_a_follow_up_is_keyed_by_the_first_turn_and_its_answer() -> None:
    first = _key(strategy="paper")
    follow = _key(strategy="paper", follows=Prior(first, "Yes."))
    assert follow != first
    assert _key(strategy="paper", follows=Prior(first, "No.")) != follow
    assert _key(strategy="paper", follows=Prior("0" * 64, "Yes.")) != follow


def test_a_follow_up_is_keyed_by_the_first_prompt_version(monkeypatch: pytest.MonkeyPatch) -> None:
    follow = _key(strategy="paper", follows=Prior("k", "Yes."))
    original = Condition.first_template.fget  # type: ignore[attr-defined]
    bumped = property(lambda c: replace(original(c), revision=original(c).revision + 1))
    monkeypatch.setattr(Condition, "first_template", bumped)
    monkeypatch.setattr(Condition, "template", property(lambda c: original(c).follow_up))
    assert _key(strategy="paper", follows=Prior("k", "Yes.")) != follow


def test_a_simulation_is_keyed_by_the_labels_it_reads_and_a_real_model_is_not() -> None:
    sim = _engine(simulated=True)
    base = _key(sim)
    assert base != RECORDED
    relabelled = replace(ITEM, value_weights={Value.POWER: 1.0})
    assert _key(_engine(simulated=True), item=relabelled) != base  # items are memoized by id
    persona = _key(sim, strategy="simple", persona=PERSONA)
    lowers = replace(PERSONA, lowers=(Value.SECURITY,))
    assert _key(sim, strategy="simple", persona=lowers) != persona
    real = _key(item=replace(ITEM, value_weights={Value.POWER: 1.0}))
    assert real == RECORDED


def test_the_keys_of_a_follow_up_and_of_a_simulation_are_the_recorded_ones() -> None:
    """The optional parts of the record (a follow-up's first turn, a simulation's labels)
    are pinned too, so renaming or dropping one of their fields is caught."""
    follow = _key(strategy="paper", follows=Prior("f" * 64, "Yes, it is fun."))
    assert follow == "5bb9f4cb2e21fa5e98045958434b06514fdd6ad100aa87abb5e6593ba06984c7"
    sim = _key(_engine(simulated=True), strategy="simple", persona=PERSONA)
    assert sim == "dd896f7fdc016b2bd6305fb1abe92d72c9abaf5aaf0c63bd5c3e017e4c38bf1d"
