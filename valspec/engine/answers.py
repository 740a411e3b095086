"""Answered queries in column form: what scoring needs from each answer, as arrays.

A cached run at Value-Spectrum scale reads ~550,000 answers. As objects (a ``Record`` with its
``Response`` and ``ParsedAnswer``) each costs microseconds to build and keeps the garbage
collector busy; scoring needs only five facts per answer: which item, which sample, the
verdict, P(yes), and whether a questionnaire answer contradicted its own ratings. Stores
hand those over as :class:`Columns` (by position, possibly with holes), and the run turns a
complete set into :class:`Answers`, the input of every scorer. Full records stay available
for the per-response report (``Engine.records``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from valspec.engine.queries import Query, Record

VERDICTS = ("yes", "no", "refusal", "unparsable", "error")
"""Verdict names by code: an answer's verdict is stored as its index here (int8)."""
YES, NO, REFUSAL, UNPARSABLE, ERROR = range(len(VERDICTS))
VERDICT_CODES = {name: code for code, name in enumerate(VERDICTS)}
_NAMES = np.array(VERDICTS, dtype=object)
NO_ISQ = -1
"""``isq`` code of an answer without a stated-and-derived questionnaire decision."""


def decided_codes(codes: NDArray[np.int8]) -> NDArray[np.bool_]:
    """Where a verdict code says yes or no (the answers a score rests on)."""
    return np.asarray((codes == YES) | (codes == NO), dtype=bool)


@dataclass(frozen=True, eq=False)
class Columns:
    """What a store holds for a list of keys, by position: ``found[i]`` says whether key i
    has a usable answer; the other arrays are meaningful only where it does."""

    found: NDArray[np.bool_]
    verdicts: NDArray[np.int8]  # codes into VERDICTS; ERROR for a failed query
    p_yes: NDArray[np.float64]  # nan when the model reported none
    isq: NDArray[np.int8]  # 1: stated decision contradicts the ratings, 0: agrees, -1: n/a
    errors: Mapping[int, str] = field(default_factory=dict)  # position -> why it failed

    @classmethod
    def blank(cls, size: int) -> Columns:
        """Nothing found yet for ``size`` keys (filled in by a store)."""
        return cls(
            found=np.zeros(size, dtype=bool),
            verdicts=np.full(size, UNPARSABLE, dtype=np.int8),
            p_yes=np.full(size, np.nan),
            isq=np.full(size, NO_ISQ, dtype=np.int8),
            errors={},
        )

    @classmethod
    def of_records(cls, records: Sequence[Record | None]) -> Columns:
        """Columns from records by position (None: no answer there)."""
        columns = cls.blank(len(records))
        errors: dict[int, str] = {}
        for position, record in enumerate(records):
            if record is None:
                continue
            columns.found[position] = True
            columns.verdicts[position] = VERDICT_CODES[record.verdict]
            p_yes = record.response.p_yes
            if p_yes is not None:
                columns.p_yes[position] = p_yes
            if record.parsed.derived is not None:
                columns.isq[position] = int(record.parsed.isq_disagrees)
            if record.response.error:
                errors[position] = record.response.error
        return replace(columns, errors=errors)

    def part(self, start: int, stop: int) -> Columns:
        """Positions ``start:stop`` as columns of their own (positions renumbered from 0)."""
        return Columns(
            found=self.found[start:stop],
            verdicts=self.verdicts[start:stop],
            p_yes=self.p_yes[start:stop],
            isq=self.isq[start:stop],
            errors={p - start: why for p, why in self.errors.items() if start <= p < stop},
        )

    @property
    def complete(self) -> bool:
        """Whether every key has an answer."""
        return bool(self.found.all())


@dataclass(frozen=True, eq=False)
class Answers:
    """The answers to a list of queries, one entry per query, in the queries' order.

    ``items`` lists each distinct item once (first appearance first) and ``item_index[i]`` is
    answer i's place in it, so per-item means are one ``bincount``.
    """

    items: Sequence[str]
    item_index: NDArray[np.intp]
    samples: NDArray[np.int32]
    verdicts: NDArray[np.int8]
    p_yes: NDArray[np.float64]
    isq: NDArray[np.int8]
    errors: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, item_ids: Sequence[str], samples: Sequence[int] | NDArray[np.int32], columns: Columns
    ) -> Answers:
        """Answers from per-answer item ids and sample indexes plus a complete set of columns."""
        if not columns.complete:
            raise KeyError(f"{int((~columns.found).sum())} queries have no stored answer")
        places: dict[str, int] = {}
        index = np.fromiter(
            (places.setdefault(i, len(places)) for i in item_ids),
            dtype=np.intp,
            count=len(item_ids),
        )
        return cls(
            items=list(places),
            item_index=index,
            samples=np.asarray(samples, dtype=np.int32),
            verdicts=columns.verdicts,
            p_yes=columns.p_yes,
            isq=columns.isq,
            errors=dict(columns.errors),
        )

    @classmethod
    def of_queries(cls, queries: Sequence[Query], columns: Columns) -> Answers:
        """Answers to ``queries`` from the columns a store returned for their keys."""
        return cls.build(
            [q.item.id for q in queries],
            np.fromiter((q.sample_index for q in queries), dtype=np.int32, count=len(queries)),
            columns,
        )

    @classmethod
    def from_records(cls, records: Sequence[Record]) -> Answers:
        """Answers from records (tests, and stores without a column form)."""
        samples = np.fromiter((r.sample_index for r in records), dtype=np.int32, count=len(records))
        return cls.build([r.item_id for r in records], samples, Columns.of_records(records))

    def __len__(self) -> int:
        return len(self.verdicts)

    # -- views scorers share (computed once per Answers) -------------------------------------
    @cached_property
    def counts(self) -> NDArray[np.intp]:
        """How many answers have each verdict, indexed by code."""
        return np.bincount(self.verdicts, minlength=len(VERDICTS))

    @cached_property
    def first_by_item(self) -> NDArray[np.int8]:
        """Each item's first-sample (sample index 0) verdict code, in item order; -1 for an
        item without one."""
        codes = np.full(len(self.items), -1, dtype=np.int8)
        first = np.flatnonzero(self.samples == 0)
        codes[self.item_index[first]] = self.verdicts[first]
        return codes

    @cached_property
    def sorted_items(self) -> NDArray[np.intp]:
        """Item places ordered by item id."""
        order = sorted(range(len(self.items)), key=self.items.__getitem__)
        return np.array(order, dtype=np.intp)

    @cached_property
    def first_codes(self) -> dict[str, int]:
        """``{item id: first-sample verdict code}`` in item order (read-only)."""
        codes = self.first_by_item
        present = np.flatnonzero(codes >= 0).tolist()
        return {self.items[i]: int(codes[i]) for i in present}

    @cached_property
    def first_verdicts(self) -> dict[str, str]:
        """``{item id: first-sample verdict}`` sorted by item id (read-only)."""
        codes = self.first_by_item
        order = self.sorted_items[codes[self.sorted_items] >= 0]
        ids = [self.items[i] for i in order.tolist()]
        return dict(zip(ids, _NAMES[codes[order]].tolist(), strict=True))

    def item_means(self, values: NDArray[np.float64], mask: NDArray[np.bool_]) -> dict[str, float]:
        """``{item id: mean of values}`` over each item's answers where ``mask`` holds, sorted
        by item id (items with no such answer are absent)."""
        index = self.item_index[mask]
        size = len(self.items)
        totals = np.bincount(index, weights=values[mask], minlength=size)
        counts = np.bincount(index, minlength=size)
        present = np.flatnonzero(counts)
        means = (totals[present] / counts[present]).tolist()
        return dict(sorted(zip([self.items[i] for i in present.tolist()], means, strict=True)))
