"""valspec diff (two git refs or two folders) and valspec compare (several report folders)."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from valspec.cli import main
from valspec.domain.errors import ValspecError
from valspec.domain.exit_codes import ExitCode
from valspec.domain.values import CIRCLE_ORDER
from valspec.reports.compare import load_profiles, write_compare
from valspec.reports.diff import DIFF_MARKER, diff_command
from valspec.reports.files import write_report
from valspec.reports.radar import PIXELS
from valspec.reports.schema import build_profile


def _value_payload(value: str, yes: int) -> dict[str, Any]:
    items = {f"{value[:2]}-{i:02d}": "yes" if i < yes else "no" for i in range(10)}
    return {
        "schema": "valspec/value-preference@2",
        "value": value,
        "yes_rate": 10.0 * yes,
        "ci95": [10.0 * yes - 20, 10.0 * yes + 10],
        "n": 10,
        "items": items,
    }


def _persona_payload(shift: float) -> dict[str, Any]:
    return {
        "schema": "valspec/persona-alignment@2",
        "persona": "family-oriented",
        "strategy": "simple",
        "alignment_shift": shift,
        "ci95": [shift - 9, shift + 9],
    }


def _write(folder: Path, payloads: dict[str, dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, payload in payloads.items():
        (folder / name).write_text(json.dumps(payload, indent=2) + "\n")


def _snapshots(power_yes: int, shift: float) -> dict[str, dict[str, Any]]:
    files = {
        f"test_value_preference[{v.value}].json": _value_payload(v.value, 6) for v in CIRCLE_ORDER
    }
    files["test_value_preference[power].json"] = _value_payload("power", power_yes)
    files["test_persona_alignment[family-oriented-simple].json"] = _persona_payload(shift)
    return files


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose second commit moves power down 3 points and a persona shift."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    _write(root / "snapshots" / "sim", _snapshots(power_yes=7, shift=28.1))
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "base")
    _write(root / "snapshots" / "sim", _snapshots(power_yes=4, shift=35.0))
    _git(root, "commit", "-qam", "head")
    return root


def test_diff_between_git_refs(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = diff_command("HEAD~1", "HEAD", root=repo, out=out)
    text = path.read_text()
    assert text.startswith(DIFF_MARKER)
    assert "`sim` (`HEAD~1` → `HEAD`)" in text
    assert "2 snapshot file(s) changed." in text
    power = next(line for line in text.splitlines() if line.startswith("| power |"))
    assert power.split(" | ")[1:7] == ["70.0", "40.0", "-30.0", "[20.0, 50.0]", "10", "3 / 0"]
    assert sum(line.startswith("| ") and "| changed |" in line for line in text.splitlines()) == 2
    persona = next(line for line in text.splitlines() if "family-oriented-simple" in line)
    assert "+28.1 | +35.0 | +6.9" in persona
    with Image.open(out / "radar-sim.png") as png:
        assert png.size == (PIXELS, PIXELS)
    ET.parse(out / "radar-sim.svg")
    assert "(radar-sim.png)" in text


def test_diff_between_folders_matches_the_git_diff(repo: Path, tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    _write(before / "sim", _snapshots(power_yes=7, shift=28.1))
    _write(after, _snapshots(power_yes=4, shift=35.0))  # a model folder itself works too
    by_folder = diff_command(str(before), str(after), models=["sim"], out=tmp_path / "f")
    by_ref = diff_command("HEAD~1", "HEAD", root=repo, out=tmp_path / "g", charts=False)
    table = [line for line in by_folder.read_text().splitlines() if line.startswith("| ")]
    assert table == [line for line in by_ref.read_text().splitlines() if line.startswith("| ")]


def test_diff_of_identical_sides_says_nothing_changed(repo: Path, tmp_path: Path) -> None:
    text = diff_command("HEAD", "HEAD", root=repo, out=tmp_path / "o").read_text()
    assert "0 snapshot file(s) changed." in text
    assert "| power |" not in text
    assert not list((tmp_path / "o").glob("*.png"))


def test_diff_cli_prints_the_table_and_a_bad_ref_is_one_line(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "cli")
    assert main(["diff", "HEAD~1", "HEAD", "--root", str(repo), "--out", out, "--no-chart"]) == 0
    assert "| power | 70.0 | 40.0 |" in capsys.readouterr().out
    assert (
        main(["diff", "no-such-ref", "HEAD", "--root", str(repo), "--out", out]) == ExitCode.USAGE
    )
    err = capsys.readouterr().err
    assert err.startswith("valspec: error: git rev-parse") and err.count("\n") == 1
    with pytest.raises(ValspecError):
        diff_command("HEAD", "HEAD", root=repo, snapshot_dir="nothing-here", out=tmp_path / "x")


def _report(folder: Path, name: str, base: float, make_value_row: Any) -> Path:
    rows = [
        make_value_row(v.value, base + 3 * i, None) | {"identity": {"model": {"spec": name}}}
        for i, v in enumerate(CIRCLE_ORDER)
    ]
    write_report(folder, build_profile(rows, prompts={}), None, charts=False)
    return folder


def test_compare_makes_one_table_and_one_chart(tmp_path: Path, make_value_row: Any) -> None:
    folders = [
        _report(tmp_path / "a", "sim:gpt-4o", 50.0, make_value_row),
        _report(tmp_path / "b", "sim:blip-2", 30.0, make_value_row),
        _report(tmp_path / "c", "sim:blip-2", 35.0, make_value_row),
    ]
    labels = [m.label for m in load_profiles(folders)]
    assert labels == ["sim:gpt-4o", "sim:blip-2 (b)", "sim:blip-2 (c)"]
    written = write_compare(tmp_path / "out", folders)
    assert [p.name for p in written] == ["compare.md", "compare.png", "compare.svg"]
    text = written[0].read_text()
    power = next(line for line in text.splitlines() if line.startswith("| power |"))
    assert power == "| power | 62.0 | 42.0 | 47.0 | 50.3 |"
    assert "| SD across values | 9.1 | 9.1 | 9.1 |  |" in text
    with Image.open(written[1]) as png:
        assert png.size == (PIXELS, PIXELS)
    ET.parse(written[2])


def test_compare_cli_names_a_folder_without_a_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", str(tmp_path), "--out", str(tmp_path / "o")]) == ExitCode.USAGE
    assert "profile.json: no profile.json here" in capsys.readouterr().err


def test_diff_without_out_writes_into_a_temporary_folder_it_names(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    assert main(["diff", "HEAD~1", "HEAD", "--root", str(repo), "--no-chart"]) == 0
    err = capsys.readouterr().err
    written = Path(err.strip().rsplit("written to ", 1)[1])
    assert written.name.startswith("valspec-diff-") and (written / "diff.md").is_file()
    assert not (repo / "valspec-diff").exists()


def test_diff_names_the_videos_whose_verdict_flipped(repo: Path, tmp_path: Path) -> None:
    text = diff_command("HEAD~1", "HEAD", root=repo, out=tmp_path / "o", charts=False).read_text()
    # power went from 7 yes (po-00..po-06) to 4 yes (po-00..po-03): three flipped yes -> no
    assert "- **power**: yes → no (3): `po-04`, `po-05`, `po-06`" in text.splitlines()
    assert "no → yes" not in text and "**achievement**" not in text
    back = diff_command("HEAD", "HEAD~1", root=repo, out=tmp_path / "b", charts=False)
    assert "- **power**: no → yes (3): `po-04`, `po-05`, `po-06`" in back.read_text()


def test_diff_reports_the_gates_change_not_a_difference_of_rounded_scores(
    tmp_path: Path,
) -> None:
    from valspec.measure.gate import GateCase, evaluate_family

    # per-item P(yes) whose means round up on one side and down on the other: 57.15 -> 85.75
    base = {f"it-{i}": s for i, s in enumerate([0.5715, 0.5715, 0.5715, 0.5715])}
    now = {f"it-{i}": s for i, s in enumerate([0.8575, 0.8575, 0.8575, 0.8575])}

    def payload(scores: dict[str, float]) -> dict[str, Any]:
        mean = round(100 * sum(scores.values()) / len(scores), 1)
        return {
            "value": "power",
            "mode": "p_yes",
            "score": mean,
            "score_ci95": [mean - 5, mean + 5],
            "n": len(scores),
            "items": dict.fromkeys(scores, "yes"),
            "item_scores": scores,
        }

    _write(tmp_path / "before", {"test_value_preference[power].json": payload(base)})
    _write(tmp_path / "after", {"test_value_preference[power].json": payload(now)})
    out = tmp_path / "o"
    text = diff_command(str(tmp_path / "before"), str(tmp_path / "after"), out=out).read_text()
    verdict = evaluate_family([GateCase("power", now, base, 5.0)])["power"]
    row = next(line for line in text.splitlines() if line.startswith("| power |"))
    cells = row.split(" | ")[1:6]
    assert cells == [
        f"{verdict.baseline:.1f}",
        f"{verdict.current:.1f}",
        f"{verdict.delta:+.1f}",
        "[80.8, 90.8]",
        "4",
    ]
    # not the stored, rounded scores' difference (85.8 - 57.1 = +28.7)
    assert cells[2] != f"{payload(now)['score'] - payload(base)['score']:+.1f}"
