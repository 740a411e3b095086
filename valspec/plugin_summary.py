"""The terminal summary: the rows the tests attach (also from xdist workers), printed as the
value profile, persona and strategy tables once at the end of the run.

A failing run reads top-down: only the failing cases' rows (``-v`` shows all), the
inconclusive counts, then the one command that accepts the change.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from valspec.reports.interrupt import finish_on_interrupt
from valspec.reports.terminal import persona_heatmap, persona_table, strategy_table, value_table
from valspec.session.run import Run


class SummaryReporter:
    """Collects the rows tests attach (also from xdist workers) and prints the tables."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.rows: list[dict[str, Any]] = []
        self.session: pytest.Session | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Keep the session: Ctrl-C during the summary sets its exit code."""
        self.session = session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the summary rows of each finished test."""
        if report.when == "call":
            self.rows.extend(
                v for name, v in report.user_properties if name == "valspec" and isinstance(v, dict)
            )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the value profile and persona results as tables (Ctrl-C: exit 2, one line)."""
        write = terminalreporter.write_line
        with finish_on_interrupt(self.session, "printing the summary", write):
            self._summary(terminalreporter)

    def _summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        values = [r for r in self.rows if r.get("kind") == "value"]
        personas = [r for r in self.rows if r.get("kind") == "persona"]
        strategies = [r for r in self.rows if r.get("kind") == "strategy"]
        if self.run.traffic:  # bytes per 1,000 queries and the frame encoding (this process)
            terminalreporter.write_line(f"valspec traffic: {self.run.traffic}")
        if not values and not personas and not strategies:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "valspec value profile")
        for model in sorted({str(r.get("model")) for r in self.rows if r.get("model")}):
            write(f"model: {model}")
        folder = self.run.baseline_dir
        if folder.is_relative_to(terminalreporter.config.rootpath):  # readable in CI logs
            folder = folder.relative_to(terminalreporter.config.rootpath)
        write(f"baseline: {folder}")
        failing_rows = [r for r in self.rows if r.get("status") not in ("pass", "inconclusive")]
        compact = bool(failing_rows) and terminalreporter.config.get_verbosity() <= 0
        if values:
            write(value_table(values, profile=not compact))
        failing = [r for r in personas if r.get("status") not in ("pass", "inconclusive")]
        if personas:
            write("")
            if not compact:
                write(persona_table(personas))
            elif failing:
                write(persona_table(failing, compact=True))
            if compact:  # a failing run reads top-down: what moved; -v shows every case
                write(
                    f"({len(personas) - len(failing)} other persona cases passed or were "
                    "inconclusive; -v shows them all and the heat map)"
                )
            else:
                write("")
                write(persona_heatmap(personas))
        if strategies:
            write("")
            write(strategy_table(strategies))
        for line in inconclusive_lines(values, personas):
            write(line)
        config = terminalreporter.config
        if failing_rows and not config.getoption("update_snapshots", False):
            args = " ".join(config.invocation_params.args)
            write(f"to accept these changes: pytest {args} --snapshot-update".replace("  ", " "))


def inconclusive_lines(values: list[dict[str, Any]], personas: list[dict[str, Any]]) -> list[str]:
    """One line per family for the cases the gate could not decide (not failures)."""
    lines = []
    for noun, rows in (("values", values), ("persona cases", personas)):
        needed = [
            int(r["n_needed"])
            for r in rows
            if r.get("status") == "inconclusive"
            and isinstance(r.get("n_needed"), int | float)
            and math.isfinite(r["n_needed"])
        ]
        if needed:
            low, high = min(needed), max(needed)
            span = f"{low}" if low == high else f"{low}-{high}"
            lines.append(
                f"inconclusive: {len(needed)}/{len(rows)} {noun} (they pass; ~{span} items "
                "would decide)"
            )
    return lines
