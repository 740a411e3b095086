"""The suite's test cases: a value case (the neutral yes-rate on one value's items) and a
persona case (one persona under one prompting strategy), with the conditions they ask in."""

from __future__ import annotations

from dataclasses import dataclass

from valspec.domain.personas import Persona
from valspec.domain.prompts import NEUTRAL_TWINS
from valspec.domain.values import Value
from valspec.engine.queries import NEUTRAL_CONDITION, Condition

DISLIKE_CONDITION = Condition(keying="dislike")
"""The reverse-keyed neutral question ("would you scroll past it?"), asked with --valspec-keying
balanced alongside the like question."""


@dataclass(frozen=True)
class ValueCase:
    """A value-preference test case: the neutral yes-rate on one value's items."""

    value: Value

    @property
    def id(self) -> str:
        """The pytest id, e.g. ``benevolence``."""
        return self.value.value


@dataclass(frozen=True)
class PersonaCase:
    """A persona-alignment test case: one persona under one prompting strategy."""

    persona: Persona
    strategy: str

    @property
    def id(self) -> str:
        """The pytest id, e.g. ``family-oriented-simple``."""
        return f"{self.persona.id}-{self.strategy}"

    @property
    def condition(self) -> Condition:
        """The condition the model is put in for this case."""
        return Condition(strategy=self.strategy, persona=self.persona)


Case = ValueCase | PersonaCase


def neutral_condition(strategy: str) -> Condition:
    """The neutral condition a strategy's persona cases are compared with: the strategy's own
    neutral question (the same question without a persona) when it has one, else ``neutral``."""
    return Condition(strategy=strategy) if strategy in NEUTRAL_TWINS else NEUTRAL_CONDITION
