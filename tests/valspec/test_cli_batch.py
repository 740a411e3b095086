"""`valspec batch status | cancel | export | import` through the command's entry point."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from valspec.cli import main
from valspec.domain.config import load_settings
from valspec.domain.exit_codes import ExitCode
from valspec.engine.batch import ProviderBatches
from valspec.session.options import RunOptions
from valspec.session.run import Run
from valspec.testing.batch_server import BatchServer, run_batch_file

REPO = Path(__file__).resolve().parents[2]
SELECT = ["--limit", "1", "--personas", "adventurous-spirit", "--strategies", "simple"]


@pytest.fixture
def server() -> Iterator[BatchServer]:
    with BatchServer(max_lifetime_s=60) as fake:
        yield fake


@pytest.fixture
def root(tmp_path: Path, server: BatchServer) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.valspec]\ndataset = "{REPO / "fixtures" / "videos"}"\n'
        f'personas = "{REPO / "fixtures" / "personas"}"\n'
        f'[tool.valspec.models.batchy]\nadapter = "openai"\nmodel = "gpt-test"\n'
        f'base_url = "{server.base_url}"\nmax_attempts = 1\n'
    )
    return tmp_path


def submit(root: Path) -> None:
    """What `pytest --valspec-batch` does first: submit the run's missing queries."""
    options = RunOptions(model="batchy", limit=1, personas=("adventurous-spirit",), batch=True)
    run = Run(load_settings(root), options)
    try:
        absent = run.missing_queries(run.value_cases())
        ProviderBatches(run.engine, model="batchy", folder=root / "b").step(absent)
    finally:
        run.close()


def test_status_asks_the_provider_and_cancel_stops_open_batches(
    root: Path, server: BatchServer, capsys: pytest.CaptureFixture[str]
) -> None:
    submit(root)
    assert main(["batch", "status", "--root", str(root), "--local"]) == 0
    assert re.search(r"provider +batchy +batch-0002 +10 +validating", capsys.readouterr().out)
    assert main(["batch", "status", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "in_progress" in out and "10 requests in open provider batches" in out
    assert main(["batch", "cancel", "--root", str(root)]) == 0
    assert "batch-0002  10 requests  cancelling" in capsys.readouterr().out
    assert server.batches["batch-0002"].status == "cancelling"
    assert main(["batch", "cancel", "nope", "--root", str(root)]) == ExitCode.USAGE
    assert "no open provider batch with id nope" in capsys.readouterr().err


def test_export_and_import_through_the_command(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = root / "exp"
    code = main(["batch", "export", str(out), "--root", str(root), "--model", "batchy", *SELECT])
    assert code == 0
    printed = capsys.readouterr().out
    assert "20 requests (~" in printed and "valspec batch import" in printed
    target = root / "answers.jsonl"
    run_batch_file(out / "requests-00001.jsonl", target)
    with target.open("a") as handle:
        handle.write("not json\n")
    assert main(["batch", "import", str(target), "--root", str(root)]) == 1  # a problem line
    captured = capsys.readouterr()
    assert f"{target}:21: not JSON" in captured.err
    assert "20 answers stored, 0 already in the cache (kept)" in captured.out
    assert main(["batch", "status", "--root", str(root), "--local"]) == 0
    assert re.search(r"export +batchy +- +20 +exported", capsys.readouterr().out)


def test_commands_need_an_existing_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["batch", "status", "--root", str(tmp_path)]) == ExitCode.USAGE
    assert "no response cache here" in capsys.readouterr().err
