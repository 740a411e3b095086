"""One rounding path: the table, the failure messages and a run under xdist show one number.

Each displayed number is formatted once from the gate's unrounded value, so the value table
and the failure message of the same case agree to the last digit, and a run under ``-n 2``
prints exactly what a serial run prints.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from valspec.domain.values import CIRCLE_ORDER

if TYPE_CHECKING:
    import pytest

    from tests.valspec.plugin.conftest import SuiteProject

VALUES = {v.value for v in CIRCLE_ORDER}
NUM = r"[-+]?\d+\.\d"
VALUE_HEAD = re.compile(r"^(?P<value>[a-z-]+) drifted( beyond tolerance| \(a real change .*\)):$")
VALUE_NOW = re.compile(
    rf"^  baseline (?P<baseline>{NUM}) .*->  now (?P<now>{NUM}) .*, paired on n=(?P<n>\d+)$"
)
VALUE_DELTA = re.compile(
    rf"^  difference (?P<delta>{NUM}) points, 95 % CI of Δ (?P<ci>\[{NUM}, {NUM}\]), "
    r"Holm-adjusted p (?P<p>\S+)$"
)
TABLE_ROW = re.compile(
    rf"^(?P<value>[a-z-]+) +(?P<score>{NUM}) +(?P<ci>\[{NUM}, {NUM}\]) +(?P<n>\d+) +\S+ +\S+ +\S+"
    rf" +\S+ +\S+ +(?P<baseline>{NUM}) +(?P<delta>{NUM}) +(?P<dci>\[{NUM}, {NUM}\])"
    r" +(?P<p>\S+) +(?P<status>\S+)$"
)
PERSONA_NOW = re.compile(
    rf"^  (?P<baseline>{NUM}) -> (?P<now>{NUM}), Δ (?P<delta>{NUM}) points "
    rf"\(95 % CI of Δ (?P<dci>\[{NUM}, {NUM}\])\), n=(?P<n>\d+) items$"
)
PERSONA_ROW = re.compile(
    rf"^(?P<case>\S+) +(?P<shift>{NUM}) (?P<ci>\[{NUM}, {NUM}\]) +(?P<n>\d+) +(?P<baseline>{NUM})"
    rf" +(?P<delta>{NUM}) +(?P<status>\S+)$"
)


def value_rows(lines: list[str]) -> dict[str, re.Match[str]]:
    """The value table's rows, by value."""
    rows = {}
    for line in lines:
        match = TABLE_ROW.match(line)
        if match and match["value"] in VALUES:
            rows[match["value"]] = match
    return rows


def value_failures(lines: list[str]) -> dict[str, dict[str, str]]:
    """Each failing value's numbers as its failure message prints them, by value."""
    found = {}
    for i, line in enumerate(lines):
        head = VALUE_HEAD.match(line)
        if head:
            now = VALUE_NOW.match(lines[i + 1])
            delta = VALUE_DELTA.match(lines[i + 2])
            assert now and delta, "\n".join(lines[i : i + 3])
            found[head["value"]] = now.groupdict() | delta.groupdict()
    return found


def drift_demo(suite: SuiteProject, *args: str) -> pytest.RunResult:
    """The drift demo on a few items per value, answered afresh (no cache)."""
    common = ["--model=sim:drifted", "--valspec-baseline=sim", "--valspec-no-cache"]
    return suite.pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:randomly", *common, *args
    )


def test_the_failure_message_prints_the_tables_numbers(suite: SuiteProject) -> None:
    suite.make("sim")
    # 11 items: power reads 93.0 in the failure and read 93.1 in the table before
    result = drift_demo(suite, "-k", "preference", "--valspec-limit=11")
    lines = result.stdout.lines
    failures, rows = value_failures(lines), value_rows(lines)
    assert {"stimulation", "power", "universalism"} <= set(failures), result.stdout.str()
    for value, message in failures.items():
        row = rows[value]
        assert row["status"] == "drift"
        assert message["now"] == row["score"] and message["n"] == row["n"]
        assert message["baseline"] == row["baseline"] and message["delta"] == row["delta"]
        assert message["ci"] == row["dci"] and message["p"] == row["p"]
        # the three numbers agree with one another too: Δ is now minus baseline, to 0.1
        assert abs(float(row["score"]) - float(row["baseline"]) - float(row["delta"])) <= 0.11


def test_a_persona_failure_prints_the_tables_numbers(suite: SuiteProject) -> None:
    suite.make("sim")
    result = drift_demo(suite, "-k", "status-seeker-isq")
    lines = result.stdout.lines
    start = lines.index("status-seeker/isq: alignment shift drifted beyond tolerance:")
    message = PERSONA_NOW.match(lines[start + 1])
    row = next(m for m in map(PERSONA_ROW.match, lines) if m and m["case"] == "status-seeker-isq")
    assert message, lines[start + 1]
    assert (message["now"], message["n"]) == (row["shift"], row["n"])
    assert (message["baseline"], message["delta"]) == (row["baseline"], row["delta"])
    assert row["status"] == "drift"


def test_two_workers_print_what_a_serial_run_prints(suite: SuiteProject) -> None:
    suite.make("sim")
    args = ("-k", "preference", "--valspec-limit=11")
    serial, xdist = drift_demo(suite, *args), drift_demo(suite, *args, "-n", "2")
    rows = [value_rows(r.stdout.lines) for r in (serial, xdist)]
    failures = [value_failures(r.stdout.lines) for r in (serial, xdist)]
    assert len(rows[0]) == len(VALUES) and failures[0], serial.stdout.str()
    lines = [{v: m.group(0) for v, m in side.items()} for side in rows]
    assert lines[0] == lines[1]
    assert failures[0] == failures[1]
    assert serial.ret == xdist.ret == 1
