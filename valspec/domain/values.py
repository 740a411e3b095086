"""Schwartz's ten basic human values: definitions, their order on the circle, angles and groups.

The circle (circumplex) puts compatible values next to each other and conflicting ones
opposite. Conformity and tradition share one wedge (tradition on the outside), so the circle
has nine wedges of 40 degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from valspec.domain.errors import UnknownNameError


class Value(StrEnum):
    """One of Schwartz's ten values; declared in circle order."""

    SELF_DIRECTION = "self-direction"
    STIMULATION = "stimulation"
    HEDONISM = "hedonism"
    ACHIEVEMENT = "achievement"
    POWER = "power"
    SECURITY = "security"
    CONFORMITY = "conformity"
    TRADITION = "tradition"
    BENEVOLENCE = "benevolence"
    UNIVERSALISM = "universalism"


CIRCLE_ORDER: tuple[Value, ...] = tuple(Value)
"""Values in order around Schwartz's circle, starting at self-direction."""

ABBREVIATIONS: dict[Value, str] = {
    Value.SELF_DIRECTION: "SD",
    Value.STIMULATION: "ST",
    Value.HEDONISM: "HE",
    Value.ACHIEVEMENT: "AC",
    Value.POWER: "PO",
    Value.SECURITY: "SE",
    Value.CONFORMITY: "CO",
    Value.TRADITION: "TR",
    Value.BENEVOLENCE: "BE",
    Value.UNIVERSALISM: "UN",
}

DEFINITIONS: dict[Value, str] = {
    Value.SELF_DIRECTION: "Independent thought and action: choosing, creating, exploring.",
    Value.STIMULATION: "Excitement, novelty and challenge in life.",
    Value.HEDONISM: "Pleasure and sensuous gratification for oneself.",
    Value.ACHIEVEMENT: "Personal success through demonstrating competence by social standards.",
    Value.POWER: "Social status and prestige, control or dominance over people and resources.",
    Value.SECURITY: "Safety, harmony and stability of society, of relationships and of self.",
    Value.CONFORMITY: "Restraint of actions likely to upset others or violate social norms.",
    Value.TRADITION: "Respect for and commitment to the customs of one's culture or religion.",
    Value.BENEVOLENCE: "Preserving and enhancing the welfare of people one is close to.",
    Value.UNIVERSALISM: "Understanding, tolerance and protection for all people and nature.",
}

_WEDGE: dict[Value, int] = {v: i for i, v in enumerate(CIRCLE_ORDER[:7])} | {
    Value.TRADITION: 6,
    Value.BENEVOLENCE: 7,
    Value.UNIVERSALISM: 8,
}
N_WEDGES = 9

ANGLES: dict[Value, float] = {v: 360.0 * _WEDGE[v] / N_WEDGES for v in CIRCLE_ORDER}
"""Angle of each value on the circle in degrees (self-direction at 0; tradition and
conformity share 240)."""


@dataclass(frozen=True)
class HigherOrderGroup:
    """One of the four higher-order value groups (hedonism belongs to two)."""

    name: str
    label: str
    values: tuple[Value, ...]


GROUPS: tuple[HigherOrderGroup, ...] = (
    HigherOrderGroup(
        "openness-to-change",
        "Openness to change",
        (Value.SELF_DIRECTION, Value.STIMULATION, Value.HEDONISM),
    ),
    HigherOrderGroup(
        "self-enhancement", "Self-enhancement", (Value.ACHIEVEMENT, Value.POWER, Value.HEDONISM)
    ),
    HigherOrderGroup(
        "conservation", "Conservation", (Value.SECURITY, Value.CONFORMITY, Value.TRADITION)
    ),
    HigherOrderGroup(
        "self-transcendence", "Self-transcendence", (Value.BENEVOLENCE, Value.UNIVERSALISM)
    ),
)


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


def parse_value(name: str | Value) -> Value:
    """Look a value up by name ("Self Direction", "self_direction", "SD" all work).

    Raises :class:`UnknownNameError` suggesting the nearest valid name.
    """
    if isinstance(name, Value):
        return name
    key = _normalise(name)
    for value in CIRCLE_ORDER:
        if key in (value.value, value.value.replace("-", ""), ABBREVIATIONS[value].lower()):
            return value
    raise UnknownNameError("value", name, [v.value for v in CIRCLE_ORDER])


def parse_group(name: str) -> HigherOrderGroup:
    """Look a higher-order group up by name; raises with a suggestion when unknown."""
    key = _normalise(name)
    for group in GROUPS:
        if key == group.name:
            return group
    raise UnknownNameError("value group", name, [g.name for g in GROUPS])


def groups_of(value: Value) -> tuple[HigherOrderGroup, ...]:
    """The higher-order groups a value belongs to (two for hedonism)."""
    return tuple(g for g in GROUPS if value in g.values)


def angular_distance(a: Value, b: Value) -> float:
    """Smallest angle in degrees between two values on the circle (0 to 180)."""
    d = abs(ANGLES[a] - ANGLES[b]) % 360.0
    return min(d, 360.0 - d)


def circle_similarity(a: Value, b: Value) -> float:
    """cos(angle between a and b): 1 for the same wedge, about -1 for opposites."""
    return math.cos(math.radians(angular_distance(a, b)))


def opposite(value: Value) -> Value:
    """The value furthest from ``value`` on the circle.

    With nine equal wedges the point opposite a value falls between two values; the tie goes
    to the later one in circle order, which matches Schwartz's pairs (power against
    universalism, security against stimulation, self-direction against security).
    """
    return max(reversed(CIRCLE_ORDER), key=lambda other: angular_distance(value, other))
