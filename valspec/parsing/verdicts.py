"""The result of parsing one answer: the verdict, and what else the scorers read from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ISQ_MIDPOINT", "ISQ_SCALES", "ParsedAnswer", "Verdict"]


class Verdict(StrEnum):
    """The decision read from one answer."""

    YES = "yes"
    NO = "no"
    REFUSAL = "refusal"  # the model declined to decide (counted, never scored as "no")
    UNPARSABLE = "unparsable"  # no decision could be read without guessing


ISQ_SCALES: tuple[str, ...] = (
    "visual_appeal",
    "curiosity",
    "emotional_engagement",
    "value_to_persona",
)

ISQ_MIDPOINT = 5.0  # the middle of the 0-10 rating scale


@dataclass(frozen=True)
class ParsedAnswer:
    """What one answer says, as the scorers need it."""

    verdict: Verdict  # the decision the suite scores
    reason: str | None = None  # the why: JSON "reason", or the free text after the decision
    trait: str | None = None  # JSON "trait": which persona trait the item appeals to
    ratings: Mapping[str, float] | None = None  # ISQ ratings 0-10, complete and in range
    stated: Verdict | None = None  # ISQ: the decision the model stated
    derived: Verdict | None = None  # ISQ: the decision derived from the ratings

    @property
    def isq_disagrees(self) -> bool:
        """True when the model's stated ISQ decision contradicts its own ratings."""
        return self.stated is not None and self.derived is not None and self.stated != self.derived
