"""The value family of one run: every value compared with its baseline at once, Holm-corrected.

Holm's correction needs every value's p-value before any value's test can assert, so the
first value test to ask computes the whole family (the session has already answered every
query) and each test then reads its own verdict. The family is *the values of the run*
(after dataset, platform and limit selection), not the tests selected with ``-k`` or one
xdist worker's share, so every worker reaches the same verdicts.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from valspec.domain.numbers import interval, p_value, points, signed
from valspec.domain.values import Value
from valspec.measure.baseline import read_baseline
from valspec.measure.budget import Budget
from valspec.measure.drift import (
    MODE_UNITS,
    Comparison,
    Payload,
    comparable_outcomes,
    compare_value,
    value_payload,
)
from valspec.measure.gate import (
    GateCase,
    GateOptions,
    GateVerdict,
    drift_headline,
    evaluate_family,
    flips_lines,
    inconclusive_message,
)
from valspec.session.against import live_payload
from valspec.session.cases import ValueCase
from valspec.session.families import suite_budget
from valspec.session.run import Run

VALUE_TEST = "test_value_preference"
"""The suite's value test; its snapshots are ``<model dir>/test_value_preference[<value>].json``."""


def baseline_for(run: Run, payload: Payload, path: Path) -> Payload | None:
    """A case's baseline: the ``--valspec-against`` model's payload, else the snapshot file."""
    if run.against_run is not None:
        return live_payload(run.against_run, payload)
    return read_baseline(path)


class ValspecWarning(UserWarning):
    """Something a reviewer should see that does not fail the case (e.g. an inconclusive gate)."""


@dataclass(frozen=True)
class _Member:
    payload: Payload
    baseline: Payload | None
    comparison: Comparison
    mode: str


class ValueGate:
    """Lazily compares every value of a run with its baseline and decides each one."""

    def __init__(
        self,
        run: Run,
        directory: Path,
        tolerance: Callable[[Payload], float],
        options: GateOptions,
        budget: Budget | None = None,
    ) -> None:
        self.run = run
        self.directory = directory
        self.tolerance = tolerance
        self.options = options
        self.budget = budget or suite_budget(run, options.alpha)

    def baseline_path(self, value: Value) -> Path:
        """Where a value's baseline lives (the snapshot syrupy writes for its test)."""
        return self.directory / f"{VALUE_TEST}[{value.value}].json"

    @cached_property
    def members(self) -> dict[Value, _Member]:
        """Each value's payload and its comparison with the baseline (stale/new/pass/drift)."""
        members = {}
        for value in self.run.selected_values:  # the family: the selected values (-k narrows)
            result = self.run.value_result(value)
            payload = value_payload(result, self.run.identity(ValueCase(value)))
            baseline = baseline_for(self.run, payload, self.baseline_path(value))
            comparison = compare_value(payload, baseline, self.tolerance(payload))
            mode = str(payload["mode"])
            if baseline is not None and comparison.status in ("pass", "drift"):
                mode = comparable_outcomes(payload, baseline)[0]
            members[value] = _Member(payload, baseline, comparison, mode)
        return members

    @cached_property
    def verdicts(self) -> dict[Value, GateVerdict]:
        """The gate's verdict for every value that has a comparable baseline."""
        cases = []
        for value, member in self.members.items():
            if member.comparison.status not in ("pass", "drift"):
                continue  # new and stale baselines are reported by the snapshot check
            assert member.baseline is not None  # the baseline the comparison was made with
            mode, now, base = comparable_outcomes(member.payload, member.baseline)
            tol = self.tolerance(member.payload)
            cases.append(GateCase(value.value, now, base, tol, binary=mode == "binary"))
        verdicts = evaluate_family(
            cases,
            self.options,
            alpha=self.budget.alpha_for("value"),
            family_size=self.budget.size("value"),
        )
        return {v: verdicts[v.value] for v in self.members if v.value in verdicts}

    def verdict(self, value: Value) -> GateVerdict | None:
        """This value's verdict, or None when it has no comparable baseline."""
        return self.verdicts.get(value)

    def failed(self, value: Value) -> bool:
        """The gate fails the value (or, in strict mode, could not decide it)."""
        verdict = self.verdict(value)
        if verdict is None:
            return False
        return verdict.failed or (self.options.strict and verdict.status == "inconclusive")

    def failure(self, value: Value) -> str | None:
        """The failure message of a value the gate fails, with the family table."""
        verdict = self.verdict(value)
        if verdict is None or not self.failed(value):
            return None
        if verdict.status == "inconclusive":
            return "strict mode: " + inconclusive_message(verdict, power=self.options.power)
        mode = self.members[value].mode
        unit = MODE_UNITS.get(mode, "% yes")
        drifted = verdict.status == "drift"
        what = (
            drift_headline(verdict.delta, verdict.tolerance)
            if drifted
            else "is not shown equivalent"
        )
        # Short enough to review: the headline, the items that moved most, one way to accept
        # it. The run's table of values is printed once, in the summary.
        lines = [
            f"{value.value} {what}:",
            f"  baseline {points(verdict.baseline)} {unit}  ->  now {points(verdict.current)} "
            f"{unit}, "
            + ("paired on" if verdict.paired else "independent samples,")
            + f" n={verdict.n}",
            f"  difference {signed(verdict.delta)} points, 95 % CI of Δ "
            f"{interval(verdict.ci)}, Holm-adjusted p {p_value(verdict.p_adjusted)}",
            f"  ({verdict.test}, alpha {self.budget.alpha_for('value'):g} of the run's "
            f"{self.budget.alpha:g}, Holm across values); tolerance ±{verdict.tolerance:g} points",
        ]
        lines += [f"  {line}" for line in _top_items(flips_lines(verdict, binary=mode == "binary"))]
        lines += [f"  note: {n}" for n in self.members[value].comparison.notes]
        return "\n".join(lines)

    def warn_if_inconclusive(self, value: Value) -> None:
        """Emit a ValspecWarning naming the n needed when the gate could not decide."""
        verdict = self.verdict(value)
        if verdict is not None and verdict.status == "inconclusive":
            message = inconclusive_message(verdict, power=self.options.power)
            warnings.warn(ValspecWarning(message), stacklevel=2)


TOP_ITEMS = 3


def _top_items(lines: list[str], top: int = TOP_ITEMS) -> list[str]:
    """The first ``top`` items of "items that moved most: a 1->2, b 3->4, ..." lines."""
    short = []
    for line in lines:
        head, sep, items = line.partition(": ")
        parts = items.split(", ")
        more = len(parts) - top
        short.append(
            f"{head}: {', '.join(parts[:top])}, … ({more} more)" if sep and more > 0 else line
        )
    return short
