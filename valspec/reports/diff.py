"""``valspec diff``: a model's snapshots at two git refs (or in two folders), as a table and chart.

This is what the snapshot-review workflow posts on a pull request: per value the score
before and after, the change, the new interval and the videos whose verdict flipped; per
persona the alignment shift before and after; and a radar chart of both profiles.
Snapshots are read with ``git ls-tree`` / ``git show <ref>:<path>`` (no worktree needed).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valspec.domain.errors import DataError, ValspecError
from valspec.domain.values import CIRCLE_ORDER
from valspec.measure.drift import comparable_outcomes
from valspec.measure.gate import Change, GateCase, change_of
from valspec.reports.files import fmt_interval, fmt_number, markdown_table
from valspec.reports.radar import Series

DIFF_MARKER = "<!-- valspec-snapshot-review -->"
"""Hidden marker that lets the review workflow find and update its one PR comment."""
DIFF_FILE = "diff.md"
Payload = dict[str, Any]


@dataclass(frozen=True)
class SnapshotSide:
    """One side of a diff: a label (the ref or folder) and payloads by snapshot file name."""

    label: str
    payloads: Mapping[str, Payload] = field(default_factory=dict)

    def values(self) -> dict[str, Payload]:
        """Value payloads by value name."""
        return {str(p["value"]): p for p in self.payloads.values() if "value" in p}

    def personas(self) -> dict[str, Payload]:
        """Persona payloads by ``<persona>-<strategy>``."""
        return {
            f"{p['persona']}-{p.get('strategy', '')}": p
            for p in self.payloads.values()
            if "persona" in p
        }


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise ValspecError("valspec diff needs git on PATH to read refs") from None
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or ["failed"]
        raise ValspecError(f"git {' '.join(args[:2])}: {reason[0]}")
    return done.stdout


def _parse(text: str, where: str) -> Payload:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"snapshot is not valid JSON ({exc.msg})", file=where, line=exc.lineno
        ) from None
    if not isinstance(data, dict):
        raise DataError("snapshot must hold a JSON object", file=where)
    return data


def read_folder(folder: Path) -> dict[str, Payload]:
    """Every ``*.json`` snapshot in a folder, by file name."""
    return {p.name: _parse(p.read_text(encoding="utf-8"), str(p)) for p in folder.glob("*.json")}


def read_ref(root: Path, ref: str, folder: str) -> dict[str, Payload]:
    """Every ``*.json`` snapshot under ``folder`` at git ``ref`` (empty when it is absent)."""
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    listing = _git(root, "ls-tree", "-z", "--name-only", f"{ref}", "--", f"{folder}/")
    names = [n for n in listing.split("\0") if n.endswith(".json")]
    return {Path(n).name: _parse(_git(root, "show", f"{ref}:{n}"), f"{ref}:{n}") for n in names}


def load_side(source: str, model: str, *, root: Path, snapshot_dir: str) -> SnapshotSide:
    """A folder (``<folder>/<model>/`` or the folder itself) or else a git ref of ``root``."""
    folder = Path(source)
    if folder.is_dir():
        inner = folder / model
        return SnapshotSide(source, read_folder(inner if inner.is_dir() else folder))
    return SnapshotSide(source, read_ref(root, source, f"{snapshot_dir}/{model}"))


def _score(payload: Payload | None) -> float | None:
    if payload is None:
        return None
    score = payload.get("score", payload.get("yes_rate"))
    return None if score is None else float(score)


def value_change(before: Payload | None, after: Payload | None) -> Change | None:
    """Before and after on the items both sides hold, computed as the gate computes them (so
    the diff's Δ is the failure message's, not a difference of two rounded scores)."""
    if before is None or after is None:
        return None
    mode, now, base = comparable_outcomes(after, before)
    if not set(now) & set(base):
        return None
    case = GateCase(str(after.get("value", "")), now, base, 0.0, binary=mode == "binary")
    return change_of(case)


def flipped(before: Payload | None, after: Payload | None) -> tuple[list[str], list[str]]:
    """The item ids (videos) whose verdict flipped yes -> no and no -> yes, each sorted."""
    if before is None or after is None:
        return [], []
    old, new = before.get("items", {}), after.get("items", {})
    common = sorted(set(old) & set(new))
    down = [i for i in common if old[i] == "yes" and new[i] == "no"]
    up = [i for i in common if old[i] == "no" and new[i] == "yes"]
    return down, up


def value_diff_table(before: SnapshotSide, after: SnapshotSide) -> str:
    """Per value: score before and after, Δ, the new interval, n and yes→no / no→yes flips.

    Where both sides share items, before, after, Δ and n are the gate's (paired on those
    items); otherwise each side's own score."""
    old, new = before.values(), after.values()
    rows = []
    for value in (v.value for v in CIRCLE_ORDER):
        if value not in old and value not in new:
            continue
        b, a = old.get(value), new.get(value)
        ci = (a or {}).get("score_ci95", (a or {}).get("ci95"))
        paired = value_change(b, a)
        down, up = flipped(b, a)
        rows.append(
            [
                value,
                fmt_number(_score(b) if paired is None else paired.baseline),
                fmt_number(_score(a) if paired is None else paired.current),
                "–" if paired is None else fmt_number(paired.delta, "{:+.1f}"),
                fmt_interval(ci),
                str((a or {}).get("n", "–") if paired is None else paired.n),
                "–" if b is None or a is None else f"{len(down)} / {len(up)}",
                "changed" if b != a else "",
            ]
        )
    headers = ["value", "before", "after", "Δ", "after 95% CI", "n", "flips ↓ / ↑", ""]
    return markdown_table(headers, rows)


def flipped_lines(before: SnapshotSide, after: SnapshotSide) -> list[str]:
    """One markdown bullet per value whose videos flipped, naming every flipped video."""
    old, new = before.values(), after.values()
    lines = []
    for value in (v.value for v in CIRCLE_ORDER):
        down, up = flipped(old.get(value), new.get(value))
        parts = [
            f"{label} ({len(ids)}): {', '.join(f'`{i}`' for i in ids)}"
            for label, ids in (("yes → no", down), ("no → yes", up))
            if ids
        ]
        if parts:
            lines.append(f"- **{value}**: " + "; ".join(parts))
    return lines


def persona_change(case: str, before: Payload | None, after: Payload | None) -> Change | None:
    """The alignment shift before and after on the shared items, as the persona gate has it."""
    from valspec.session.persona_gate import contrast_outcomes

    if before is None or after is None:
        return None
    now, base = contrast_outcomes(after, before)
    return change_of(GateCase(case, now, base, 0.0)) if now else None


def persona_diff_table(before: SnapshotSide, after: SnapshotSide) -> str:
    """Per persona x strategy: alignment shift before and after, and its change (paired on the
    shared items, as the persona gate computes it, when both sides hold per-item changes)."""
    old, new = before.personas(), after.personas()
    rows = []
    for case in sorted(set(old) | set(new)):
        b, a = old.get(case), new.get(case)
        shift_b = None if b is None else b.get("alignment_shift")
        shift_a = None if a is None else a.get("alignment_shift")
        paired = persona_change(case, b, a)
        if paired is not None:
            shift_b, shift_a = paired.baseline, paired.current
        delta = None if shift_a is None or shift_b is None else shift_a - shift_b
        rows.append(
            [
                case,
                fmt_number(shift_b, "{:+.1f}"),
                fmt_number(shift_a, "{:+.1f}"),
                fmt_number(delta if paired is None else paired.delta, "{:+.1f}"),
                fmt_interval((a or {}).get("ci95")),
                "changed" if b != a else "",
            ]
        )
    headers = ["persona / strategy", "shift before", "shift after", "Δ", "after 95% CI", ""]
    return markdown_table(headers, rows)


def changed_files(before: SnapshotSide, after: SnapshotSide) -> list[str]:
    """Snapshot files added, removed or edited between the two sides."""
    names = set(before.payloads) | set(after.payloads)
    return sorted(n for n in names if before.payloads.get(n) != after.payloads.get(n))


def diff_markdown(
    model: str, before: SnapshotSide, after: SnapshotSide, *, chart: str | None = None
) -> str:
    """The review comment for one model: what changed, the two tables, and the chart link."""
    changed = changed_files(before, after)
    lines = [
        f"### Snapshot review: `{model}` (`{before.label}` → `{after.label}`)",
        "",
        f"{len(changed)} snapshot file(s) changed.",
        "",
    ]
    if not changed:
        return "\n".join(lines)
    if before.values() or after.values():
        lines += [value_diff_table(before, after), ""]
        flips = flipped_lines(before, after)
        if flips:
            lines += ["<details><summary>Videos whose verdict flipped</summary>", ""]
            lines += [*flips, "", "</details>", ""]
    if before.personas() or after.personas():
        lines += ["<details><summary>Persona alignment</summary>", ""]
        lines += [persona_diff_table(before, after), "", "</details>", ""]
    if chart:
        lines += [f"![radar chart of {model}: before and after]({chart})", ""]
    return "\n".join(lines)


def diff_series(model: str, before: SnapshotSide, after: SnapshotSide) -> list[Series]:
    """Radar series: before (dashed) and after."""
    return [
        Series(
            f"before ({before.label})", {k: _score(p) for k, p in before.values().items()}, True
        ),
        Series(f"after ({after.label})", {k: _score(p) for k, p in after.values().items()}),
    ]


def write_diff(
    out: Path,
    models: Sequence[str],
    sides: Mapping[str, tuple[SnapshotSide, SnapshotSide]],
    *,
    charts: bool = True,
) -> Path:
    """Write ``diff.md`` (with the hidden marker) and a radar chart per changed model."""
    from valspec.reports.radar import render_radar

    out.mkdir(parents=True, exist_ok=True)
    sections = [DIFF_MARKER]
    for model in models:
        before, after = sides[model]
        chart = None
        if charts and changed_files(before, after) and (before.values() or after.values()):
            slug = model.replace("/", "_").replace(":", "_")
            paths = [out / f"radar-{slug}.png", out / f"radar-{slug}.svg"]
            render_radar(diff_series(model, before, after), paths, title=f"{model}: before/after")
            chart = paths[0].name
        sections.append(diff_markdown(model, before, after, chart=chart))
    path = out / DIFF_FILE
    path.write_text("\n".join(sections).rstrip("\n") + "\n", encoding="utf-8")
    return path


def models_in(source: str, *, root: Path, snapshot_dir: str) -> set[str]:
    """Model folders on one side: sub-folders of a folder, or of ``snapshot_dir`` at a ref."""
    folder = Path(source)
    if folder.is_dir():
        subs = {p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.json"))}
        return subs or {folder.name}
    _git(root, "rev-parse", "--verify", "--quiet", f"{source}^{{commit}}")
    listing = _git(root, "ls-tree", "-z", "-d", "--name-only", source, "--", f"{snapshot_dir}/")
    return {Path(n).name for n in listing.split("\0") if n}


def diff_command(
    base: str,
    head: str,
    *,
    models: Sequence[str] = (),
    root: Path = Path(),
    snapshot_dir: str = "snapshots",
    out: Path,
    charts: bool = True,
) -> Path:
    """Compare two refs or folders for the given models (default: every model on either side)."""
    names = sorted(models) or sorted(
        models_in(base, root=root, snapshot_dir=snapshot_dir)
        | models_in(head, root=root, snapshot_dir=snapshot_dir)
    )
    if not names:
        raise ValspecError(f"no model snapshots under {snapshot_dir}/ in {base} or {head}")
    sides = {
        m: (
            load_side(base, m, root=root, snapshot_dir=snapshot_dir),
            load_side(head, m, root=root, snapshot_dir=snapshot_dir),
        )
        for m in names
    }
    return write_diff(out, names, sides, charts=charts)
