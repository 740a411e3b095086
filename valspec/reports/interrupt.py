"""Ctrl-C while valspec finishes a session: exit code 2 and one line, never a traceback.

pytest turns a KeyboardInterrupt into exit code 2 only while it collects and runs tests; one
raised from a ``pytest_sessionfinish`` or ``pytest_terminal_summary`` hook (valspec prints its
tables and writes report files there, which takes seconds with charts) escapes as a traceback
and the process dies of SIGINT (130). valspec's late hooks run inside :func:`finish_on_interrupt`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from valspec.domain.exit_codes import ExitCode

KEPT = "answers already received stay in the cache"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


@contextmanager
def finish_on_interrupt(
    session: pytest.Session | None, what: str, write: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Run a finishing step; on Ctrl-C say what was cut short and end the run with exit 2."""
    try:
        yield
    except KeyboardInterrupt:
        if session is not None:
            session.exitstatus = ExitCode.INTERRUPTED
        (write or _stderr)(f"valspec: interrupted while {what}; {KEPT}")


def interrupted(session: pytest.Session) -> bool:
    """Whether the run was interrupted (Ctrl-C) before valspec finishes it."""
    return int(session.exitstatus) == ExitCode.INTERRUPTED
