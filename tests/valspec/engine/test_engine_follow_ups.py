"""Follow-up turns (the ``paper`` reason turn): planned from stored first answers, keyed by the
first turn's key and answer, sent through ``Engine.run`` and kept in the cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from valspec.adapters.base import Request, Response
from valspec.adapters.mock import MockAdapter
from valspec.data.dataset import Dataset
from valspec.data.media import FrameSpec
from valspec.domain.messages import AnswerFormat, MediaPart
from valspec.domain.personas import Persona
from valspec.domain.values import Value
from valspec.engine.cache import SQLiteStore
from valspec.engine.engine import Engine
from valspec.engine.queries import NEUTRAL_CONDITION, Condition, split_condition_id

PERSONA = Persona(id="cook", name="Cook", description="You cook.", raises=(Value.TRADITION,))
PAPER = Condition("paper", PERSONA)
PAPER_NEUTRAL = Condition("paper")


@pytest.fixture
def dataset(tmp_path: Path, image_dataset: Callable[..., Dataset]) -> Dataset:
    return image_dataset(tmp_path, [f"i{i}" for i in range(4)], size=(32, 48), step=30)


def answer(request: Request) -> Response:
    if request.answer_format is AnswerFormat.REASON:
        return Response(text=f"Because of {request.messages[2].text}")
    if request.item_id == "i3":
        return Response.failed("HTTP 503")
    return Response(text="Yes." if int(request.item_id[1:]) % 2 else "No.")


def make(adapter: MockAdapter, cache: Path) -> Engine:
    return Engine(
        adapter,
        fingerprint=adapter.fingerprint(),
        frame_spec=FrameSpec(1),
        store=SQLiteStore(cache),
    )


def test_two_turns_through_the_cache_and_a_rerun_sends_nothing(
    dataset: Dataset, tmp_path: Path
) -> None:
    cache, adapter = tmp_path / "c.sqlite", MockAdapter(answer)
    engine = make(adapter, cache)
    firsts = engine.plan([(PAPER, dataset.items), (PAPER_NEUTRAL, dataset.items)])
    engine.run(firsts)
    follow = engine.follow_ups(firsts)
    # the failed first turn (i3) has nothing to follow up
    assert len(follow) == 6 and {q.item.id for q in follow} == {"i0", "i1", "i2"}
    stats = engine.run(follow)
    assert stats.sent == 6 and stats.errors == 0
    sent = [r for r in adapter.requests if r.answer_format is AnswerFormat.REASON]
    first_of = {r.key: r for r in adapter.requests if r.answer_format is AnswerFormat.YES_NO}
    for request, query in zip(sent, follow, strict=True):
        assert request.key == query.key
        assert query.condition.follows is not None
        first = first_of[query.condition.follows.key]
        roles = [m.role for m in request.messages]
        assert roles == ["system", "user", "assistant", "user"]
        assert request.messages[:2] == first.messages  # the same conversation, continued
        assert request.messages[2].text == ("Yes." if query.item.id == "i1" else "No.")
        assert request.messages[3].text.startswith("Why?")
        assert not any(isinstance(p, MediaPart) for p in request.messages[3].content)
        assert request.frames == first.frames  # the image stays in the conversation
    records = engine.records(follow)
    assert records[0].response.text.startswith("Because of")
    assert split_condition_id(records[0].condition)[3] == "reason"
    assert records[0].condition in ("cook/paper>reason", "neutral:paper>reason")
    # a new engine on the same cache plans the same follow-ups and sends nothing at all
    again = MockAdapter(answer)
    second = make(again, cache)
    plan = second.plan([(PAPER, dataset.items), (PAPER_NEUTRAL, dataset.items)])
    second.run(plan)  # i3 failed before: retried (and fails again), nothing else is sent
    assert [r.item_id for r in again.requests] == ["i3", "i3"]
    follow_again = second.follow_ups(plan)
    assert [q.key for q in follow_again] == [q.key for q in follow]
    before = len(again.requests)
    assert second.run(follow_again).sent == 0 and len(again.requests) == before


def test_the_follow_up_key_covers_the_first_key_and_the_answer_text(
    dataset: Dataset, tmp_path: Path
) -> None:
    item = dataset.items[0]

    def keys(text: str, condition: Condition) -> tuple[str, str]:
        engine = make(MockAdapter(lambda r: Response(text=text)), tmp_path / f"{text}.sqlite")
        firsts = engine.plan([(condition, [item])])
        engine.run(firsts)
        (follow,) = engine.follow_ups(firsts)
        return firsts[0].key, follow.key

    first_yes, after_yes = keys("Yes.", PAPER)
    first_no, after_no = keys("No.", PAPER)
    assert first_yes == first_no and after_yes != after_no  # same first turn, other answer
    other_first, after_other = keys("Yes.", PAPER_NEUTRAL)
    assert other_first != first_yes and after_other != after_yes


def test_a_template_without_a_follow_up_gets_none(dataset: Dataset, tmp_path: Path) -> None:
    engine = make(MockAdapter(lambda r: Response(text="Yes.")), tmp_path / "c.sqlite")
    firsts = engine.plan([(NEUTRAL_CONDITION, dataset.items), (Condition("simple", PERSONA), [])])
    engine.run(firsts)
    assert engine.follow_ups(firsts) == []
    assert engine.follow_ups(engine.plan([(PAPER, dataset.items)])) == []  # not answered yet


def test_condition_ids_name_persona_strategy_keying_and_turn() -> None:
    assert PAPER_NEUTRAL.id == "neutral:paper" and PAPER.id == "cook/paper"
    assert split_condition_id("neutral") == ("", "neutral", "like", "first")
    assert split_condition_id("neutral~dislike") == ("", "neutral", "dislike", "first")
    assert split_condition_id("neutral:paper>reason") == ("", "paper", "like", "reason")
    assert split_condition_id("cook/paper>reason") == ("cook", "paper", "like", "reason")
    assert split_condition_id("cook/simple") == ("cook", "simple", "like", "first")


def test_cached_rows_know_each_turns_answer_format_for_re_parsing() -> None:
    from valspec.engine.cache_rows import _answer_format

    assert _answer_format("neutral") == "yes_no" and _answer_format("cook/isq") == "isq"
    assert _answer_format("neutral:paper") == "yes_no" and _answer_format("cook/paper") == "yes_no"
    assert _answer_format("cook/paper>reason") == "reason"
    assert _answer_format("neutral:paper>reason") == "reason"
    assert _answer_format("cook/simple>reason") == "" and _answer_format("cook/nope") == ""
