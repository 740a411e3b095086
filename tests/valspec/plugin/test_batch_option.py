"""--valspec-batch end to end in pytest: pending cases and exit code 6, collection on a later
run, --valspec-batch-wait, the header and usage errors (the fake Files + Batches server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from valspec.plugin import EXIT_PENDING
from valspec.testing.batch_server import BatchServer

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

PLANNED = 20  # 1 item x 10 values, neutral and as one persona


@pytest.fixture
def server() -> Iterator[BatchServer]:
    with BatchServer(max_lifetime_s=120) as fake:
        yield fake


@pytest.fixture
def project(suite: SuiteProject, server: BatchServer) -> SuiteProject:
    return suite.make(
        extra_config=(
            '[tool.valspec.models.batchy]\nadapter = "openai"\nmodel = "gpt-test"\n'
            f'base_url = "{server.base_url}"\nmax_attempts = 1\n'
        )
    )


def args(project: SuiteProject, *extra: str, model: str = "batchy") -> list[str]:
    return [
        f"--model={model}",
        "--valspec-limit=1",
        f"--valspec-personas={project.personas[0].id}",
        "--valspec-strategies=simple",
        "--snapshot-update",
        *extra,
    ]


def test_a_batch_run_is_pending_until_a_later_run_collects_it(
    project: SuiteProject, server: BatchServer
) -> None:
    first = project.run(*args(project, "--valspec-batch"))
    assert first.ret == EXIT_PENDING == 6
    first.stdout.fnmatch_lines(
        [
            f"valspec batch: {PLANNED} requests, ~* input tokens (estimated), in 1 file(s); "
            "batch pricing is half the synchronous price*",
            "*valspec batches*",
            f"vsb-*  batch-0002  {PLANNED} requests  validating",
            f"{PLANNED} answers pending: run the same command again to collect them (exit code 6)",
            "*11 pending*",
        ]
    )
    for status in ("in_progress", "finalizing"):
        again = project.run(*args(project, "--valspec-batch"))
        assert again.ret == EXIT_PENDING
        again.stdout.fnmatch_lines([f"vsb-*  batch-0002  {PLANNED} requests  {status}*"])
    done = project.run(*args(project, "--valspec-batch"))
    outcomes = done.parseoutcomes()
    assert "pending" not in outcomes and outcomes.get("passed", 0) >= 10, done.stdout.str()
    done.stdout.fnmatch_lines([f"vsb-*  batch-0002  {PLANNED} requests  ingested (completed: *"])
    assert server.calls.count("POST /v1/files") == 1
    assert server.calls.count("POST /v1/batches") == 1
    offline = project.run(*args(project, "--valspec-offline"))
    assert offline.parseoutcomes() == outcomes  # every answer is in the cache


def test_batch_wait_polls_until_done_in_one_run(project: SuiteProject) -> None:
    result = project.run(*args(project, "--valspec-batch-wait=60", "--valspec-price=2.5,10"))
    assert result.ret in (0, 1)
    assert "pending" not in result.parseoutcomes()
    result.stdout.fnmatch_lines(["*batch pricing is half the synchronous price: at most $*"])


@pytest.mark.parametrize(
    ("extra", "model", "message"),
    [
        ((), "sim", "*model 'sim' (sim) cannot run as batches*"),
        (("--valspec-no-cache",), "batchy", "*--valspec-batch needs the response cache*"),
        (("--valspec-offline",), "batchy", "*contradicts --valspec-offline*"),
        (("-n", "2"), "batchy", "*--valspec-batch runs in one process*"),
    ],
)
def test_usage_errors(
    project: SuiteProject, extra: tuple[str, ...], model: str, message: str
) -> None:
    result = project.run(*args(project, "--valspec-batch", *extra, model=model))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
