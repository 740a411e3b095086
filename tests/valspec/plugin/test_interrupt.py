"""Ctrl-C: a run interrupted while answering exits 2, without a traceback, and keeps what it got.

The model is the ``openai`` adapter talking to a slow loopback server; the run is a pytest
subprocess that gets SIGINT (what Ctrl-C sends) once some answers are stored. Run again, it
sends only the queries whose answers were not stored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from tests.valspec.plugin.test_resume import PLANNED, loop_args, loop_model, stored
from valspec.domain.exit_codes import ExitCode
from valspec.testing.servers import ChatServer

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

# The child takes SIGINT as Python's KeyboardInterrupt even when this test runs where SIGINT
# is ignored (a shell's background job inherits SIG_IGN, and Python keeps it).
CHILD = (
    "import signal, sys, pytest; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.exit(pytest.main(sys.argv[1:]))"
)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_ctrl_c_exits_2_without_a_traceback_and_keeps_the_answers(
    suite: SuiteProject, workers: list[str]
) -> None:
    with ChatServer(latency_s=0.15, max_lifetime_s=120) as server:
        suite.make(extra_config=loop_model(server.base_url))
        args = loop_args(suite)
        env = {**os.environ, "VALSPEC_PROGRESS": "0"}
        cache = suite.root / ".valspec" / "cache.sqlite"
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, *args, *workers],
            cwd=suite.root,
            start_new_session=True,  # its own process group, as a terminal's foreground job
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 180  # generous: a loaded machine starts slowly
        while len(server.hits) < 8 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert child.poll() is None, "the run ended before it could be interrupted"
        assert len(server.hits) >= 8, "no answers within 180 s: nothing to keep yet"
        os.killpg(child.pid, signal.SIGINT)  # Ctrl-C reaches every process of the job
        output, _ = child.communicate(timeout=30)
        assert child.returncode == ExitCode.INTERRUPTED, output[-3000:]
        assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
        assert "KeyboardInterrupt" in output
        time.sleep(0.3)  # let the server finish what was in flight
        sent_before = len(server.hits)
        kept = stored(cache)
        assert 0 < kept < PLANNED
        again = subprocess.run(
            [sys.executable, "-m", "pytest", *args],
            check=False,
            cwd=suite.root,
            env=env,
            capture_output=True,
            text=True,
        )
        assert "error" not in again.stdout.splitlines()[-1], again.stdout[-3000:]
        assert len(server.hits) - sent_before == PLANNED - kept
        assert stored(cache) == PLANNED


@pytest.mark.parametrize(
    ("target", "step"),
    [
        ("valspec.plugin_summary.value_table", "printing the summary"),
        ("valspec.reports.writer.write_report", "writing the report"),
    ],
    ids=["summary", "report"],
)
def test_ctrl_c_while_valspec_finishes_the_session_exits_2_in_one_line(
    suite: SuiteProject, target: str, step: str
) -> None:
    """pytest leaves a KeyboardInterrupt from a sessionfinish hook to Python: a traceback and
    death by SIGINT. valspec's summary and report steps end the run with exit code 2."""
    suite.make("sim")
    module, name = target.rsplit(".", 1)
    suite.pytester.makeconftest(
        f"import {module}\n"
        "def interrupted(*args, **kwargs):\n"
        "    raise KeyboardInterrupt  # as if Ctrl-C arrived while this step ran\n"
        f"{module}.{name} = interrupted\n"
    )
    result = suite.pytester.runpytest_subprocess(
        "--model=sim",
        "-k",
        "preference and power",
        "--valspec-report=out",
        "-p",
        "no:cacheprovider",
    )
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == ExitCode.INTERRUPTED, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert f"valspec: interrupted while {step}" in output
