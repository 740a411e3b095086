from __future__ import annotations

import pytest

from valspec.domain.errors import UnknownNameError
from valspec.domain.messages import AnswerFormat, MediaPart, TextPart
from valspec.domain.personas import Persona
from valspec.domain.prompts import (
    ANSWER_ORDERS,
    NEUTRAL_TWINS,
    PAPER_REASON_TEMPLATE,
    REVERSE_KEYED,
    TEMPLATES,
    PromptTemplate,
    answer_order_for,
    prompt_versions,
    template_for,
)
from valspec.domain.values import Value

# Pinned text hashes. Editing a template's text changes its hash; then bump its revision,
# update the pin here, and re-baseline snapshots: old answers were given to another prompt.
PINNED = {
    "neutral": (2, "3a801fb0"),
    "simple": (1, "8a20c7b8"),
    "isq": (1, "92f8d081"),
    "neutral-dislike": (1, "3ba4c5e4"),
    "paper": (1, "23be15b7"),
    "paper-neutral": (1, "d7b2d840"),
    "paper-reason": (1, "594f0a6c"),
}


def test_prompt_versions_are_pinned() -> None:
    extra = [*NEUTRAL_TWINS.values(), PAPER_REASON_TEMPLATE]
    templates = [*TEMPLATES.values(), *REVERSE_KEYED.values(), *extra]
    assert {t.name: (t.revision, t.text_hash[:8]) for t in templates} == PINNED
    assert set(prompt_versions()) == set(PINNED)


def test_answer_order_is_counterbalanced_and_both_wordings_share_a_version() -> None:
    for keying in ("like", "dislike"):
        first, second = (template_for("neutral", keying).with_order(o) for o in (0, 1))
        assert first.version == second.version and first.counterbalanced
        texts = [t.render(platform="tiktok")[1].content[1] for t in (first, second)]
        assert isinstance(texts[0], TextPart) and isinstance(texts[1], TextPart)
        assert "Answer Yes or No first" in texts[0].text
        assert "Answer No or Yes first" in texts[1].text
    # the chosen order is not part of the hash (the version names the pair of wordings)
    base = TEMPLATES["neutral"]
    assert (
        base.text_hash
        == PromptTemplate(
            base.name, base.revision, base.system, base.user, base.answer_format, order=1
        ).text_hash
    )
    assert not template_for("simple").counterbalanced
    assert ANSWER_ORDERS == ("Yes or No", "No or Yes")
    with pytest.raises(ValueError, match="answer order must be 0 or 1"):
        base.with_order(2)


def test_answer_order_is_a_stable_near_even_split_of_item_ids() -> None:
    orders = [answer_order_for(f"item-{n:04d}") for n in range(2000)]
    assert orders == [answer_order_for(f"item-{n:04d}") for n in range(2000)]
    assert 900 <= sum(orders) <= 1100


def test_reverse_keyed_question_asks_about_scrolling_past() -> None:
    dislike = template_for("neutral", "dislike")
    assert dislike.name == "neutral-dislike" and dislike.answer_format is AnswerFormat.YES_NO
    text = dislike.render(platform="tiktok")[1].content[1]
    assert isinstance(text, TextPart) and "scroll past this video" in text.text
    assert template_for("neutral", "like") is TEMPLATES["neutral"]
    with pytest.raises(ValueError, match="no reverse-keyed"):
        template_for("isq", "dislike")
    with pytest.raises(UnknownNameError):
        template_for("neutral", "dislikes")


def test_any_text_change_changes_the_version() -> None:
    base = TEMPLATES["neutral"]
    edited = PromptTemplate(
        base.name, base.revision, base.system, base.user + " ", base.answer_format
    )
    assert edited.version != base.version


PERSONA = Persona(id="p", name="P", description="You love boats.", raises=(Value.HEDONISM,))


def test_media_comes_before_the_persona_text() -> None:
    system, user = template_for("simple").render(platform="tiktok", persona=PERSONA)
    assert system.role == "system" and user.role == "user"
    assert isinstance(user.content[0], MediaPart)
    assert isinstance(user.content[1], TextPart)
    assert "You love boats." in user.content[1].text and "TikTok" in user.content[1].text
    assert "{" not in system.text


def test_answer_formats_and_unknown_strategy() -> None:
    assert template_for("neutral").answer_format is AnswerFormat.YES_NO
    assert template_for("isq").answer_format is AnswerFormat.ISQ
    assert '"decision"' in template_for("simple").render(platform="x", persona=PERSONA)[1].text
    with pytest.raises(UnknownNameError, match="Did you mean 'isq'"):
        template_for("isqq")
    with pytest.raises(ValueError, match="needs a persona"):
        template_for("isq").render(platform="tiktok")


def test_an_items_persona_prompts_share_system_turn_and_media_across_strategies() -> None:
    """What a prefix cache reuses (bench/prefix_sharing.py): every persona prompt of an item,
    in either strategy, starts with the same system turn and then the media."""
    other = Persona(id="q", name="Q", description="You love trains.", raises=(Value.POWER,))
    rendered = [
        template_for(strategy).render(platform="tiktok", persona=persona)
        for strategy in ("simple", "isq")
        for persona in (PERSONA, other)
    ]
    assert len({system for system, _ in rendered}) == 1
    assert all(isinstance(user.content[0], MediaPart) for _, user in rendered)


def _persona() -> Persona:
    return Persona(
        id="cook", name="Cook", description="You cook for your family.", raises=(Value.TRADITION,)
    )


def test_paper_strategy_puts_the_persona_in_the_system_turn_and_asks_one_word() -> None:
    system, user = template_for("paper").render(platform="tiktok", persona=_persona())
    assert system.role == "system" and "You cook for your family." in system.text
    assert user.role == "user" and isinstance(user.content[0], MediaPart)
    assert "cook" not in user.text.lower() and "TikTok" in user.text
    assert "Is this content interesting to you?" in user.text
    assert "Answer in one word: Yes or No." in user.text
    assert template_for("paper").answer_format is AnswerFormat.YES_NO
    with pytest.raises(ValueError, match="needs a persona"):
        template_for("paper").render(platform="tiktok")


def test_paper_neutral_asks_the_same_question_without_a_persona() -> None:
    neutral = template_for("paper", neutral=True)
    assert neutral.name == "paper-neutral" and neutral.user == template_for("paper").user
    system, user = neutral.render(platform="tiktok")
    assert "{persona}" not in system.text and "person:" not in system.text
    assert user.text == template_for("paper").render(platform="tiktok", persona=_persona())[1].text
    # the other strategies are compared with valspec's own neutral question
    assert template_for("simple", neutral=True) is template_for("neutral")


def test_paper_reason_turn_continues_the_same_conversation() -> None:
    template = template_for("paper")
    first = template.render(platform="tiktok", persona=_persona())
    assert template.follow_up is not None
    turns = template.follow_up.render_follow_up(first, "Yes.")
    assert [m.role for m in turns] == ["system", "user", "assistant", "user"]
    assert turns[:2] == first and turns[2].text == "Yes."
    assert turns[3].text.startswith("Why?") and not any(
        isinstance(p, MediaPart) for p in turns[3].content
    )
    assert template.follow_up.answer_format is AnswerFormat.REASON
    # the follow-up is not part of the first turn's version (its answer does not depend on it)
    assert (
        template.version
        == PromptTemplate(
            template.name, template.revision, template.system, template.user, template.answer_format
        ).version
    )


def test_paper_is_opt_in() -> None:
    from valspec.domain.prompts import ALL_STRATEGIES, OPT_IN_STRATEGIES, STRATEGIES

    assert STRATEGIES == ("simple", "isq") and OPT_IN_STRATEGIES == ("paper",)
    assert ALL_STRATEGIES == ("simple", "isq", "paper")
