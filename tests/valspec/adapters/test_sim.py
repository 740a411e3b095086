from __future__ import annotations

import json
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.adapters.base import Labels, Request, Sampling
from valspec.adapters.registry import resolve_spec
from valspec.adapters.sim import DRIFT, PAPER_PROFILES, REFERENCE_PROFILE, VARIANTS, create
from valspec.domain.messages import AnswerFormat
from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.parsing import Verdict, parse_answer


def _request(
    item: str,
    value: str = "power",
    fmt: AnswerFormat = AnswerFormat.YES_NO,
    raises: tuple[str, ...] = (),
    temperature: float = 0.0,
    sample: int = 0,
    condition: str = "neutral",
) -> Request:
    return Request(
        key=f"{item}/{condition}/{sample}",
        item_id=item,
        messages=(),
        answer_format=fmt,
        sampling=Sampling(temperature=temperature, sample_index=sample),
        labels=Labels({value: 1.0}, persona_raises=raises, condition=condition),
    )


def test_reference_profile_is_the_paper_average() -> None:
    assert REFERENCE_PROFILE[Value.UNIVERSALISM] == pytest.approx(73.25, abs=0.06)
    assert REFERENCE_PROFILE[Value.STIMULATION] == 55.0
    assert REFERENCE_PROFILE[Value.SELF_DIRECTION] == 70.5
    assert len(PAPER_PROFILES) == 8
    assert len(DRIFT) == 3 and all(abs(d) >= 8 for d in DRIFT.values())


def test_answers_are_deterministic_and_labelled_as_simulated() -> None:
    sim = create(resolve_spec("sim"))
    requests = [_request(f"i{n}") for n in range(20)]
    assert sim.answer(requests) == sim.answer(requests)
    assert "SIMULATED" in sim.describe()
    assert sim.fingerprint()["simulated"] == "true"


def test_without_labels_the_sim_returns_an_error_not_a_guess() -> None:
    sim = create(resolve_spec("sim"))
    bare = Request(key="k", item_id="i", messages=(), answer_format=AnswerFormat.YES_NO)
    assert sim.answer([bare])[0].error


def test_yes_rate_tracks_the_profile_over_many_items() -> None:
    sim = create(resolve_spec("sim:internvl2"))
    for value in (Value.STIMULATION, Value.TRADITION):
        answers = sim.answer([_request(f"x{n}", value.value) for n in range(2000)])
        mean_p = statistics.fmean(a.p_yes for a in answers if a.p_yes is not None)
        expected = PAPER_PROFILES["internvl2"][value] / 100
        assert mean_p == pytest.approx(expected, abs=0.06)  # item effects shrink toward 0.5


def test_personas_steer_except_for_stubborn() -> None:
    items = [f"x{n}" for n in range(400)]
    for name, expect_shift in (("sim", True), ("sim:stubborn", False)):
        sim = create(resolve_spec(name))
        neutral = sim.answer([_request(i, "benevolence") for i in items])
        persona = sim.answer(
            [
                _request(
                    i,
                    "benevolence",
                    AnswerFormat.JSON_DECISION,
                    ("benevolence",),
                    condition="p/simple",
                )
                for i in items
            ]
        )
        yes_n = sum(parse_answer(a.text).verdict is Verdict.YES for a in neutral)
        yes_p = sum(
            parse_answer(a.text, AnswerFormat.JSON_DECISION).verdict is Verdict.YES for a in persona
        )
        assert (yes_p - yes_n > 40) is expect_shift, (name, yes_n, yes_p)


def test_isq_answers_carry_complete_ratings() -> None:
    sim = create(resolve_spec("sim"))
    answers = sim.answer(
        [
            _request(f"i{n}", fmt=AnswerFormat.ISQ, raises=("power",), condition="p/isq")
            for n in range(30)
        ]
    )
    parsed = [parse_answer(a.text, AnswerFormat.ISQ) for a in answers]
    complete = [p for p in parsed if p.ratings is not None]
    assert len(complete) >= 25
    assert all(0 <= r <= 10 for p in complete for r in p.ratings.values())  # type: ignore[union-attr]


@given(st.integers(0, 50), st.integers(1, 5))
def test_sampling_at_temperature_varies_by_sample_index(item: int, k: int) -> None:
    sim = create(resolve_spec("sim"))
    first = sim.answer([_request(f"i{item}", temperature=1.0, sample=s) for s in range(k)])
    again = sim.answer([_request(f"i{item}", temperature=1.0, sample=s) for s in range(k)])
    assert first == again


def test_every_variant_covers_all_values() -> None:
    for profile in VARIANTS.values():
        assert set(profile.rates) == set(CIRCLE_ORDER)
        assert all(0 < r < 100 for r in profile.rates.values())
    assert json.dumps(sorted(VARIANTS))


PUBLISHED_AVERAGES = {
    "universalism": 73.3,
    "benevolence": 73.3,
    "tradition": 72.8,
    "self-direction": 70.5,
    "conformity": 68.8,
    "hedonism": 66.8,
    "achievement": 64.5,
    "power": 64.0,
    "security": 60.5,
    "stimulation": 55.0,
}
"""The paper's per-value averages over its eight models, as printed (one decimal)."""


def test_reference_profile_matches_the_published_averages_to_their_rounding() -> None:
    from valspec.adapters.sim import REFERENCE_PROFILE

    assert {v.value: r for v, r in REFERENCE_PROFILE.items()} == PUBLISHED_AVERAGES


def test_paper_strategy_steers_like_simple_and_its_neutral_does_not() -> None:
    sim = create(resolve_spec("sim"))
    for item in ("a", "b", "c"):
        raises = ("benevolence",)
        simple = sim.p_yes(item, _request(item, "benevolence", raises=raises).labels, "simple")  # type: ignore[arg-type]
        paper = sim.p_yes(item, _request(item, "benevolence", raises=raises).labels, "paper")  # type: ignore[arg-type]
        assert paper == simple
        plain = _request(item, "benevolence", condition="neutral:paper")
        # the same appeal; only the re-run noise (keyed by the condition) differs
        plain_p, neutral_p = (
            sim.answer([plain])[0].p_yes,
            sim.answer([_request(item, "benevolence")])[0].p_yes,
        )
        assert plain_p is not None and neutral_p is not None
        assert abs(plain_p - neutral_p) < 0.25
    stubborn = create(resolve_spec("sim:stubborn"))
    labels = _request("a", "benevolence", raises=("benevolence",)).labels
    assert stubborn.p_yes("a", labels, "paper") == stubborn.p_yes("a", labels, "neutral")  # type: ignore[arg-type]


def test_sim_reason_turn_follows_its_first_answer() -> None:
    from valspec.domain.messages import Message, TextPart

    sim = create(resolve_spec("sim"))

    def reason(said: str) -> str:
        request = _request("a", fmt=AnswerFormat.REASON, condition="p/paper>reason")
        turns = (
            Message("user", (TextPart("Is this content interesting to you?"),)),
            Message("assistant", (TextPart(said),)),
            Message("user", (TextPart("Why?"),)),
        )
        (response,) = sim.answer([Request(**{**request.__dict__, "messages": turns})])
        assert response.p_yes is None and response.meta == {"simulated": "true"}
        return response.text

    assert "care about" in reason("Yes.") and "scroll past" in reason("No.")
    assert reason("As an AI I cannot say.") == "I would rather not say why."
