"""Where a run's inputs come from: the project's fixtures, else the copy inside the wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from valspec.domain.config import load_settings
from valspec.session import options
from valspec.session.options import default_path

REPO = Path(__file__).resolve().parents[3]


def test_the_wheel_bundles_the_data_where_default_path_looks() -> None:
    """pyproject's force-include puts fixtures/<name> at valspec/_bundled/<name> in the wheel,
    which is where default_path falls back to in an installed package."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    bundled = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    package = options.PACKAGE_DIR.relative_to(REPO)
    for name in ("videos", "personas"):
        assert bundled[f"fixtures/{name}"] == f"{package}/_bundled/{name}"
        assert (REPO / "fixtures" / name).is_dir()


def test_default_path_prefers_configured_then_project_then_bundled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(tmp_path)
    configured = tmp_path / "mine"
    assert default_path(settings, configured, "videos") == configured
    assert default_path(settings, None, "videos") == tmp_path / "fixtures" / "videos"  # absent
    package = tmp_path / "site" / "valspec"
    (package / "_bundled" / "videos").mkdir(parents=True)
    monkeypatch.setattr(options, "PACKAGE_DIR", package)
    assert default_path(settings, None, "videos") == package / "_bundled" / "videos"
    (tmp_path / "fixtures" / "videos").mkdir(parents=True)
    assert default_path(settings, None, "videos") == tmp_path / "fixtures" / "videos"
