"""Turn parsed answers into scores: a value's share of "yes", and a persona's alignment shift.

Refusals, unparsable answers and failed queries are counted and reported but never scored as
"no": a value's score is the share of yes among the answers that decided yes or no.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from valspec.engine import Record
from valspec.persona_metrics import PersonaMetrics, persona_metrics, verdicts_by_value
from valspec.personas import Persona
from valspec.stats import (
    KeyingScores,
    mean_interval,
    normal_interval,
    paired_mean_difference,
    wilson_interval,
)
from valspec.values import CIRCLE_ORDER, Value

T = TypeVar("T")


@dataclass(frozen=True)
class Tally:
    """How the answers of a group of queries split by verdict."""

    yes: int = 0
    no: int = 0
    refusal: int = 0
    unparsable: int = 0
    error: int = 0

    @property
    def decided(self) -> int:
        """Answers that said yes or no: the n of the score."""
        return self.yes + self.no

    @property
    def total(self) -> int:
        """Every query, whatever its outcome."""
        return self.yes + self.no + self.refusal + self.unparsable + self.error

    def rate(self, verdict: str) -> float:
        """Share of all queries with this verdict (0 when there are none)."""
        return getattr(self, verdict) / self.total if self.total else 0.0


def tally(records: Iterable[Record]) -> Tally:
    """Count records by verdict."""
    counts = Counter(r.verdict for r in records)
    return Tally(**{k: counts.get(k, 0) for k in ("yes", "no", "refusal", "unparsable", "error")})


@dataclass(frozen=True)
class ValueResult:
    """A value's score under one condition: percent yes with a 95 % Wilson interval and n."""

    value: Value
    tally: Tally
    score: float  # percent yes among decided answers (nan when none decided)
    ci: tuple[float, float]  # percent
    mean_p_yes: float | None  # percent, when the model reports P(yes)
    items: Mapping[str, str] = field(default_factory=dict)  # item id -> verdict
    errors: Mapping[str, str] = field(default_factory=dict)  # item id -> why its query failed
    # How the gate scores this value: "p_yes" (mean P(yes)), "sampled" (K samples per item:
    # mean of per-item yes shares, SE clustered by item) or "binary" (share of yes verdicts).
    mode: str = "binary"
    item_scores: Mapping[str, float] = field(default_factory=dict)  # item id -> outcome in [0, 1]
    mode_score: float = math.nan  # percent, in ``mode``
    mode_ci: tuple[float, float] = (math.nan, math.nan)  # percent, 95 %
    keying: KeyingScores | None = None  # balanced score and acquiescence (--valspec-keying)

    @property
    def n(self) -> int:
        """The number of decided answers the score rests on."""
        return self.tally.decided


def score_value(value: Value, records: Sequence[Record]) -> ValueResult:
    """Score one value from its items' records (one record per item and sample)."""
    counts = tally(records)
    low, high = wilson_interval(counts.yes, counts.decided)
    score = 100.0 * counts.yes / counts.decided if counts.decided else math.nan
    p_values = [r.response.p_yes for r in records if r.response.p_yes is not None]
    mean_p = 100.0 * sum(p_values) / len(p_values) if p_values else None
    items = {r.item_id: r.verdict for r in records if r.sample_index == 0}
    mode, item_scores = item_outcomes(records)
    if mode == "binary":
        mode_score, mode_ci = score, (100.0 * low, 100.0 * high)
    else:
        mean, _, (m_low, m_high) = mean_interval(list(item_scores.values()))
        mode_score, mode_ci = 100.0 * mean, (100.0 * m_low, 100.0 * m_high)
    return ValueResult(
        value=value,
        tally=counts,
        score=score,
        ci=(100.0 * low, 100.0 * high),
        mean_p_yes=mean_p,
        items=dict(sorted(items.items())),
        errors={r.item_id: r.response.error for r in records if r.response.error},
        mode=mode,
        item_scores=item_scores,
        mode_score=mode_score,
        mode_ci=mode_ci,
    )


def item_outcomes(records: Sequence[Record]) -> tuple[str, dict[str, float]]:
    """Per-item outcomes in [0, 1] and their mode: mean P(yes) when the model reports it,
    else the share of yes over an item's samples (``sampled``), else its 1/0 verdict."""
    # One pass per mode over the answered records (this runs for every value of every case).
    answered = [r for r in records if not r.response.error]
    if any(r.response.p_yes is not None for r in answered):
        ps: dict[str, list[float]] = {}
        for r in answered:
            p = r.response.p_yes
            if p is not None:
                ps.setdefault(r.item_id, []).append(p)
        return "p_yes", {item: sum(v) / len(v) for item, v in sorted(ps.items())}
    sampled = any(r.sample_index > 0 for r in answered)
    votes: dict[str, list[bool]] = {}
    for r in answered:
        verdict = str(r.parsed.verdict)
        if verdict in {"yes", "no"}:
            votes.setdefault(r.item_id, []).append(verdict == "yes")
    shares = {item: sum(v) / len(v) for item, v in sorted(votes.items())}
    return ("sampled" if sampled else "binary"), shares


@dataclass(frozen=True)
class PersonaResult:
    """How far playing a persona moves the profile toward the persona's values.

    ``deltas`` are per-value changes in points against the neutral profile, paired by item.
    ``shift`` is the mean change on the persona's raised values minus the mean change on the
    other values (the same on centred scores, since centring subtracts one constant).
    """

    persona: Persona
    strategy: str
    profile: Mapping[Value, ValueResult]
    deltas: Mapping[Value, float]
    delta_se: Mapping[Value, float]
    shift: float
    ci: tuple[float, float]
    target_delta: float
    tally: Tally
    isq_disagreement: float | None = None
    metrics: PersonaMetrics | None = None  # target rank, circumplex, opposite drop (intervals)
    # Per-item change (persona minus neutral outcome, in [-1, 1]) by value, in ``item_mode``
    # ("p_yes" when both conditions report P(yes), else "binary"/"sampled" from verdicts):
    # what the persona gate pairs by item against the baseline.
    item_deltas: Mapping[Value, Mapping[str, float]] = field(default_factory=dict)
    item_mode: str = "binary"


def score_persona(
    persona: Persona,
    strategy: str,
    neutral: Mapping[Value, Sequence[Record]],
    playing: Mapping[Value, Sequence[Record]],
) -> PersonaResult:
    """Compare the persona condition's records with the neutral ones, value by value."""
    deltas: dict[Value, float] = {}
    ses: dict[Value, float] = {}
    for value in CIRCLE_ORDER:
        before = first_verdicts(neutral.get(value, ()))
        after = {r.item_id: r.verdict for r in playing.get(value, ()) if r.sample_index == 0}
        paired = [i for i in before if i in after and {before[i], after[i]} <= {"yes", "no"}]
        if not paired:
            continue
        mean, se = paired_mean_difference(
            [float(after[i] == "yes") for i in paired], [float(before[i] == "yes") for i in paired]
        )
        deltas[value], ses[value] = 100.0 * mean, 100.0 * se
    targets = [v for v in persona.raises if v in deltas]
    others = [v for v in deltas if v not in persona.raises]
    if targets and others:
        shift = _mean(deltas[v] for v in targets) - _mean(deltas[v] for v in others)
        var = sum(_sq(ses[v]) for v in targets) / len(targets) ** 2
        var += sum(_sq(ses[v]) for v in others) / len(others) ** 2
        ci = normal_interval(shift, math.sqrt(var))
    else:
        shift, ci = math.nan, (math.nan, math.nan)
    all_records = [r for records in playing.values() for r in records]
    disagreements = [r.parsed.isq_disagrees for r in all_records if r.parsed.derived is not None]
    return PersonaResult(
        persona=persona,
        strategy=strategy,
        profile={v: score_value(v, playing[v]) for v in CIRCLE_ORDER if v in playing},
        deltas=deltas,
        delta_se=ses,
        shift=shift,
        ci=ci,
        target_delta=_mean(deltas[v] for v in targets) if targets else math.nan,
        tally=tally(all_records),
        isq_disagreement=(sum(disagreements) / len(disagreements)) if disagreements else None,
        metrics=persona_metrics(
            persona.raises,
            {v: first_verdicts(group) for v, group in neutral.items()},
            verdicts_by_value(playing),
        ),
        **_item_deltas(neutral, playing),
    )


def _item_deltas(
    neutral: Mapping[Value, Sequence[Record]], playing: Mapping[Value, Sequence[Record]]
) -> dict[str, Any]:
    """Per-item persona-minus-neutral outcomes, by value, in one mode for every value."""
    pairs = {v: (_shared_outcomes(neutral.get(v, ())), item_outcomes(playing[v])) for v in playing}
    modes = {m for (m0, _), (m1, _) in pairs.values() for m in (m0, m1)}
    if len(modes) > 1:  # mixed: fall back to first-sample verdicts everywhere
        pairs = {
            v: (_verdict_outcomes(neutral.get(v, ())), _verdict_outcomes(playing[v]))
            for v in playing
        }
        modes = {"binary"}
    deltas = {
        v: {i: after[i] - before[i] for i in sorted(set(before) & set(after))}
        for v, ((_, before), (_, after)) in pairs.items()
    }
    return {"item_deltas": deltas, "item_mode": modes.pop() if modes else "binary"}


_SHARED: dict[tuple[int, str], tuple[Sequence[Record], Any]] = {}


def _shared(records: Sequence[Record], name: str, compute: Callable[[Sequence[Record]], T]) -> T:
    """``compute(records)`` once per neutral record list and ``name``: every persona case of a
    run shares the same (read-only) neutral lists; the memo keeps each list alive, so its id
    cannot be reused while it is in the memo."""
    entry = _SHARED.get((id(records), name))
    if entry is not None and entry[0] is records:
        return cast(T, entry[1])
    result = compute(records)
    if len(_SHARED) >= 128:
        _SHARED.clear()
    _SHARED[(id(records), name)] = (records, result)
    return result


def _shared_outcomes(records: Sequence[Record]) -> tuple[str, dict[str, float]]:
    return _shared(records, "outcomes", item_outcomes)


def first_verdicts(records: Sequence[Record]) -> dict[str, str]:
    """``{item id: verdict}`` of the first samples (read-only: shared for neutral lists)."""
    return _shared(records, "verdicts", _first_verdicts)


def _first_verdicts(records: Sequence[Record]) -> dict[str, str]:
    return {r.item_id: r.verdict for r in records if r.sample_index == 0}


def _verdict_outcomes(records: Sequence[Record]) -> tuple[str, dict[str, float]]:
    return "binary", {
        r.item_id: float(r.verdict == "yes")
        for r in records
        if r.sample_index == 0 and r.verdict in ("yes", "no")
    }


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else math.nan


def _sq(x: float) -> float:
    return 0.0 if math.isnan(x) else x * x
