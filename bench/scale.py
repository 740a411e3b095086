"""Scale benchmark: 50,000 items x 11 conditions through pytest with an instant model.

Builds a temporary project whose manifest has ``--items`` rows pointing at a few real fixture
files, registers an instant in-process adapter (``needs_frames=False``, so the numbers are the
harness's own cost), and runs the value suite (10 value cases + 5 personas x 2 strategies =
11 conditions) through pytest in a subprocess: cold (empty cache), then cached. Then the naive
way, one pytest test per query, on a slice, extrapolated. Prints the figures.

    python bench/scale.py                 # 50,000 items (about 2-3 minutes on 2 cores)
    python bench/scale.py --items 5000    # a quick look
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from valspec.domain.values import CIRCLE_ORDER

REPO = Path(__file__).resolve().parents[1]
VALUES = [v.value for v in CIRCLE_ORDER]
PLATFORMS = ("tiktok", "youtube_shorts", "instagram_reels")
PERSONAS = 5
STRATEGIES = ("simple", "isq")

CONFTEST = """
from valspec.adapters.base import Capabilities, Response
from valspec.adapters.registry import register_adapter

YES, NO = Response(text="Yes. Fun."), Response(text="No. Dull.")


class Instant:
    name = "instant"
    capabilities = Capabilities(max_batch=4096, needs_frames=False)

    def __init__(self, spec):
        self.spec = spec

    def fingerprint(self):
        return {"adapter": "instant", "model": self.spec.model}

    def answer(self, requests):
        return [YES if hash(r.key) % 3 else NO for r in requests]


register_adapter("instant", Instant)
"""

NAIVE_TEST = """
import json
import pytest
from valspec.adapters.base import Request, Response
from valspec.domain.messages import AnswerFormat
from valspec.parsing import parse_answer

ROWS = [json.loads(line) for line in open({manifest!r})][:{count}]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_one_query(row):
    response = Response(text="Yes. Fun." if hash(row["id"]) % 3 else "No. Dull.")
    assert parse_answer(response.text, AnswerFormat.YES_NO).verdict.value in ("yes", "no")
"""


def build(root: Path, items: int) -> Path:
    """Write the manifest, pyproject and conftest of the benchmark project."""
    media = sorted((REPO / "fixtures" / "videos").rglob("*.mp4"))[:3]
    media += sorted((REPO / "fixtures" / "videos").rglob("*.jpg"))[:2]
    data = root / "data"
    data.mkdir()
    hashes = {}
    for path in media:
        shutil.copy(path, data / path.name)
        hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    names = sorted(hashes)
    with (data / "manifest.jsonl").open("w") as out:
        for i in range(items):
            name = names[i % len(names)]
            row = {
                "id": f"post-{i:06d}",
                "file": name,
                "value": VALUES[i % len(VALUES)],
                "platform": PLATFORMS[i % len(PLATFORMS)],
                "sha256": hashes[name],
            }
            out.write(json.dumps(row) + "\n")
    (root / "pyproject.toml").write_text(
        f'[tool.valspec]\ndataset = "{data}"\npersonas = "{REPO / "fixtures" / "personas"}"\n'
        '[tool.valspec.models.fast]\nadapter = "instant"\nmodel = "m"\n'
    )
    (root / "conftest.py").write_text(CONFTEST)
    (root / "test_suite.py").write_text(
        "from valspec.suite import test_persona_alignment, test_value_preference\n"
    )
    return data / "manifest.jsonl"


def child_env(keep_env: bool) -> dict[str, str]:
    """The pytest child's environment: no progress bar, and (unless ``keep_env``) Python's
    default of caching bytecode, so pytest keeps the assertion-rewritten modules of its
    plugins between runs as it does on a normal machine (some sandboxes switch it off with
    PYTHONDONTWRITEBYTECODE=1, which makes every run rewrite ~150 modules again)."""
    env = {**os.environ, "VALSPEC_PROGRESS": "0"}
    if not keep_env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_pytest(root: Path, env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Run pytest in a subprocess: (seconds, peak RSS of that child in MB, summary line)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    lines = [
        line
        for line in text.splitlines()
        if " in " in line and ("passed" in line or "failed" in line)
    ]
    if child.returncode not in (0, 1):
        print(text[-3000:], file=sys.stderr)
        raise SystemExit(f"pytest exited {child.returncode}")
    return seconds, usage.ru_maxrss / 1024, (lines[-1].strip("= ") if lines else "?")


def personas_arg() -> str:
    from valspec.domain.personas import load_personas

    ids = [p.id for p in load_personas(REPO / "fixtures" / "personas")][:PERSONAS]
    return ",".join(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--naive", type=int, default=20_000, help="tests in the naive run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project")
    parser.add_argument(
        "--keep-env",
        action="store_true",
        help="run pytest with this environment as is (PYTHONDONTWRITEBYTECODE included)",
    )
    args = parser.parse_args()
    env = child_env(args.keep_env)
    cached_bytecode = "PYTHONDONTWRITEBYTECODE" not in env
    root = Path(tempfile.mkdtemp(prefix="valspec-scale-"))
    try:
        manifest = build(root, args.items)
        queries = args.items * (1 + PERSONAS * len(STRATEGIES))
        suite = [
            "test_suite.py",
            "--model=fast",
            f"--valspec-personas={personas_arg()}",
            "--snapshot-update",
        ]
        print(
            f"{args.items:,} items x {1 + PERSONAS * len(STRATEGIES)} conditions = "
            f"{queries:,} queries; project {root}; bytecode cache "
            + ("on (Python's default)" if cached_bytecode else "off (PYTHONDONTWRITEBYTECODE)")
        )
        empty, _, _ = run_pytest(root, env, "test_suite.py", "--collect-only", "--model=fast")
        print(f"pytest start + collect (loads the manifest): {empty:6.1f} s")
        cold, peak, summary = run_pytest(root, env, *suite)
        print(
            f"cold run (answers + cache writes):          {cold:6.1f} s   "
            f"{1e6 * cold / queries:5.1f} us/query   peak RSS {peak:5.0f} MB   ({summary})"
        )
        cached, peak2, summary = run_pytest(root, env, *suite)
        print(
            f"cached re-run:                              {cached:6.1f} s   "
            f"{1e6 * cached / queries:5.1f} us/query   peak RSS {peak2:5.0f} MB   ({summary})"
        )
        print(f"load average (1/5/15 min): {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
        cache = root / ".valspec" / "cache.sqlite"
        print(f"cache file: {cache.stat().st_size / 2**20:.0f} MB")
        naive = min(args.naive, args.items)
        (root / "test_naive.py").write_text(NAIVE_TEST.format(manifest=str(manifest), count=naive))
        slow, _, summary = run_pytest(root, env, "test_naive.py", "-p", "no:valspec")
        per_test = slow / naive
        print(
            f"naive, one test per query ({naive:,} tests): {slow:6.1f} s   "
            f"{1e3 * per_test:.2f} ms/test -> {per_test * queries / 60:.1f} min for "
            f"{queries:,} queries, {per_test * queries / cached:.0f}x the cached run"
        )
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
