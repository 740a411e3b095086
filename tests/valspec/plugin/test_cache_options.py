"""The execution options end to end: cache, --valspec-no-cache, offline, samples, shards, xdist.

A counting adapter (registered by the project's conftest) logs every query key it is asked,
so each test can say exactly how many queries reached the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from valspec.cli import main as cli_main

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

CONFTEST = """
import hashlib
from valspec.adapters.base import Capabilities, Response
from valspec.adapters.registry import register_adapter


class Counting:
    name = "counting"
    capabilities = Capabilities(max_batch=8, needs_frames=False)

    def __init__(self, spec):
        self.spec = spec
        self.log = spec.options["log"]

    def fingerprint(self):
        return {"adapter": "counting", "model": self.spec.model}

    def answer(self, requests):
        with open(self.log, "a") as handle:
            handle.writelines(r.key + "\\n" for r in requests)
        out = []
        for r in requests:
            seed = f"{r.item_id}{r.sampling.sample_index}".encode()
            h = int(hashlib.sha256(seed).hexdigest(), 16)
            out.append(Response(text="Yes, fun." if h % 3 else "No, dull."))
        return out


register_adapter("counting", Counting)
"""

PLANNED = 40  # 2 items x 10 values, neutral and one persona


@pytest.fixture
def project(suite: SuiteProject) -> SuiteProject:
    log = suite.root / "requests.log"
    suite.make(
        extra_config=(
            f'[tool.valspec.models.counter]\nadapter = "counting"\nmodel = "m"\nlog = "{log}"\n'
            f'[tool.valspec.models.hot]\nadapter = "counting"\nmodel = "m"\nlog = "{log}"\n'
            "temperature = 0.7\n"
        )
    )
    suite.pytester.makeconftest(CONFTEST)
    return suite


def args(project: SuiteProject, *extra: str, model: str = "counter") -> list[str]:
    persona = project.personas[0].id
    return [
        f"--model={model}",
        "--valspec-limit=2",
        f"--valspec-personas={persona}",
        "--valspec-strategies=simple",
        "--snapshot-update",
        *extra,
    ]


def sent(project: SuiteProject) -> list[str]:
    log = project.root / "requests.log"
    return log.read_text().split() if log.exists() else []


def outcomes(result: pytest.RunResult) -> dict[str, int]:
    """passed / failed / skipped counts (the persona case may fail its threshold: the counting
    model ignores personas); errors would mean the engine broke a test's setup."""
    found = result.parseoutcomes()
    assert "errors" not in found and "error" not in found, result.stdout.str()[-2000:]
    return {k: v for k, v in found.items() if k in ("passed", "failed", "skipped")}


def test_the_cache_is_on_by_default_and_a_rerun_sends_nothing(project: SuiteProject) -> None:
    first = project.run(*args(project))
    assert len(sent(project)) == PLANNED and len(set(sent(project))) == PLANNED
    assert (project.root / ".valspec" / "cache.sqlite").is_file()
    second = project.run(*args(project))
    assert len(sent(project)) == PLANNED
    assert outcomes(second) == outcomes(first) and sum(outcomes(first).values()) == 11


def test_no_cache_keeps_answers_in_memory(project: SuiteProject) -> None:
    project.run(*args(project, "--valspec-no-cache"))
    project.run(*args(project, "--valspec-no-cache"))
    assert len(sent(project)) == 2 * PLANNED
    assert not (project.root / ".valspec").exists()


def test_offline_names_what_is_missing_before_any_test_runs(project: SuiteProject) -> None:
    result = project.run(*args(project, "--valspec-offline"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"*--valspec-offline: {PLANNED} of {PLANNED} queries for model 'counter' have no "
            "stored answer in the response cache *cache.sqlite*"
        ]
    )
    assert sent(project) == []
    online = project.run(*args(project))
    offline = project.run(*args(project, "--valspec-offline"))
    assert outcomes(offline) == outcomes(online) and len(sent(project)) == PLANNED


def test_samples_need_temperature_and_get_their_own_queries(project: SuiteProject) -> None:
    refused = project.run(*args(project, "--valspec-samples=3"))
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*--valspec-samples 3 needs sampling at temperature > 0*"])
    project.run(*args(project, "--valspec-samples=3", model="hot"))
    assert len(set(sent(project))) == 3 * PLANNED


def test_shards_split_the_work_and_merge_into_an_offline_run(project: SuiteProject) -> None:
    for index in (1, 2):
        shard = project.run(
            *args(project, f"--valspec-shard={index}/2", f"--valspec-cache=s{index}.sqlite")
        )
        assert outcomes(shard) == {"skipped": 11}
    keys = sent(project)
    assert len(keys) == len(set(keys)) == PLANNED
    root = project.root
    merged = root / "merged.sqlite"
    assert (
        cli_main(["cache", "merge", str(merged), str(root / "s1.sqlite"), str(root / "s2.sqlite")])
        == 0
    )
    result = project.run(*args(project, "--valspec-offline", f"--valspec-cache={merged}"))
    assert len(sent(project)) == PLANNED
    assert outcomes(result) == outcomes(project.run(*args(project, f"--valspec-cache={merged}")))
    assert len(sent(project)) == PLANNED and sum(outcomes(result).values()) == 11


def test_xdist_workers_share_the_cache_without_paying_twice(project: SuiteProject) -> None:
    result = project.pytester.runpytest_subprocess(
        *args(project), "-n", "2", "-p", "no:cacheprovider"
    )
    keys = sent(project)
    assert len(keys) == len(set(keys)) == PLANNED, "a query was paid twice"
    assert outcomes(result) == outcomes(project.run(*args(project)))


def test_bad_execution_options_are_usage_errors(project: SuiteProject) -> None:
    result = project.run(*args(project, "--valspec-no-cache", "--valspec-offline"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--valspec-no-cache contradicts --valspec-offline*"])
    result = project.run(*args(project, "--valspec-shard=3/2"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
