"""The pytest side of ``--valspec-report DIR``: collect rows and records, write the folder once.

Under pytest-xdist the tests run in worker processes, each with its own engine. Rows travel
back to the controller on each test's report (as for the terminal summary). Records do not,
so each worker writes the responses of its session to ``DIR/.parts/<worker>.jsonl`` when its
session fixture closes, and the controller — which finishes last — merges them by query key
(every worker may have answered the same queries), writes every file and removes the parts.
Without xdist the one process writes its part and streams it into responses.csv. Exactly one
process writes the report.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from valspec.domain.prompts import prompt_versions
from valspec.reports.files import (
    ReportFiles,
    ResponseRow,
    append_step_summary,
    response_row,
    row_order,
    summary_markdown,
    write_report,
)
from valspec.reports.interrupt import KEPT, finish_on_interrupt, interrupted
from valspec.reports.schema import build_profile

if TYPE_CHECKING:
    from valspec.session.cases import Case
    from valspec.session.run import Run

PARTS_DIR = ".parts"


def _worker_id(config: pytest.Config) -> str | None:
    workerinput = getattr(config, "workerinput", None)
    return None if workerinput is None else str(workerinput.get("workerid", "gw"))


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the project root when it lies inside (reports travel as artifacts)."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class ReportWriter:
    """Writes profile.json, responses.csv, summary.md and radar charts after a session."""

    def __init__(self, config: pytest.Config, folder: Path, *, baseline: Path | None) -> None:
        self.config = config
        self.folder = folder
        self.baseline = None if baseline is None else _relative(baseline, config.rootpath)
        self.worker = _worker_id(config)
        self.rows: list[dict[str, Any]] = []
        self.written: ReportFiles | None = None
        self.problem = ""
        if self.worker is None:  # parts left by an interrupted earlier run are not this run's
            shutil.rmtree(folder / PARTS_DIR, ignore_errors=True)

    # -- collecting --------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the rows each finished test attached (they arrive from xdist workers too)."""
        if report.when == "call":
            self.rows.extend(
                v for name, v in report.user_properties if name == "valspec" and isinstance(v, dict)
            )

    def collect_records(self, run: Run, cases: Sequence[Case]) -> None:
        """Take the session's answers before the run closes: streamed, in responses.csv order,
        into this process's part (``.parts/<worker>.jsonl``, or ``main.jsonl`` without xdist)."""
        parts = self.folder / PARTS_DIR
        parts.mkdir(parents=True, exist_ok=True)
        part = parts / f"{self.worker or 'main'}.jsonl"
        try:
            items = {item.id: item for item in run.full_dataset.items}
            with part.open("w", encoding="utf-8") as f:
                for records in run.iter_records(cases):
                    f.writelines(
                        json.dumps(response_row(r, items.get(r.item_id)), ensure_ascii=False) + "\n"
                        for r in records
                    )
        except (KeyError, ValueError) as exc:  # nothing answered: the tests say why
            part.unlink(missing_ok=True)
            self.problem = f"responses not collected: {exc}"

    def _responses(self) -> Iterator[ResponseRow]:
        """The parts' rows in responses.csv order: one part is already ordered and unique and
        is streamed; several (xdist workers) are merged by query key, then removed."""
        parts = sorted((self.folder / PARTS_DIR).glob("*.jsonl"))
        if len(parts) == 1:
            with parts[0].open(encoding="utf-8") as f:
                yield from (json.loads(line) for line in f)
        else:
            yield from self._merged_parts()
        shutil.rmtree(self.folder / PARTS_DIR, ignore_errors=True)

    def _merged_parts(self) -> list[ResponseRow]:
        parts = self.folder / PARTS_DIR
        merged: dict[str, ResponseRow] = {}
        for path in sorted(parts.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                merged.setdefault(row["query_key"], row)
        return sorted(merged.values(), key=row_order)

    # -- writing -----------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the folder once, in the controller (or the only process)."""
        if self.worker is not None:
            return
        if interrupted(session):  # a report of the cases that happened to finish would mislead
            self.problem = f"not written: the run was interrupted ({KEPT})"
            return
        with finish_on_interrupt(session, f"writing the report to {self.folder}"):
            responses: Iterable[ResponseRow] = []
            if (self.folder / PARTS_DIR).is_dir():
                responses = self._responses()
            profile = build_profile(self.rows, prompts=prompt_versions(), baseline=self.baseline)
            self.written = write_report(self.folder, profile, responses)
            append_step_summary(summary_markdown(profile, radar=None))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Say where the report went (or why it was not written)."""
        if self.written is None:
            if self.problem:
                terminalreporter.write_line(f"valspec report: {self.problem}")
            return
        names = ", ".join(p.name for p in self.written.written)
        terminalreporter.write_line(f"valspec report: {self.folder} ({names})")
        for note in (self.written.note, self.problem):
            if note:
                terminalreporter.write_line(f"valspec report: {note}")
