"""The repository's own promises: `pytest --model=X` runs the value suite only, the README's
self-test command is the one CI runs, and no test module changes the environment at import."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV_WRITERS = {"setdefault", "update", "pop", "clear", "__setitem__", "__delitem__"}


def test_default_testpaths_is_the_value_suite() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests/values"]


def test_readme_self_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    ci_command = [line for line in ci.splitlines() if line.startswith("python -m pytest")]
    assert ci_command == ["python -m pytest tests -n 2"]
    assert re.search(r"^python -m pytest tests -n 2\s*$", readme, re.MULTILINE)


def _module_level_env_writes(tree: ast.Module) -> list[int]:
    """Lines of statements outside functions and classes that write ``os.environ`` or putenv."""
    lines = []
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Attribute) and node.attr in {"putenv", "unsetenv"}:
                lines.append(node.lineno)
            if isinstance(node, ast.Subscript | ast.Attribute) and isinstance(
                node.ctx, ast.Store | ast.Del
            ):
                target = node.value if isinstance(node, ast.Subscript) else node
                if "environ" in ast.unparse(target):
                    lines.append(node.lineno)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ENV_WRITERS
                and "environ" in ast.unparse(node.func.value)
            ):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('import os\nos.environ.setdefault("HF_HUB_OFFLINE", "1")\n', True),
        ('import os\nos.environ["X"] = "1"\n', True),
        ('import os\nif True:\n    os.putenv("X", "1")\n', True),
        ('import os\ndef f():\n    os.environ["X"] = "1"\n', False),
        ('import os\nKEY = os.environ.get("X")\n', False),
    ],
)
def test_the_env_check_finds_module_level_writes(source: str, found: bool) -> None:
    assert bool(_module_level_env_writes(ast.parse(source))) is found


def test_no_test_module_changes_the_environment_at_import() -> None:
    """A module that set HF_HUB_OFFLINE at import made a whole `pytest --model=...` run offline."""
    offenders = []
    for path in [*sorted((REPO / "tests").rglob("*.py")), REPO / "conftest.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{path.relative_to(REPO)}:{line}" for line in _module_level_env_writes(tree)]
    assert offenders == []
