"""The scene registry: every drawable scene by name, as the catalogue refers to them.

A scene is a function ``(painter, t, style) -> None`` that draws one frame at time ``t``
seconds; it must depend on nothing else, so frames are reproducible.
"""

from __future__ import annotations

from collections.abc import Callable

from valspec.fixturegen import (
    scenes_conservation,
    scenes_enhancement,
    scenes_openness,
    scenes_transcendence,
)
from valspec.fixturegen.figures import Style
from valspec.fixturegen.painter import Painter

Scene = Callable[[Painter, float, Style], None]

SCENES: dict[str, Scene] = {
    "solo_trip": scenes_openness.solo_trip,
    "diy_maker": scenes_openness.diy_maker,
    "skydiving": scenes_openness.skydiving,
    "surfing": scenes_openness.surfing,
    "roller_coaster": scenes_openness.roller_coaster,
    "dessert_feast": scenes_openness.dessert_feast,
    "beach_vacation": scenes_openness.beach_vacation,
    "concert": scenes_openness.concert,
    "graduation": scenes_enhancement.graduation,
    "trophy_podium": scenes_enhancement.trophy_podium,
    "promotion": scenes_enhancement.promotion,
    "luxury_car": scenes_enhancement.luxury_car,
    "corner_office": scenes_enhancement.corner_office,
    "boardroom": scenes_enhancement.boardroom,
    "home_security": scenes_conservation.home_security,
    "savings_plan": scenes_conservation.savings_plan,
    "waiting_in_line": scenes_conservation.waiting_in_line,
    "quiet_library": scenes_conservation.quiet_library,
    "wedding_ritual": scenes_conservation.wedding_ritual,
    "holiday_dinner": scenes_conservation.holiday_dinner,
    "food_bank": scenes_transcendence.food_bank,
    "helping_neighbour": scenes_transcendence.helping_neighbour,
    "beach_cleanup": scenes_transcendence.beach_cleanup,
    "globe_handshake": scenes_transcendence.globe_handshake,
    "tree_planting": scenes_transcendence.tree_planting,
}
