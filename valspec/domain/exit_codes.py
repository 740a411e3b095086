"""The exit codes of a valspec run, in one place: CI scripts branch on them, the README's table
is generated from :data:`EXIT_CODES`, and a test runs each state and checks its code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What ``pytest --model=...`` (and ``valspec``) return. 0-5 are pytest's own codes."""

    PASSED = 0
    FAILED = 1
    INTERRUPTED = 2
    USAGE = 4
    NO_CASES = 5
    PENDING = 6  # valspec's own: answers still in provider batches (--valspec-batch)


EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.PASSED: "every selected case passed (inconclusive cases pass, with a warning; "
    "`--valspec-strict` fails them)",
    ExitCode.FAILED: "a case failed: a value or persona drifted, a baseline is stale or "
    "missing, or too many answers were unparsable or errors",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C): answers already received stay in the cache",
    ExitCode.USAGE: "usage or setup error, reported once before any case runs: a bad option, "
    "model spec, dataset, persona file or cache, a model that cannot load or connect",
    ExitCode.NO_CASES: "no case selected (e.g. `-k` matched nothing)",
    ExitCode.PENDING: "answers pending in provider batches (`--valspec-batch`): the run is not "
    "judged; run the same command again to collect them",
}


def exit_code_table() -> str:
    """The README's markdown table of exit codes."""
    rows = ["| exit code | meaning |", "|---|---|"]
    rows += [f"| {int(code)} | {meaning} |" for code, meaning in EXIT_CODES.items()]
    return "\n".join(rows)
