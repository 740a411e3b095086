"""Run the value suite inside pytester projects that use the repository's fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from valspec.domain.personas import Persona, load_personas

REPO = Path(__file__).resolve().parents[3]
SUITE = "from valspec.suite import test_persona_alignment, test_value_preference\n"


class SuiteProject:
    """A pytester project running the suite on the bundled fixtures."""

    videos = REPO / "fixtures" / "videos"
    personas_dir = REPO / "fixtures" / "personas"

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.root = pytester.path

    def make(self, *baselines: str, extra_config: str = "") -> SuiteProject:
        """Write the suite module and pyproject; copy the named models' committed baselines."""
        self.pytester.makepyfile(test_value_suite=SUITE)
        self.pytester.makepyprojecttoml(
            f'[tool.valspec]\ndataset = "{self.videos}"\npersonas = "{self.personas_dir}"\n'
            + extra_config
        )
        for name in baselines:
            shutil.copytree(REPO / "snapshots" / name, self.root / "snapshots" / name)
        return self

    def run(self, *args: str) -> pytest.RunResult:
        """Run pytest in the project (in process)."""
        return self.pytester.runpytest("-p", "no:cacheprovider", *args)

    @property
    def personas(self) -> list[Persona]:
        """The bundled personas."""
        return load_personas(self.personas_dir)

    def snapshots(self, model: str) -> dict[str, bytes]:
        """Every snapshot file of a model, by name."""
        folder = self.root / "snapshots" / model
        return {p.name: p.read_bytes() for p in sorted(folder.glob("*.json"))}

    @staticmethod
    def failed(result: pytest.RunResult) -> set[str]:
        """The parametrize ids of the tests that failed in a run."""
        reports = result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
        return {r.nodeid.split("[", 1)[1].rstrip("]") for r in reports if r.failed}


@pytest.fixture
def suite(pytester: pytest.Pytester) -> SuiteProject:
    """A fresh suite project in pytester's temporary directory."""
    return SuiteProject(pytester)
