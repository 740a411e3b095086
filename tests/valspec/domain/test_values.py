from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.domain.errors import UnknownNameError
from valspec.domain.values import (
    ANGLES,
    CIRCLE_ORDER,
    DEFINITIONS,
    GROUPS,
    Value,
    angular_distance,
    circle_similarity,
    groups_of,
    opposite,
    parse_group,
    parse_value,
)


def test_ten_values_in_schwartz_circle_order() -> None:
    assert [v.value for v in CIRCLE_ORDER] == [
        "self-direction",
        "stimulation",
        "hedonism",
        "achievement",
        "power",
        "security",
        "conformity",
        "tradition",
        "benevolence",
        "universalism",
    ]
    assert set(DEFINITIONS) == set(Value)
    assert all(DEFINITIONS[v].strip() for v in Value)


def test_conformity_and_tradition_share_a_wedge_and_angles_increase() -> None:
    assert ANGLES[Value.CONFORMITY] == ANGLES[Value.TRADITION]
    angles = [ANGLES[v] for v in CIRCLE_ORDER]
    assert angles == sorted(angles)
    assert len(set(angles)) == 9


def test_higher_order_groups() -> None:
    groups = {g.name: {v.value for v in g.values} for g in GROUPS}
    assert groups == {
        "openness-to-change": {"self-direction", "stimulation", "hedonism"},
        "self-enhancement": {"achievement", "power", "hedonism"},
        "conservation": {"security", "conformity", "tradition"},
        "self-transcendence": {"benevolence", "universalism"},
    }
    assert len(groups_of(Value.HEDONISM)) == 2
    assert parse_group("Self Transcendence").name == "self-transcendence"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Self Direction", Value.SELF_DIRECTION),
        ("self_direction", Value.SELF_DIRECTION),
        ("SD", Value.SELF_DIRECTION),
        ("POWER", Value.POWER),
        ("selfdirection", Value.SELF_DIRECTION),
    ],
)
def test_parse_value_accepts_common_spellings(text: str, value: Value) -> None:
    assert parse_value(text) is value


def test_unknown_value_suggests_the_nearest_name() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'benevolence'") as info:
        parse_value("benevolance")
    assert "Known values: self-direction" in str(info.value)


def test_opposites_follow_schwartz() -> None:
    assert opposite(Value.POWER) is Value.UNIVERSALISM
    assert opposite(Value.UNIVERSALISM) is Value.POWER
    assert opposite(Value.BENEVOLENCE) is Value.ACHIEVEMENT
    assert opposite(Value.SECURITY) is Value.STIMULATION


@given(st.sampled_from(list(Value)), st.sampled_from(list(Value)))
def test_circle_geometry_is_symmetric_and_bounded(a: Value, b: Value) -> None:
    assert angular_distance(a, b) == angular_distance(b, a)
    assert 0 <= angular_distance(a, b) <= 180
    assert -1.0 <= circle_similarity(a, b) <= 1.0
    assert circle_similarity(a, a) == pytest.approx(1.0)
