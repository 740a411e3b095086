from __future__ import annotations

from pathlib import Path

import pytest

from valspec.domain.config import load_settings
from valspec.domain.errors import ConfigError


def _project(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(body, encoding="utf-8")
    return tmp_path


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.tolerance == 5.0
    assert settings.tolerance_for("power") == 5.0
    assert settings.snapshot_dir == tmp_path / "snapshots"


def test_reads_tolerances_paths_and_models(tmp_path: Path) -> None:
    settings = load_settings(
        _project(
            tmp_path,
            """
[tool.valspec]
tolerance = 4
tolerances = { Power = 8, "self direction" = 3 }
persona_tolerance = 7.5
dataset = "data/videos"
max_unparsable_rate = 0.1
[tool.valspec.models.mine]
adapter = "openai"
model = "my-vlm"
base_url = "http://127.0.0.1:8000/v1"
""",
        )
    )
    assert settings.tolerance_for("power") == 8.0
    assert settings.tolerance_for("self-direction") == 3.0
    assert settings.tolerance_for("security") == 4.0
    assert settings.persona_tolerance == 7.5
    assert settings.dataset == tmp_path / "data/videos"
    assert settings.models["mine"]["base_url"] == "http://127.0.0.1:8000/v1"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("tolerence = 3", "tolerence: unknown key (did you mean 'tolerance'?)"),
        ("tolerance = 'five'", "tolerance: expected a number"),
        ("tolerance = -1", "tolerance: must be positive"),
        ("tolerances = { powr = 3 }", "tolerances.powr: unknown value 'powr'. Did you mean"),
        ("max_unparsable_rate = 5", "max_unparsable_rate: must be a rate between 0 and 1"),
        ("models = { x = 3 }", "models.x: expected a table"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path: Path, body: str, needle: str) -> None:
    _project(tmp_path, f"[tool.valspec]\n{body}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'pyproject.toml'}: [tool.valspec] ")
    assert needle in str(info.value)


def test_invalid_toml_is_located(tmp_path: Path) -> None:
    _project(tmp_path, "[tool.valspec\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(tmp_path)


def test_paper_reason_is_a_boolean_off_by_default(tmp_path: Path) -> None:
    assert load_settings(tmp_path).paper_reason is False
    on = load_settings(_project(tmp_path, "[tool.valspec]\npaper_reason = true\n"))
    assert on.paper_reason is True
    with pytest.raises(
        ConfigError,
        match=r"pyproject.toml: \[tool.valspec\] paper_reason: expected true or false, got 1",
    ):
        load_settings(_project(tmp_path, "[tool.valspec]\npaper_reason = 1\n"))
    with pytest.raises(ConfigError, match="tolerance: expected a number, got True"):
        load_settings(_project(tmp_path, "[tool.valspec]\ntolerance = true\n"))
