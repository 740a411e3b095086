"""syrupy's snapshot report counts what the gate decides: a passing re-run reports no failed
snapshot (a move beyond tolerance that the gate calls noise is not a failure), a drifted run
reports exactly its failing cases."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject


@pytest.fixture(autouse=True)
def _not_an_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """syrupy prints its report only outside xdist workers, and finds them by environment
    variables that the inner run would inherit when valspec's own tests run under ``-n``."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


def _report(result: pytest.RunResult) -> tuple[int, int]:
    text = result.stdout.str()
    failed = re.search(r"(\d+) snapshots? failed", text)
    passed = re.search(r"(\d+) snapshots? passed", text)
    return (int(failed[1]) if failed else 0, int(passed[1]) if passed else 0)


def test_a_passing_rerun_with_fresh_noise_reports_no_failed_snapshot(suite: SuiteProject) -> None:
    suite.make("sim")
    cases = 10 + 2 * len(suite.personas)
    for seed in ("7", "11"):  # fresh re-run noise: some persona shifts move past tolerance
        result = suite.run("--model=sim", f"--valspec-seed={seed}")
        result.assert_outcomes(passed=cases)
        assert _report(result) == (0, cases), result.stdout.str()[-2000:]


def test_a_drifted_run_reports_its_failing_cases_as_failed_snapshots(suite: SuiteProject) -> None:
    suite.make("sim")
    result = suite.run("--model=sim:drifted", "--valspec-baseline=sim")
    failed = suite.failed(result)
    assert failed
    assert _report(result) == (len(failed), 10 + 2 * len(suite.personas) - len(failed))
