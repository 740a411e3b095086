"""The committed fixture set in fixtures/videos: complete, consistent, and reproducible."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from valspec.domain.values import CIRCLE_ORDER
from valspec.fixturegen.build import (
    FPS,
    GENERATOR_FILE,
    MANIFEST,
    generator_info,
    plan_items,
    render_item,
)
from valspec.fixturegen.catalogue import PLATFORMS

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "videos"
MAX_BYTES = 10 * 1024 * 1024  # 400 items: 8.3 MB (40 clips, 360 screenshots)
VERSION_KEYS = ("version", "av", "ffmpeg", "pillow", "freetype", "libjpeg", "libjpeg_turbo")


def _rows() -> list[dict[str, Any]]:
    lines = (FIXTURES / MANIFEST).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _recorded() -> dict[str, Any]:
    info: dict[str, Any] = json.loads((FIXTURES / GENERATOR_FILE).read_text("utf-8"))
    return info


def test_committed_manifest_matches_its_files() -> None:
    rows = _rows()
    total = 0
    for row in rows:
        data = (FIXTURES / str(row["file"])).read_bytes()
        total += len(data)
        assert hashlib.sha256(data).hexdigest() == row["sha256"], row["id"]
    assert total <= MAX_BYTES
    listed = {str(r["file"]) for r in rows}
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*.*")}
    assert on_disk == listed, "every media file is in the manifest and vice versa"


def test_committed_set_covers_every_value_kind_and_platform() -> None:
    per_value: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows():
        per_value[str(row["value"])].append(row)
    assert set(per_value) == {v.value for v in CIRCLE_ORDER}
    for value, rows in per_value.items():
        assert len(rows) >= 8, value
        assert {r["kind"] for r in rows} == {"video", "image"}, value
        assert {r["platform"] for r in rows} == set(PLATFORMS), value
    clips = [r for rows in per_value.values() for r in rows if r["kind"] == "video"]
    assert {r["gop"] == r["fps"] for r in clips} == {True, False}


def test_regenerating_reproduces_the_committed_bytes(tmp_path: Path) -> None:
    recorded = _recorded()
    installed = generator_info()
    differs = [k for k in VERSION_KEYS if recorded.get(k) != installed.get(k)]
    if differs:
        pytest.skip(
            "fixtures were generated with other library versions ("
            + ", ".join(f"{k}: {recorded.get(k)} vs installed {installed.get(k)}" for k in differs)
            + "); rerun `python -m valspec.fixturegen` to regenerate"
        )
    committed = {str(r["id"]): r for r in _rows()}
    plans = plan_items(int(str(recorded["per_value"])), int(str(recorded["seed"])))
    # one item of every (kind, platform, keyframe layout): all code paths, a fraction of the time
    sample: dict[tuple[str, str, bool], object] = {}
    chosen = []
    for plan in plans:
        key = (plan.kind, plan.platform, plan.gop == FPS)
        if key not in sample:
            sample[key] = plan
            chosen.append(plan)
    assert len(chosen) >= 9
    for plan in chosen:
        row = render_item(plan, tmp_path)
        assert row == committed[plan.id], plan.id
