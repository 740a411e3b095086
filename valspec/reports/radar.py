"""Radar (spider) chart of value profiles on Schwartz's circle, like the paper's figure.

matplotlib is imported only here, lazily, with the Agg backend (no display needed); it comes
with the ``plots`` extra. One line per series: baseline vs current, or one per model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valspec.domain.values import CIRCLE_ORDER

SIZE_INCHES = 6.0
DPI = 100
PIXELS = int(SIZE_INCHES * DPI)
"""Width and height of radar.png in pixels."""


@dataclass(frozen=True)
class Series:
    """One line on the chart: a label and a score (percent) per value name."""

    label: str
    scores: Mapping[str, float | None]
    dashed: bool = False
    flagged: frozenset[str] = frozenset()  # values to mark (failed cases): a red ring


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("radar charts need matplotlib: pip install 'valspec[plots]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def render_radar(
    series: Sequence[Series], paths: Sequence[Path], *, title: str = "Value profile"
) -> list[Path]:
    """Draw the series on the value circle and save one file per path (.png, .svg)."""
    plt = _pyplot()
    names = [v.value for v in CIRCLE_ORDER]
    angles = [2 * math.pi * i / len(names) for i in range(len(names))]
    fig = plt.figure(figsize=(SIZE_INCHES, SIZE_INCHES), dpi=DPI)
    try:
        ax = fig.add_subplot(projection="polar")
        ax.set_theta_offset(math.pi / 2)
        ax.set_theta_direction(-1)
        ax.set_xticks(angles)
        ax.set_xticklabels(names, fontsize=8)
        ax.set_ylim(0, 100)
        ax.set_yticks([20, 40, 60, 80, 100])
        ax.set_yticklabels(["20", "40", "60", "80", "100"], fontsize=7, color="0.4")
        colours = plt.get_cmap("tab10")
        solid = 0
        for line in series:
            ys = [_nan(line.scores.get(n)) for n in names]
            colour = "0.45" if line.dashed else colours(solid % 10)
            solid += 0 if line.dashed else 1
            style = "--" if line.dashed else "-"
            xs, ys = [*angles, angles[0]], [*ys, ys[0]]
            ax.plot(
                xs,
                ys,
                style,
                color=colour,
                linewidth=1.6,
                label=line.label,
                marker="o",
                markersize=3,
            )
            if not line.dashed and len(series) <= 2:
                ax.fill(xs, ys, color=colour, alpha=0.12)
            marked = [
                (a, y) for a, n, y in zip(angles, names, ys, strict=False) if n in line.flagged
            ]
            if marked:
                ax.plot(
                    [a for a, _ in marked],
                    [y for _, y in marked],
                    "o",
                    markersize=9,
                    markerfacecolor="none",
                    markeredgecolor="#d62728",
                    markeredgewidth=1.6,
                    label="failed: " + ", ".join(n for n in names if n in line.flagged),
                )
        ax.set_title(title, fontsize=10, pad=18)
        if series:
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.06),
                ncol=min(4, len(series)),
                fontsize=7,
                frameon=False,
            )
        fig.subplots_adjust(left=0.12, right=0.88, top=0.86, bottom=0.16)
        written = []
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=DPI, metadata=_metadata(path))
            written.append(path)
        return written
    finally:
        plt.close(fig)


def _nan(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _metadata(path: Path) -> dict[str, Any]:
    # Fixed metadata: the files do not change between identical runs (quiet diffs in docs/).
    if path.suffix == ".svg":
        return {"Date": None}
    if path.suffix == ".png":
        return {"Software": None}
    return {}
