"""Every exit code in the README's table is produced by the state it names."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from valspec.domain.exit_codes import EXIT_CODES, ExitCode, exit_code_table

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

REPO = Path(__file__).resolve().parents[3]


def test_the_readme_table_is_the_module_table() -> None:
    assert exit_code_table() in (REPO / "README.md").read_text(encoding="utf-8")
    assert set(EXIT_CODES) == set(ExitCode)


def test_each_exit_code_is_what_its_state_returns(suite: SuiteProject) -> None:
    suite.make("sim")
    fast = ("-k", "preference and (power or benevolence)")
    assert suite.run("--model=sim", *fast).ret == ExitCode.PASSED
    drifted = suite.run("--model=sim:drifted", "--valspec-baseline=sim", *fast)
    assert drifted.ret == ExitCode.FAILED
    assert suite.run("--model=sim", "--valspec-alpha=7").ret == ExitCode.USAGE
    assert suite.run("--model=sim", "-k", "no_such_case").ret == ExitCode.NO_CASES
    # 2 (interrupted, Ctrl-C) needs a signal mid-run, in a subprocess: test_interrupt.py sends
    # SIGINT while answering (serial and -n 2) and raises KeyboardInterrupt in valspec's
    # summary and report steps; 6 (pending): test_batch_option.py.
