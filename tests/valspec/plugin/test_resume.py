"""Resume: a run killed with SIGKILL mid-way, started again, sends exactly what was not stored.

The model is the ``openai`` adapter talking to a loopback OpenAI-compatible server that counts
the requests it sees; the run is a pytest subprocess killed while answering.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from valspec.testing.servers import ChatServer

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

PLANNED = 40  # 2 items x 10 values, neutral and one persona


def loop_model(base_url: str) -> str:
    """``[tool.valspec]`` config naming the loopback server as model ``loop`` (two in flight)."""
    return (
        f'[tool.valspec.models.loop]\nadapter = "openai"\nmodel = "loopback-vlm"\n'
        f'base_url = "{base_url}"\nconcurrency = 2\nmax_batch = 2\nmax_attempts = 1\n'
    )


def loop_args(suite: SuiteProject) -> list[str]:
    """The run both tests interrupt: 2 items per value and one persona, recording baselines."""
    return [
        "--model=loop",
        "--valspec-limit=2",
        f"--valspec-personas={suite.personas[0].id}",
        "--valspec-strategies=simple",
        "--snapshot-update",
        "-p",
        "no:cacheprovider",
        "-q",
    ]


def stored(cache: object) -> int:
    """Answered keys on disk: in the keyed table, or still in the log a single process
    appends to (merged into the table on the next read)."""
    with sqlite3.connect(str(cache)) as conn:
        query = (
            "SELECT COUNT(DISTINCT key) FROM (SELECT key FROM responses WHERE error IS NULL"
            " UNION ALL SELECT key FROM pending WHERE error IS NULL)"
        )
        return int(conn.execute(query).fetchone()[0])


def test_a_killed_run_resumes_sending_only_unstored_queries(suite: SuiteProject) -> None:
    with ChatServer(latency_s=0.05, max_lifetime_s=120) as server:
        suite.make(extra_config=loop_model(server.base_url))
        command = [sys.executable, "-m", "pytest", *loop_args(suite)]
        env = {**os.environ, "VALSPEC_PROGRESS": "0"}
        child = subprocess.Popen(
            command, cwd=suite.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while len(server.hits) < 12 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert child.poll() is None, "the run ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        time.sleep(0.2)  # let the server finish what was in flight
        sent_before = len(server.hits)
        cache = suite.root / ".valspec" / "cache.sqlite"
        kept = stored(cache)
        assert 0 < kept < PLANNED
        finished = subprocess.run(
            command, check=False, cwd=suite.root, env=env, capture_output=True, text=True
        )
        assert "error" not in finished.stdout.splitlines()[-1], finished.stdout[-3000:]
        assert len(server.hits) - sent_before == PLANNED - kept
        assert stored(cache) == PLANNED
        # the run reports what it sent: bytes per 1,000 queries with the JPEG settings
        traffic = [line for line in finished.stdout.splitlines() if "valspec traffic:" in line]
        assert traffic and f"({PLANNED - kept} queries; JPEG quality 90" in traffic[0]
