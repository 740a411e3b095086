from __future__ import annotations

import json
from pathlib import Path

import pytest

from valspec.cli import main


def test_models_lists_aliases_prefixes_and_simulations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--root", "."]) == 0
    out = capsys.readouterr().out
    assert "qwen-vl" in out and "Qwen/Qwen2.5-VL-7B-Instruct" in out
    assert "openai:<model>" in out and "hf:<model>" in out
    assert "simulated (sim:<variant>, not real models)" in out and "drifted" in out


def test_fixtures_build_renders_a_valid_dataset(tmp_path: Path) -> None:
    from valspec.data.dataset import load_dataset

    assert main(["fixtures", "build", "--out", str(tmp_path), "--per-value", "1"]) == 0
    data = load_dataset(tmp_path)  # validates every row and every sha256
    assert len(data) == 10 and len(data.by_value()) == 10
    rows = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert {r["kind"] for r in rows} <= {"video", "image"}


def test_config_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.valspec]\ntolerence = 3\n")
    assert main(["models", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("valspec: error: ") and "did you mean 'tolerance'" in err
    assert err.count("\n") == 1
