from __future__ import annotations

import pytest

from valspec.adapters.base import AnswerFormat, MediaPart, TextPart
from valspec.errors import UnknownNameError
from valspec.personas import Persona
from valspec.prompts import TEMPLATES, PromptTemplate, template_for
from valspec.values import Value

# Pinned text hashes. Editing a template's text changes its hash; then bump its revision,
# update the pin here, and re-baseline snapshots: old answers were given to another prompt.
PINNED = {
    "neutral": (1, "2403fbd5"),
    "simple": (1, "8a20c7b8"),
    "isq": (1, "92f8d081"),
}


def test_prompt_versions_are_pinned() -> None:
    assert {n: (t.revision, t.text_hash[:8]) for n, t in TEMPLATES.items()} == PINNED


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
