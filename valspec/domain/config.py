"""Project settings from ``[tool.valspec]`` in pyproject.toml, validated into a frozen object.

Unknown keys are errors (a typo in a tolerance must not silently fall back to a default).
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valspec.domain.errors import ConfigError
from valspec.domain.values import parse_value

DEFAULT_TOLERANCE = 5.0  # points (percentage points of "yes")
DEFAULT_MAX_UNPARSABLE_RATE = 0.05
DEFAULT_MAX_ERROR_RATE = 0.05
DEFAULT_PERSONA_MIN_SHIFT = 10.0  # points
DEFAULT_CIRCUMPLEX_MIN = 0.5  # Spearman; see docs/personas.md for how both were chosen
DEFAULT_ALPHA = 0.05  # the drift gate's significance level (Holm across values)


@dataclass(frozen=True)
class Settings:
    """What a project configures once, in pyproject.toml, rather than on every command line."""

    root: Path = Path()
    dataset: Path | None = None
    personas: Path | None = None
    snapshot_dir: Path = Path("snapshots")
    tolerance: float = DEFAULT_TOLERANCE
    tolerances: Mapping[str, float] = field(default_factory=dict)
    persona_tolerance: float = DEFAULT_TOLERANCE
    max_unparsable_rate: float = DEFAULT_MAX_UNPARSABLE_RATE
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE
    persona_min_shift: float = DEFAULT_PERSONA_MIN_SHIFT
    circumplex_min: float = DEFAULT_CIRCUMPLEX_MIN
    alpha: float = DEFAULT_ALPHA
    frames: int = 4
    longest_side: int = 512
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    paper_reason: bool = False  # the ``paper`` strategy's second turn: ask for the reason

    def tolerance_for(self, value: str) -> float:
        """The drift tolerance in points for one value (per-value override or the default)."""
        return self.tolerances.get(value, self.tolerance)


_KEYS: dict[str, type | tuple[type, ...]] = {
    "dataset": str,
    "personas": str,
    "snapshot_dir": str,
    "tolerance": (int, float),
    "tolerances": dict,
    "persona_tolerance": (int, float),
    "max_unparsable_rate": (int, float),
    "max_error_rate": (int, float),
    "persona_min_shift": (int, float),
    "circumplex_min": (int, float),
    "alpha": (int, float),
    "frames": int,
    "longest_side": int,
    "models": dict,
    "paper_reason": bool,
}


def _fail(path: Path, key: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: [tool.valspec] {key}: {message}")


def settings_from_table(table: Mapping[str, Any], *, root: Path, source: Path) -> Settings:
    """Validate a ``[tool.valspec]`` table (``source`` names the file in errors)."""
    for key, raw in table.items():
        if key not in _KEYS:
            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _fail(source, key, f"unknown key{hint}; known keys: {', '.join(_KEYS)}")
        expected = _KEYS[key]
        if isinstance(raw, bool) != (expected is bool) or not isinstance(raw, expected):
            raise _fail(source, key, f"expected {_type_name(expected)}, got {raw!r}")
    tolerances: dict[str, float] = {}
    for name, tol in dict(table.get("tolerances", {})).items():
        if isinstance(tol, bool) or not isinstance(tol, int | float) or tol <= 0:
            raise _fail(source, f"tolerances.{name}", f"expected a positive number, got {tol!r}")
        try:
            tolerances[parse_value(name).value] = float(tol)
        except KeyError as exc:
            raise _fail(source, f"tolerances.{name}", str(exc)) from None
    models: dict[str, Mapping[str, Any]] = {}
    for alias, spec in dict(table.get("models", {})).items():
        if not isinstance(spec, dict):
            raise _fail(source, f"models.{alias}", "expected a table with 'adapter' and 'model'")
        models[alias] = dict(spec)
    for key in ("tolerance", "persona_tolerance", "persona_min_shift"):
        if key in table and table[key] <= 0:
            raise _fail(source, key, f"must be positive, got {table[key]!r}")
    for key in ("max_unparsable_rate", "max_error_rate"):
        if key in table and not 0 <= table[key] <= 1:
            raise _fail(source, key, f"must be a rate between 0 and 1, got {table[key]!r}")
    if "circumplex_min" in table and not -1 <= table["circumplex_min"] <= 1:
        raise _fail(
            source, "circumplex_min", f"must be between -1 and 1, got {table['circumplex_min']!r}"
        )
    if "alpha" in table and not 0 < table["alpha"] < 1:
        raise _fail(source, "alpha", f"must be between 0 and 1 (exclusive), got {table['alpha']!r}")
    for key in ("frames", "longest_side"):
        if key in table and table[key] < 1:
            raise _fail(source, key, f"must be at least 1, got {table[key]!r}")

    def path(key: str) -> Path | None:
        return (root / table[key]) if key in table else None

    return Settings(
        root=root,
        dataset=path("dataset"),
        personas=path("personas"),
        snapshot_dir=path("snapshot_dir") or root / "snapshots",
        tolerance=float(table.get("tolerance", DEFAULT_TOLERANCE)),
        tolerances=tolerances,
        persona_tolerance=float(table.get("persona_tolerance", DEFAULT_TOLERANCE)),
        max_unparsable_rate=float(table.get("max_unparsable_rate", DEFAULT_MAX_UNPARSABLE_RATE)),
        max_error_rate=float(table.get("max_error_rate", DEFAULT_MAX_ERROR_RATE)),
        persona_min_shift=float(table.get("persona_min_shift", DEFAULT_PERSONA_MIN_SHIFT)),
        circumplex_min=float(table.get("circumplex_min", DEFAULT_CIRCUMPLEX_MIN)),
        alpha=float(table.get("alpha", DEFAULT_ALPHA)),
        frames=int(table.get("frames", 4)),
        longest_side=int(table.get("longest_side", 512)),
        models=models,
        paper_reason=bool(table.get("paper_reason", False)),
    )


def _type_name(expected: type | tuple[type, ...]) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    names = {int: "a number", float: "a number", str: "a string", dict: "a table"}
    names[bool] = "true or false"
    return " or ".join(sorted({names.get(k, k.__name__) for k in kinds}))


def load_settings(root: Path) -> Settings:
    """Read ``<root>/pyproject.toml``'s ``[tool.valspec]`` (defaults when absent)."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Settings(root=root, snapshot_dir=root / "snapshots")
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("valspec", {})
    return settings_from_table(table, root=root, source=pyproject)
