"""Validate the drift gate by simulation; writes the figures into docs/statistics.md.

    python bench/validate_gate.py                 # about 15 minutes on 2 cores
    python bench/validate_gate.py --quick         # a few minutes, fewer replicates
    python bench/validate_gate.py --write-docs    # replace the generated sections of the docs

The model is the heterogeneous ``sim`` (item effects, re-run noise in P(yes), uneven per-item
drift, see valspec.measure.gate_sim). The gate runs with the value family's share of the suite
alpha (0.5 x 0.05, Holm over 10 values). Every rate is printed with its Monte Carlo standard
error and replicate count.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

from valspec.domain.values import Value
from valspec.measure.budget import SHARES
from valspec.measure.gate_sim import Reader, family_run, outcomes, profile_logits, rates, shifted
from valspec.measure.stats import (
    holm,
    mcnemar_test,
    paired_bootstrap_test,
    paired_t_test,
    rate_above_p,
)

ALPHA = 0.05
VALUE_ALPHA = ALPHA * SHARES["value"]
SHIPPED = 40  # items per value in fixtures/videos
DOCS = Path(__file__).resolve().parents[1] / "docs" / "statistics.md"
READERS = {
    "P(yes)": Reader("p_yes"),
    "sampled K=5": Reader("sampled", samples=5),
    "binary (temperature > 0)": Reader("binary"),
}
FLIP_READERS = {
    f"argmax, {int(100 * r)} % re-answer": Reader("flip", flip=r) for r in (0.02, 0.05, 0.1)
}


def rate(hits: int, runs: int) -> str:
    """A share with its Monte Carlo standard error."""
    p = hits / runs
    return f"{p:.3f} ± {math.sqrt(max(p * (1 - p), 1e-12) / runs):.3f}"


def a_a(reader: Reader, n: int, runs: int, seed: int = 1) -> int:
    """Runs (of ``runs``) in which any value fails: baseline and re-run drawn afresh each time."""
    rng = np.random.default_rng(seed)
    base = profile_logits("reference", n)
    return sum(
        any(v.failed for v in family_run(base, base, reader, rng, alpha=VALUE_ALPHA).values())
        for _ in range(runs)
    )


def power(reader: Reader, n: int, shift: float, runs: int, seed: int = 2) -> tuple[int, int]:
    """(runs failing the moved value, runs failing any unmoved value), per-item shifts redrawn."""
    rng = np.random.default_rng(seed)
    base = profile_logits("reference", n)
    rt = rates("reference")
    moved = unmoved = 0
    for _ in range(runs):
        now = dict(base)
        now[Value.BENEVOLENCE] = shifted(base[Value.BENEVOLENCE], rt[Value.BENEVOLENCE], shift, rng)
        verdicts = family_run(base, now, reader, rng, alpha=VALUE_ALPHA)
        moved += verdicts["benevolence"].failed
        unmoved += any(v.failed for k, v in verdicts.items() if k != "benevolence")
    return moved, unmoved


def per_baseline(
    reader: Reader, n: int, baselines: int, reruns: int, baseline_reader: Reader | None = None
) -> list[int]:
    """Failures in ``reruns`` re-runs against each of ``baselines`` frozen baselines."""
    rng = np.random.default_rng(4)
    base = profile_logits("reference", n)
    counts = []
    binary = reader.binary and (baseline_reader is None or baseline_reader.binary)
    for _ in range(baselines):
        frozen = {v: outcomes(x, baseline_reader or reader, rng) for v, x in base.items()}
        counts.append(
            sum(
                any(
                    v.failed
                    for v in family_run(
                        base, base, reader, rng, alpha=VALUE_ALPHA, baseline=frozen, binary=binary
                    ).values()
                )
                for _ in range(reruns)
            )
        )
    return counts


def upper95(hits: int, runs: int) -> float:
    """Clopper-Pearson 95 % upper bound of a share."""
    from scipy.stats import beta

    return 1.0 if hits == runs else float(beta.ppf(0.975, hits + 1, runs - hits))


def coverage(reader: Reader, n: int, runs: int) -> int:
    """How often the 95 % interval of a value's Δ covers the true Δ (a 10-point move)."""
    from valspec.measure.gate import GateCase, evaluate_family

    rng = np.random.default_rng(5)
    rt = rates("reference")
    hits = 0
    base = profile_logits("reference", n)[Value.SECURITY]
    truth_base = float(np.mean(1 / (1 + np.exp(-base))))
    for _ in range(runs):
        moved = shifted(base, rt[Value.SECURITY], 10.0, rng)
        truth = float(np.mean(1 / (1 + np.exp(-moved)))) - truth_base
        b, c = outcomes(base, reader, rng), outcomes(moved, reader, rng)
        ids = [str(i) for i in range(n)]
        case = GateCase("s", dict(zip(ids, c, strict=True)), dict(zip(ids, b, strict=True)), 5.0,
                        binary=reader.binary)  # fmt: skip
        v = evaluate_family([case])["s"]
        hits += v.ci[0] <= 100 * truth <= v.ci[1]
    return hits


def bootstrap_size(n: int, runs: int) -> int:
    """Rejections at 5 % of the paired bootstrap-t on null differences (skewed, binary-like)."""
    rng = np.random.default_rng(6)
    p = 1 / (1 + np.exp(-profile_logits("reference", n)[Value.POWER]))
    hits = 0
    for r in range(runs):
        d = (rng.random(n) < p).astype(float) - (rng.random(n) < p).astype(float)
        hits += paired_bootstrap_test(d.tolist(), seed=r).p_value < 0.05
    return hits


def mcnemar_agreement(runs: int) -> int:
    """Small random tables whose exact McNemar p and interval disagree (p < .05 vs CI excludes 0)."""  # noqa: E501
    rng = np.random.default_rng(7)
    bad = 0
    for _ in range(runs):
        n = int(rng.integers(5, 40))
        a, b = (
            (rng.random(n) < rng.random()).astype(int),
            (rng.random(n) < rng.random()).astype(int),
        )
        t = mcnemar_test(a.tolist(), b.tolist())
        bad += (t.p_value < 0.05) != (t.ci[0] > 0 or t.ci[1] < 0)
    return bad


def suite_a_a(runs: int, values: Reader, personas: Reader, n: int = SHIPPED) -> dict[str, int]:
    """Whole-suite A/A (value family + 40 persona cases + answer quality) with the budget.

    Persona cases are simulated as paired contrasts of per-item changes (persona minus
    neutral, both read with ``personas``) between baseline and re-run; quality checks as
    binomial counts at the sim's 1 % unparsable rate over each case's answers.
    """
    rng = np.random.default_rng(8)
    base = profile_logits("reference", n)
    logits = np.concatenate(list(base.values()))
    persona_alpha, quality_alpha = ALPHA * SHARES["persona"], ALPHA * SHARES["quality"]
    sizes = [n] * 10 + [n * 10 * 2] * 40  # 10 value and 40 persona cases
    out = {"value": 0, "persona": 0, "quality": 0, "any": 0}
    for _ in range(runs):
        verdicts = family_run(base, base, values, rng, alpha=VALUE_ALPHA).values()
        value_fail = any(v.failed for v in verdicts)
        ps = []
        for _case in range(40):
            now = outcomes(logits, personas, rng) - outcomes(logits, personas, rng)
            then = outcomes(logits, personas, rng) - outcomes(logits, personas, rng)
            ps.append(paired_t_test((now - then).tolist()).p_value)
        persona_fail = any(p < persona_alpha for p in holm(ps, 40))
        quality_fail = any(
            rate_above_p(int(rng.binomial(size, 0.01)), size, 0.05) < quality_alpha / len(sizes)
            for size in sizes
        )
        out["value"] += value_fail
        out["persona"] += persona_fail
        out["quality"] += quality_fail
        out["any"] += value_fail or persona_fail or quality_fail
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer replicates (a few minutes)")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/statistics.md")
    parser.add_argument(
        "--part",
        type=int,
        choices=(0, 1, 2),
        default=0,
        help="1: value family and whole run; 2: per-baseline rates and intervals; 0: both "
        "(run 1 and 2 at once to use both cores)",
    )
    args = parser.parse_args()
    q = args.quick
    runs, power_runs, suite_runs = (100, 100, 200) if q else (400, 200, 1000)
    baselines, reruns = (10, 50) if q else (20, 100)
    start = time.perf_counter()
    out: dict[str, list[str]] = {}

    part = args.part
    if part in (0, 1):
        value_family(out, runs, power_runs)
        whole_run(out, suite_runs)
    if part in (0, 2):
        per_baseline_section(out, baselines, reruns)
        intervals_section(out, runs)
    took = time.perf_counter() - start
    command = "python bench/validate_gate.py" + (" --quick" if q else "")
    command += f" --part {part}" if part else ""
    out["command"] = [f"`{command}` — {took / 60:.1f} minutes on the 2-core machine."]
    print(out["command"][0])
    if args.write_docs:
        return write_docs(out, command)
    return 0


def value_family(out: dict[str, list[str]], runs: int, power_runs: int) -> None:
    """A/A and power of the value family per mode and n."""
    rows = ["| mode | n per value | A/A: runs failing (any of 10 values) | +5 points caught | +10 caught | +2.5 fails | an unmoved value fails (+10 run) |",  # noqa: E501
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for label, reader in READERS.items():
        for n in (SHIPPED, 50, 200, 1000):
            if reader.mode != "p_yes" and n == SHIPPED:
                continue
            aa = a_a(reader, n, runs)
            p5, _ = power(reader, n, 5.0, power_runs)
            p10, u10 = power(reader, n, 10.0, power_runs)
            p25, _ = power(reader, n, 2.5, power_runs)
            cells = [rate(aa, runs), *(rate(x, power_runs) for x in (p5, p10, p25, u10))]
            row = f"| {label} | {n} | " + " | ".join(cells) + " |"
            print(row, flush=True)
            rows.append(row)
    for label, reader in FLIP_READERS.items():
        for n in (SHIPPED, 200, 1000):
            aa = a_a(reader, n, runs)
            row = f"| {label} | {n} | {rate(aa, runs)} | | | | |"
            print(row, flush=True)
            rows.append(row)
    out["value-family"] = [
        *rows,
        "",
        f"A/A: {runs} replicates; power: {power_runs} replicates with the per-item shifts redrawn "
        "(logit SD 1 around the calibrated offset). Value family alpha "
        f"{VALUE_ALPHA:g} (Holm over 10 values).",
    ]


def per_baseline_section(out: dict[str, list[str]], baselines: int, reruns: int) -> None:
    """False failures per frozen baseline."""
    rows = [
        "| baseline | re-runs | baselines | mean false-failure rate | worst (95 % upper bound) |",
        "|---|---|---|---|---|",
    ]
    for label, reader, breader, n in (
        ("P(yes), n = 40, baseline one run", Reader("p_yes"), None, SHIPPED),
        ("P(yes), n = 40, baseline mean of K = 5", Reader("p_yes"), Reader("p_yes_mean"), SHIPPED),
        ("binary, n = 1000, baseline 1 verdict", Reader("binary"), None, 1000),
        ("binary, n = 1000, baseline K = 5 samples", Reader("binary"), Reader("sampled", samples=5), 1000),  # noqa: E501
        ("sampled K = 5, n = 200", Reader("sampled", samples=5), None, 200),
        ("argmax, 5 % re-answer, n = 1000", Reader("flip", flip=0.05), None, 1000),
    ):  # fmt: skip
        counts = per_baseline(reader, n, baselines, reruns, breader)
        worst = max(counts)
        row = (f"| {label} | {reruns} | {baselines} | {sum(counts) / (baselines * reruns):.3f} | "
               f"{worst / reruns:.2f} ({upper95(worst, reruns):.2f}) |")  # fmt: skip
        print(row, flush=True)
        rows.append(row)
    out["per-baseline"] = rows


def whole_run(out: dict[str, list[str]], suite_runs: int) -> None:
    """Whole-suite A/A for the sim and near-deterministic models."""
    suite_rows = [
        "| model | runs | value family | persona family | answer quality | the run fails |",
        "|---|---|---|---|---|---|",
    ]
    models: dict[str, tuple[Reader, Reader]] = {
        "sim (values in P(yes), personas as sampled verdicts)": (Reader("p_yes"), Reader("binary"))
    }
    for r in (0.02, 0.05, 0.1):
        models[f"argmax, {int(100 * r)} % re-answer"] = (Reader("flip", flip=r),) * 2
    for label, (values, personas) in models.items():
        counts = suite_a_a(suite_runs, values, personas)
        cells = [rate(counts[k], suite_runs) for k in ("value", "persona", "quality", "any")]
        suite_rows.append(f"| {label} | {suite_runs} | " + " | ".join(cells) + " |")
        print(suite_rows[-1], flush=True)
    out["suite"] = [
        *suite_rows,
        "",
        f"At {SHIPPED} items per value: 10 value cases, 40 persona cases (paired contrasts of "
        "per-item changes), 50 unparsable-rate checks at the sim's 1 % unparsable rate.",
    ]


def intervals_section(out: dict[str, list[str]], runs: int) -> None:
    """Coverage, bootstrap size and McNemar agreement."""
    cov_rows = ["| mode | n | covered |", "|---|---|---|"]
    for label, reader in READERS.items():
        for n in (SHIPPED, 200):
            cov_rows.append(
                f"| {label} | {n} | {rate(coverage(reader, n, runs // 2), runs // 2)} |"
            )
    boot = ["| n | size at 5 % |", "|---|---|"]
    boot_runs = max(runs, 1000) if runs >= 400 else runs
    for n in (20, 30, 40, 50, 100, 200):
        boot.append(f"| {n} | {rate(bootstrap_size(n, boot_runs), boot_runs)} |")
    disagree = mcnemar_agreement(runs * 5)
    out["intervals"] = [
        "Coverage of the 95 % interval of Δ (a +10-point uneven move, security):",
        "",
        *cov_rows,
        "",
        "Size of the paired bootstrap-t (null differences of binary verdicts; the paired t "
        "test is used below 20 items):",
        "",
        *boot,
        "",
        f"Exact McNemar p-value and interval disagreeing on {disagree} of {runs * 5} random small "
        "tables (n 5-39).",
    ]
    print("\n".join(out["intervals"]), flush=True)


def write_docs(out: dict[str, list[str]], command: str) -> int:
    """Replace the generated sections of docs/statistics.md (locked: parts may run at once)."""
    import fcntl

    with (DOCS.parent / ".statistics.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = DOCS.read_text(encoding="utf-8")
        for name, body in out.items():
            pattern = re.compile(
                rf"<!-- generated:{name} -->\n(.*?)<!-- /generated:{name} -->", re.DOTALL
            )
            found = pattern.search(text)
            if found is None:
                print(f"docs/statistics.md has no generated:{name} section", file=sys.stderr)
                return 1
            lines = body
            if name == "command":  # keep the other parts' lines
                others = found.group(1).splitlines()
                lines = sorted(
                    {*(x for x in others if x and not x.startswith(f"`{command}`")), *body}
                )
            block = f"<!-- generated:{name} -->\n" + "\n".join(lines)
            block += f"\n<!-- /generated:{name} -->"
            text = text[: found.start()] + block + text[found.end() :]
        DOCS.write_text(text, encoding="utf-8")
    print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
