"""The GitHub workflows are valid and safe although they never ran here.

Checked offline with the GitHub workflow JSON Schema (check-jsonschema) and zizmor's static
security audit, plus what the issue asks of each: pinned actions, permissions, triggers.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _load(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return path


def test_the_three_workflows_exist() -> None:
    assert {p.name for p in FILES} >= {"ci.yml", "value-gate.yml", "snapshot-review.yml"}


def test_workflows_match_githubs_schema() -> None:
    done = subprocess.run(
        [
            _tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, FILES),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _zizmor(*paths: Path) -> tuple[int, list[dict[str, Any]]]:
    command = [_tool("zizmor"), "--offline", "--format", "json", "--min-severity", "medium"]
    done = subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, check=False)
    return done.returncode, json.loads(done.stdout or "null") or []


def test_zizmor_finds_nothing_above_low() -> None:
    code, findings = _zizmor(*FILES)
    assert findings == [], json.dumps(findings, indent=1)[:3000]
    assert code == 0


def test_zizmor_would_catch_an_injection(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\non: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        '    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    code, findings = _zizmor(bad)
    assert code != 0
    assert "template-injection" in {f["ident"] for f in findings}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_actions_are_pinned_by_commit_and_permissions_are_declared(path: Path) -> None:
    workflow = _load(path.name)
    assert "permissions" in workflow, "top-level permissions must be explicit"
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert PINNED.match(step["uses"]), step["uses"]
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
            run = step.get("run", "")
            assert "${{" not in run, "expressions in run: go through env"
            if "pip install" in run and ("[dev" in run or "[hf" in run):
                # torch first and pinned, or pip resolves a multi-GB CUDA build.
                assert run.index("torch==2.13.0") < run.index("pip install -e")


def test_value_gate_runs_the_value_suite_uploads_the_report_and_fails_on_drift() -> None:
    workflow = _load("value-gate.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["workflow_dispatch"]["inputs"]["model"]["required"] is True
    assert "release" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    steps = workflow["jobs"]["gate"]["steps"]
    suite = next(s for s in steps if "pytest" in s.get("run", ""))
    assert '--model="$MODEL"' in suite["run"] and "--valspec-report valspec-report" in suite["run"]
    assert "continue-on-error" not in suite  # drift fails the job
    upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "valspec-report/"
    assert upload["if"] == "${{ !cancelled() }}"


def test_value_gate_keeps_the_response_cache_between_runs_and_can_batch() -> None:
    workflow = _load("value-gate.yml")
    job = workflow["jobs"]["gate"]
    steps = job["steps"]
    names = [s.get("uses", s.get("run", "")).split("@")[0] for s in steps]
    restore = steps[names.index("actions/cache/restore")]
    save = steps[names.index("actions/cache/save")]
    suite = next(i for i, s in enumerate(steps) if "pytest" in s.get("run", ""))
    assert names.index("actions/cache/restore") < suite < names.index("actions/cache/save")
    assert restore["with"]["path"] == save["with"]["path"] == ".valspec/"
    key = restore["with"]["key"]
    assert key == save["with"]["key"]  # what one run restores, it saves again, updated
    # keyed by model, dataset and prompt versions; a new entry per run, the latest restored
    assert key.startswith("valspec-cache-${{ env.MODEL }}-${{ hashFiles(")
    for versioned in ("fixtures/videos/manifest.jsonl", "fixtures/personas/", "prompts.py"):
        assert versioned in key
    assert key.endswith("-${{ github.run_id }}-${{ github.run_attempt }}")
    assert restore["with"]["restore-keys"].strip() == key.rsplit("${{ github.run_id", 1)[0]
    assert save["if"] == "${{ always() }}"  # a pending (exit 6) run keeps its batch ids
    assert "${{" in job["env"]["MODEL"]
    batch = workflow[True]["workflow_dispatch"]["inputs"]["batch"]
    assert batch["options"] == ["off", "submit", "wait"] and batch["default"] == "off"
    run = steps[suite]["run"]
    assert "--valspec-batch" in run and "--valspec-batch-wait=40m" in run
    assert job["timeout-minutes"] > 40  # the wait fits in the job
    assert '[ "$code" -eq 6 ]' in run and 'exit "$code"' in run  # pending fails the gate


def test_snapshot_review_posts_one_comment_found_by_its_marker() -> None:
    workflow = _load("snapshot-review.yml")
    assert workflow[True]["pull_request"]["paths"] == ["snapshots/**"]
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["review"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = job["steps"]
    assert any('valspec diff "origin/$BASE_REF" HEAD' in s.get("run", "") for s in steps)
    script = next(s for s in steps if "github-script" in s.get("uses", ""))["with"]["script"]
    from valspec.reports.diff import DIFF_MARKER

    assert DIFF_MARKER in script
    assert "updateComment" in script and "createComment" in script


def test_the_readme_example_is_a_valid_safe_workflow(tmp_path: Path) -> None:
    readme = (WORKFLOWS.parents[1] / "README.md").read_text()
    block = readme.split("```yaml\n# .github/workflows/values.yml", 1)[1].split("```", 1)[0]
    assert len(block.strip().splitlines()) <= 12
    example = tmp_path / "values.yml"
    example.write_text("# .github/workflows/values.yml" + block)
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(example)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _zizmor(example) == (0, [])
    assert block in (WORKFLOWS.parents[1] / "docs" / "reports.md").read_text()
