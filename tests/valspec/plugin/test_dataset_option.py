"""``--valspec-dataset``: bring your own videos; bad manifests are located, never a traceback."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject


def _own_dataset(suite: SuiteProject, *, break_line: int | None = None) -> str:
    """Copy two items per value of the bundled fixtures into an HF-style folder."""
    target = suite.root / "my_videos"
    target.mkdir()
    rows = []
    counts: dict[str, int] = {}
    for line in (suite.videos / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        if counts.get(row["value"], 0) >= 2:
            continue
        counts[row["value"]] = counts.get(row["value"], 0) + 1
        shutil.copy(suite.videos / row["file"], target / row["file"].replace("/", "_"))
        rows.append(
            {
                "file_name": row["file"].replace("/", "_"),
                "value": row["value"],
                "platform": row["platform"],
            }
        )
    if break_line is not None:
        rows[break_line - 1]["value"] = "powr"
    (target / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(target)


def test_own_dataset_runs_and_records_a_baseline(suite: SuiteProject) -> None:
    folder = _own_dataset(suite.make())
    result = suite.run(
        "--model=sim", f"--valspec-dataset={folder}", "-k", "preference", "--snapshot-update"
    )
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(["power * 2 *"])


def test_bad_manifest_row_is_a_located_usage_error(suite: SuiteProject) -> None:
    folder = _own_dataset(suite.make(), break_line=3)
    result = suite.run("--model=sim", f"--valspec-dataset={folder}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*my_videos/metadata.jsonl:3: value: unknown value 'powr'. Did you mean 'power'?*"]
    )
    assert "Traceback" not in result.stderr.str()


def test_a_corrupt_clip_is_counted_for_its_item_only(suite: SuiteProject) -> None:
    folder = suite.root / "my_videos"
    _own_dataset(suite.make())
    rows = [json.loads(line) for line in (folder / "metadata.jsonl").read_text().splitlines()]
    clip = next(r for r in rows if r["file_name"].endswith(".mp4"))
    path = folder / clip["file_name"]
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])  # truncated download
    result = suite.run(
        "--model=sim", f"--valspec-dataset={folder}", "-k", "preference", "--snapshot-update"
    )
    assert suite.failed(result) == {clip["value"]}
    result.stdout.fnmatch_lines(
        [
            f"{clip['value']}: 50.0 % of queries failed (threshold 5 %); the case is incomplete*",
            f"  {path.stem}: media: {path}: *",
        ]
    )
