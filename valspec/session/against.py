"""Champion-challenger baselines (``--valspec-against``): the old model answers in the same run.

Both models are asked the same items under the same conditions and seed (through the one
response cache, so a repeat costs nothing), and the old model's payload takes the place of the
committed baseline file. Each run then draws fresh answers from *both* models, so the gate's
false-failure rate holds for every run, not only on average over baselines.
"""

from __future__ import annotations

from collections.abc import Callable

from valspec.domain.values import Value
from valspec.measure.drift import Comparison, Payload, compare_payload, persona_payload
from valspec.measure.drift import value_payload as _value_payload
from valspec.session.cases import ValueCase
from valspec.session.run import Run


def live_payload(against: Run, current: Payload) -> Payload | None:
    """The baseline model's payload for the case ``current`` describes (None if not planned)."""
    if "persona" in current:
        case = next(
            (
                c
                for c in against.persona_cases()
                if c.persona.id == current["persona"] and c.strategy == current["strategy"]
            ),
            None,
        )
        if case is None:
            return None
        return persona_payload(against.persona_result(case), against.identity(case))
    value = Value(str(current["value"]))
    if value not in against.values:
        return None
    return _value_payload(against.value_result(value), against.identity(ValueCase(value)))


class LiveBaseline:
    """A case's baseline from the model answered in this run; stands in for the snapshot check.

    Nothing is read from or written to ``snapshots/``: the comparison is with the other model.
    """

    update = False

    def __init__(self, against: Run, tolerance: Callable[[Payload], float]) -> None:
        self.against = against
        self.tolerance = tolerance

    def compare(self, payload: Payload, *, moved: bool | None = None) -> Comparison:
        """Compare with the baseline model's payload of the same case."""
        baseline = live_payload(self.against, payload)
        return compare_payload(payload, baseline, self.tolerance(payload))

    def failure(self, comparison: Comparison) -> str | None:
        """A stale comparison (prompt, data or frames differ) fails; nothing else here does."""
        return comparison.message if comparison.status == "stale" else None
