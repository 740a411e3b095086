"""Turn parsed answers into scores: a value's share of "yes", and a persona's alignment shift.

Refusals, unparsable answers and failed queries are counted and reported but never scored as
"no": a value's score is the share of yes among the answers that decided yes or no. The
Value-Spectrum authors' code scores ``"yes" in text`` instead, so refusals and hedges count as
"no"; :func:`paper_score` is that number, reported beside valspec's to line up with the paper.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
from numpy.typing import NDArray

from valspec.domain.personas import Persona
from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.engine.answers import ERROR, NO_ISQ, YES, Answers, decided_codes
from valspec.engine.queries import Record
from valspec.measure.persona_metrics import PersonaMetrics, persona_metrics_from_codes
from valspec.measure.stats import (
    KeyingScores,
    mean_interval,
    normal_interval,
    paired_mean_difference,
    wilson_interval,
)


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

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


@dataclass(frozen=True)
class PaperScore:
    """The paper's way of scoring: percent yes among every answer, refusals and unparsable
    answers counted as "no" (failed queries, which gave no answer, left out), 95 % Wilson."""

    score: float  # percent (nan when there is no answer)
    ci: tuple[float, float]  # percent
    n: int  # answers: yes + no + refusal + unparsable

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded to 0.1 point: ``{"score", "ci95", "n"}`` (None for nan)."""

        def r(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 1)

        return {"score": r(self.score), "ci95": [r(self.ci[0]), r(self.ci[1])], "n": self.n}


def paper_score(counts: Tally) -> PaperScore:
    """Score a tally the paper's way (see :class:`PaperScore`)."""
    n = counts.total - counts.error
    if n == 0:
        return PaperScore(math.nan, (math.nan, math.nan), 0)
    low, high = wilson_interval(counts.yes, n)
    return PaperScore(100.0 * counts.yes / n, (100.0 * low, 100.0 * high), n)


Scorable = Answers | Sequence[Record]
"""What scorers accept: answers in column form (what runs pass), or records (tests)."""


def as_answers(answers: Scorable) -> Answers:
    """``answers`` in column form (records are converted)."""
    return answers if isinstance(answers, Answers) else Answers.from_records(answers)


def tally(answers: Scorable) -> Tally:
    """Count answers by verdict."""
    yes, no, refusal, unparsable, error = as_answers(answers).counts.tolist()
    return Tally(yes=yes, no=no, refusal=refusal, unparsable=unparsable, error=error)


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


def score_value(value: Value, answers: Scorable) -> ValueResult:
    """Score one value from its items' answers (one per item and sample)."""
    answers = as_answers(answers)
    counts = tally(answers)
    low, high = wilson_interval(counts.yes, counts.decided)
    score = 100.0 * counts.yes / counts.decided if counts.decided else math.nan
    p_values = answers.p_yes[~np.isnan(answers.p_yes)].tolist()
    mean_p = 100.0 * sum(p_values) / len(p_values) if p_values else None
    mode, item_scores = item_outcomes(answers)
    if mode == "binary":
        mode_score, mode_ci = score, (100.0 * low, 100.0 * high)
    else:
        mean, _, (m_low, m_high) = mean_interval(list(item_scores.values()))
        # A t interval on a few items can leave 0-100; a share cannot (nan stays nan).
        low_pt, high_pt = np.clip([100.0 * m_low, 100.0 * m_high], 0.0, 100.0).tolist()
        mode_score, mode_ci = 100.0 * mean, (low_pt, high_pt)
    items, index = answers.items, answers.item_index
    return ValueResult(
        value=value,
        tally=counts,
        score=score,
        ci=(100.0 * low, 100.0 * high),
        mean_p_yes=mean_p,
        items=answers.first_verdicts,
        errors={items[index[pos]]: why for pos, why in sorted(answers.errors.items())},
        mode=mode,
        item_scores=item_scores,
        mode_score=mode_score,
        mode_ci=mode_ci,
    )


_OUTCOMES: WeakKeyDictionary[Answers, tuple[str, dict[str, float]]] = WeakKeyDictionary()


def item_outcomes(answers: Scorable) -> tuple[str, dict[str, float]]:
    """Per-item outcomes in [0, 1] and their mode: mean P(yes) when the model reports it,
    else the share of yes over an item's samples (``sampled``), else its 1/0 verdict.

    Memoized per :class:`Answers` object (read-only result): every persona case of a run
    shares the neutral answers."""
    answers = as_answers(answers)
    found = _OUTCOMES.get(answers)
    if found is None:
        found = _OUTCOMES[answers] = _item_outcomes(answers)
    return found


def _item_outcomes(answers: Answers) -> tuple[str, dict[str, float]]:
    answered = answers.verdicts != ERROR
    reported = answered & ~np.isnan(answers.p_yes)
    if reported.any():
        return "p_yes", answers.item_means(answers.p_yes, reported)
    sampled = bool((answers.samples[answered] > 0).any())
    yes = (answers.verdicts == YES).astype(np.float64)
    shares = answers.item_means(yes, decided_codes(answers.verdicts))
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
    neutral: Mapping[Value, Scorable],
    playing: Mapping[Value, Scorable],
) -> PersonaResult:
    """Compare the persona condition's answers with the neutral ones, value by value."""
    before_by_value = {v: as_answers(a) for v, a in neutral.items()}
    after_by_value = {v: as_answers(a) for v, a in playing.items()}
    deltas: dict[Value, float] = {}
    ses: dict[Value, float] = {}
    for value in CIRCLE_ORDER:
        before, after = before_by_value.get(value), after_by_value.get(value)
        if before is None or after is None:
            continue
        before_codes, after_codes = paired_codes(before, after)
        decided = decided_codes(before_codes) & decided_codes(after_codes)
        if not decided.any():
            continue
        mean, se = paired_mean_difference(
            (after_codes[decided] == YES).astype(np.float64),
            (before_codes[decided] == YES).astype(np.float64),
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
    everything = list(after_by_value.values())
    isq = np.concatenate([a.isq for a in everything]) if everything else np.zeros(0, np.int8)
    stated = isq[isq != NO_ISQ]
    total = sum((tally(answers) for answers in everything), Tally())
    return PersonaResult(
        persona=persona,
        strategy=strategy,
        profile={v: score_value(v, after_by_value[v]) for v in CIRCLE_ORDER if v in playing},
        deltas=deltas,
        delta_se=ses,
        shift=shift,
        ci=ci,
        target_delta=_mean(deltas[v] for v in targets) if targets else math.nan,
        tally=total,
        isq_disagreement=int(stated.sum()) / len(stated) if len(stated) else None,
        metrics=persona_metrics_from_codes(
            persona.raises,
            {
                v: sorted_codes(before_by_value.get(v), after_by_value.get(v))
                for v in CIRCLE_ORDER
                if v in before_by_value or v in after_by_value
            },
        ),
        **_item_deltas(before_by_value, after_by_value),
    )


def paired_codes(before: Answers, after: Answers) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """First-sample verdict codes of both sides on ``before``'s items, in its order (-1 where
    ``after`` has no answer for an item)."""
    if before.items == after.items:  # the usual case: both planned from one item list
        return before.first_by_item, after.first_by_item
    return before.first_by_item, _codes_for(after, before.items)


def sorted_codes(
    before: Answers | None, after: Answers | None
) -> tuple[list[str], NDArray[np.int8], NDArray[np.int8]]:
    """First-sample verdict codes of both sides over the union of their items, sorted by id
    (-1 where a side has no answer): the persona metrics' input."""
    if before is not None and after is not None and before.items == after.items:
        order = before.sorted_items
        ids = [before.items[i] for i in order.tolist()]
        return ids, before.first_by_item[order], after.first_by_item[order]
    sides = [side.first_codes for side in (before, after) if side is not None]
    ids = sorted(set().union(*sides))
    return ids, _codes_for(before, ids), _codes_for(after, ids)


def _codes_for(answers: Answers | None, ids: Sequence[str]) -> NDArray[np.int8]:
    codes = answers.first_codes if answers is not None else {}
    return np.array([codes.get(i, -1) for i in ids], dtype=np.int8)


def _item_deltas(
    neutral: Mapping[Value, Answers], playing: Mapping[Value, Answers]
) -> dict[str, Any]:
    """Per-item persona-minus-neutral outcomes, by value, in one mode for every value."""
    empty = Answers.from_records([])
    pairs = {v: (item_outcomes(neutral.get(v, empty)), item_outcomes(playing[v])) for v in playing}
    modes = {m for (m0, _), (m1, _) in pairs.values() for m in (m0, m1)}
    if len(modes) > 1:  # mixed: fall back to first-sample verdicts everywhere
        pairs = {
            v: (_verdict_outcomes(neutral.get(v, empty)), _verdict_outcomes(playing[v]))
            for v in playing
        }
        modes = {"binary"}
    return {
        "item_deltas": {
            v: _differences(before, after) for v, ((_, before), (_, after)) in pairs.items()
        },
        "item_mode": modes.pop() if modes else "binary",
    }


def _differences(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """``after - before`` on the items both have, sorted by id."""
    if before.keys() == after.keys():  # the usual case; both are sorted by id
        diffs = np.fromiter(after.values(), float) - np.fromiter(before.values(), float)
        return dict(zip(after, diffs.tolist(), strict=True))
    return {i: after[i] - before[i] for i in sorted(set(before) & set(after))}


def _verdict_outcomes(answers: Answers) -> tuple[str, dict[str, float]]:
    verdicts = answers.first_verdicts
    return "binary", {i: float(v == "yes") for i, v in verdicts.items() if v in ("yes", "no")}


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else math.nan


def _sq(x: float) -> float:
    return 0.0 if math.isnan(x) else x * x
