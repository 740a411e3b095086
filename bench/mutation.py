"""Mutation testing of the code that decides verdicts and money (docs/testing.md).

Runs mutmut 3 (configured in ``[tool.mutmut]`` of pyproject.toml: which files are mutated,
which fast unit tests run, which lines are messages) on the functions named in ``TARGETS``
only, then prints, per module, how many mutants were killed and every survivor with the
reason it is accepted (``ACCEPTED``) or ``UNEXPLAINED``. The exit status is 1 when the
killed share is below ``--min-score`` or any survivor is unexplained.

Run (from the repository root, on a quiet machine or under ``nice``)::

    nice -n 19 python bench/mutation.py             # all targets, 2 workers
    nice -n 19 python bench/mutation.py --only valspec.measure.stats --jobs 1

mutmut copies the code into ``mutants/`` (ignored by git) and keeps results there between
runs: a function whose code did not change is not tested again. ``--fresh`` starts over.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module -> the functions (or Class.method) whose mutants are tested. Presentation (summary
# lines, tables, failure messages) is left out: it decides nothing.
TARGETS: dict[str, tuple[str, ...]] = {
    "valspec.parsing.free_text": (
        "_is_punct",
        "_negated",
        "_first_not_in",
        "_clause_start",
        "_closes",
        "_closes_strictly",
        "_token_hits",
        "_weak_yes",
        "_token_index",
        "_phrase_hits",
        "_refusal_index",
        "_decide",
        "_has_markup",
        "_normalise",
        "_blank_unless_in_word",
        "_mask_ambiguous",
        "_analyse",
        "parse_yes_no",
        "_first_tokens_re",
        "_reason",
    ),
    "valspec.parsing.structured": (
        "_iter_objects",
        "_literal_eval_quietly",
        "_repaired_object",
        "_json_objects",
        "parse_json_object",
        "_key",
        "_walk",
        "_pairs",
        "_lookup",
        "_value_verdict",
        "_text_value",
        "_rating",
        "_scale_of",
        "_ratings",
        "derive_isq_decision",
        "_without_spans",
        "_stated_decision",
        "_unquote",
        "parse_answer",
    ),
    "valspec.measure.stats": (
        "wilson_interval",
        "_sd",
        "paired_mean_difference",
        "normal_interval",
        "mean_interval",
        "keying_scores",
        "pooled_strata",
        "paired_t_test",
        "sign_test_p",
        "mcnemar_test",
        "paired_bootstrap_test",
        "welch_test",
        "tost",
        "holm",
        "one_sided_below_p",
        "rate_above_p",
        "paired_power",
        "mcnemar_power",
        "n_needed",
    ),
    "valspec.measure.gate": (
        "GateOptions.__post_init__",
        "GateVerdict.failed",
        "GateVerdict.paired",
        "_analyse",
        "_flips",
        "_power",
        "_planned",
        "evaluate_family",
        "_floored_se",
        "reaches_tolerance",
    ),
    "valspec.measure.quality": ("answer_problems",),
    "valspec.measure.drift": (
        "Comparison.failed",
        "stale_reasons",
        "value_outcomes",
        "comparable_outcomes",
        "compare_value",
        "compare_persona",
        "compare_payload",
    ),
    "valspec.session.value_gate": ("ValueGate.verdicts", "ValueGate.failed"),
    "valspec.session.persona_gate": (
        "contrast_outcomes",
        "ShiftCheck.failed",
        "PersonaGate.verdicts",
        "PersonaGate.shift_check",
        "PersonaGate.failed",
        "_z",
    ),
    "valspec.engine.engine": (
        "Engine._key_prefix",
        "Engine._item_bytes",
        "Engine.key_for",
        "Engine.queries",
        "query_key",
    ),
    "valspec.engine.cache": (
        "SQLiteStore.get_many",
        "SQLiteStore.missing",
        "SQLiteStore.put_many",
        "SQLiteStore._drop_claims",
        "SQLiteStore.claim",
        "SQLiteStore.release",
        "SQLiteStore._is_dead",
    ),
    "valspec.reports.redact": ("_may_hold_token", "secret_values", "redact", "redact_cells"),
}

# Survivors examined and accepted: mutant name -> (group, why). Groups: "equivalent" (no
# input can tell), "message-only" (changes wording, never a verdict), "accepted" (a real
# change the fast tests leave to slower ones, with the reason). Names are mutmut's (module,
# function, number); a changed function renumbers its mutants, so re-examine them then.
ACCEPTED_FILE = ROOT / "bench" / "mutation_survivors.json"

LOG = ROOT / "mutants" / "run.log"  # mutmut's own output (a failing clean run says why)

# The audit's hand-made mutations (issue 18), some of which mutmut does not generate (module
# constants, SQL text): file, text, replacement, what it breaks. ``--audit`` applies each to a
# copy of the code and expects the fast tests to fail.
AUDIT: tuple[tuple[str, str, str, str], ...] = (
    ("valspec/parsing/free_text.py", 'token in _NEGATORS or token.endswith("n\'t")',
     "token in _NEGATORS", "negation: the n't check removed"),
    ("valspec/parsing/free_text.py", "NEGATION_LOOKBACK = 12", "NEGATION_LOOKBACK = 1",
     "negation: look-back shrunk to one token"),
    ("valspec/measure/drift.py", '    "frames": "frame sampling",\n', "",
     "staleness: frame sampling dropped from the stale fields"),
    ("valspec/measure/quality.py", "if not math.isnan(p) and p < level:", "if False:",
     "the unparsable-rate gate disabled"),
    ("valspec/engine/cache.py",
     '                            " AND (error IS NULL OR run_id = ?)",\n'
     "                            (*chunk, self.run_id),",
     '                            " AND error IS NULL",\n                            chunk,',
     "claim: a run's own failed rows ignored"),
    ("valspec/engine/engine.py", '            "prompt": template.version,\n', "",
     "key: prompt version dropped"),
    ("valspec/measure/drift.py", "if abs(delta) < tolerance:", "if abs(delta) <= tolerance:",
     "tolerance: < -> <= (value and persona comparison)"),
    ("valspec/measure/gate.py", "reach >= tolerance", "reach > tolerance",
     "tolerance: the gate's interval reach >= -> >"),
    ("valspec/measure/gate.py", "p_adj < level", "p_adj <= level", "alpha: < -> <="),
    ("valspec/measure/gate.py", "power < options.power", "power <= options.power",
     "power: inconclusive < -> <="),
    ("valspec/measure/quality.py", "p < level:", "p <= level:", "unparsable rate: < -> <="),
    ("valspec/measure/quality.py", "error_rate > settings", "error_rate >= settings",
     "max_error_rate: > -> >="),
    ("valspec/session/persona_gate.py", "self.p_value < self.level", "self.p_value <= self.level",
     "minimum shift: < -> <="),
)  # fmt: skip

KILLED = {1, 3}  # pytest failed (or errored): the mutant was noticed
TIMEOUT = {-24, 24, 152, 255, 36}  # a mutant that loops forever is noticed too
NOT_RUN = {None}


def _mangled(module: str, function: str) -> str:
    """mutmut's name prefix for a function or Class.method of ``module``."""
    if "." in function:
        cls, method = function.split(".", 1)
        return f"{module}.xǁ{cls}ǁ{method}__mutmut_"
    return f"{module}.x_{function}__mutmut_"


def _selected(only: list[str]) -> dict[str, tuple[str, ...]]:
    if not only:
        return TARGETS
    unknown = [m for m in only if m not in TARGETS]
    if unknown:
        raise SystemExit(f"unknown module(s) {unknown}; known: {sorted(TARGETS)}")
    return {m: TARGETS[m] for m in only}


def _results(targets: dict[str, tuple[str, ...]]) -> dict[str, dict[str, int | None]]:
    """Exit code of every targeted mutant, by module (read from mutmut's .meta files)."""
    out: dict[str, dict[str, int | None]] = {}
    for module, functions in targets.items():
        meta = ROOT / "mutants" / (module.replace(".", "/") + ".py.meta")
        codes: dict[str, int | None] = (
            json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        )
        prefixes = tuple(_mangled(module, f) for f in functions)
        out[module] = {k: v for k, v in codes.items() if k.startswith(prefixes)}
    return out


def _forget_survivors(targets: dict[str, tuple[str, ...]]) -> None:
    """Clear the stored verdict of every targeted survivor, so the next run tests it again
    (mutmut re-tests a mutant only when its function changed, not when tests were added)."""
    for module, functions in targets.items():
        meta = ROOT / "mutants" / (module.replace(".", "/") + ".py.meta")
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        prefixes = tuple(_mangled(module, f) for f in functions)
        for key, code in data["exit_code_by_key"].items():
            if key.startswith(prefixes) and code is not None and code not in KILLED | TIMEOUT:
                data["exit_code_by_key"][key] = None
        meta.write_text(json.dumps(data))


def _show(name: str) -> str:
    """The diff of one mutant, as ``mutmut show`` prints it."""
    done = subprocess.run(
        ["mutmut", "show", name], cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = [
        ln for ln in done.stdout.splitlines() if ln.startswith(("-", "+")) and ln[1:2] != ln[0]
    ]
    return " | ".join(ln.strip() for ln in lines if not ln.startswith(("---", "+++")))


def _audit() -> int:
    """Apply each AUDIT mutation to a copy of the code; 0 when the fast tests catch them all."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    tests = config["pytest_add_cli_args_test_selection"]
    extra = config["pytest_add_cli_args"]
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        for name in ("valspec", "tests"):
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("conftest.py", "pyproject.toml"):
            shutil.copy(ROOT / name, copy / name)
        (copy / "fixtures").symlink_to(ROOT / "fixtures")

        def tests_fail() -> bool:
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-x", *extra, *tests],
                cwd=copy,
                env={**os.environ, "PYTHONPATH": str(copy)},
                capture_output=True,
                text=True,
                check=False,
            )
            return done.returncode == 1

        if tests_fail():
            print("the fast tests fail on the unchanged code: nothing to measure")
            return 1
        for path, old, new, what in AUDIT:
            target = copy / path
            original = target.read_text()
            if original.count(old) < 1:
                print(f"  STALE  {what}: {old!r} not found in {path}")
                missed += 1
                continue
            target.write_text(original.replace(old, new))
            caught = tests_fail()
            target.write_text(original)
            missed += not caught
            print(f"  {'killed ' if caught else 'SURVIVED'} {what}")
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="one module of TARGETS")
    parser.add_argument("--jobs", type=int, default=2, help="mutmut workers (default 2)")
    parser.add_argument("--min-score", type=float, default=90.0, help="killed %% required")
    parser.add_argument("--fresh", action="store_true", help="delete mutants/ first")
    parser.add_argument("--report", action="store_true", help="only report the last run")
    parser.add_argument("--audit", action="store_true", help="only the audit's hand mutations")
    parser.add_argument(
        "--retest",
        action="store_true",
        help="test the last run's survivors again (after adding tests; mutmut keeps verdicts)",
    )
    args = parser.parse_args()
    if args.audit:
        return _audit()
    targets = _selected(args.only)
    if args.fresh:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    if args.retest:
        _forget_survivors(targets)
    started = time.monotonic()
    if not args.report:
        globs = [_mangled(m, f) + "*" for m, fs in targets.items() for f in fs]
        (ROOT / "mutants").mkdir(exist_ok=True)
        with LOG.open("w") as log:
            subprocess.run(
                ["mutmut", "run", "--max-children", str(args.jobs), *globs],
                cwd=ROOT,
                check=False,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    elapsed = time.monotonic() - started
    accepted: dict[str, list[str]] = (
        json.loads(ACCEPTED_FILE.read_text()) if ACCEPTED_FILE.exists() else {}
    )
    results = _results(targets)
    total_killed = total_tested = 0
    groups: dict[str, list[str]] = defaultdict(list)
    unexplained: list[str] = []
    print(
        f"{'module':34} {'mutants':>8} {'killed':>7} {'survived':>9} {'accepted':>9} {'score':>7}"
    )
    for module, codes in results.items():
        tested = {k: c for k, c in codes.items() if c not in NOT_RUN}
        killed = [k for k, c in tested.items() if c in KILLED or c in TIMEOUT]
        survivors = sorted(k for k in tested if k not in killed)
        ok = [k for k in survivors if k in accepted]
        for name in survivors:
            if name in accepted:
                group, why = accepted[name]
                groups[group].append(f"{name}: {why}")
            else:
                unexplained.append(f"{name} (exit {tested[name]}): {_show(name)}")
        total_killed += len(killed)
        total_tested += len(tested)
        score = 100.0 * len(killed) / len(tested) if tested else float("nan")
        print(
            f"{module:34} {len(tested):8d} {len(killed):7d} {len(survivors):9d} {len(ok):9d} "
            f"{score:6.1f}%"
        )
    if not total_tested:
        print(f"no mutant was tested: see {LOG.relative_to(ROOT)}")
        return 1
    score = 100.0 * total_killed / total_tested
    print(f"{'all':34} {total_tested:8d} {total_killed:7d} {total_tested - total_killed:9d}")
    print(f"killed {score:.1f} % of {total_tested} mutants; {elapsed / 60:.1f} min")
    for group, names in sorted(groups.items()):
        print(f"\n{group} ({len(names)}):")
        print("\n".join(f"  {n}" for n in names))
    if unexplained:
        print(f"\nUNEXPLAINED survivors ({len(unexplained)}):")
        print("\n".join(f"  {n}" for n in unexplained))
    return 0 if score >= args.min_score and not unexplained else 1


if __name__ == "__main__":
    sys.exit(main())
