"""Regenerate the README's pictures from the drift demo, as a user would see them.

Runs ``pytest tests/values --model=sim:drifted --valspec-baseline=sim --valspec-report DIR``,
copies the radar chart, and draws summary.md's value table as an image (matplotlib).

Run:  python docs/img/make_images.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
COLUMNS = ("value", "baseline", "current", "current 95% CI", "Δ", "n", "verdict")


def value_table(summary: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the first markdown table in summary.md, limited to COLUMNS."""
    lines = [line for line in summary.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    keep = [header.index(name) for name in COLUMNS]
    rows = []
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) != len(header) or set(cells[0]) <= {"-", " "}:
            if rows:
                break
            continue
        rows.append([cells[i].replace("✅ ", "").replace("❌ ", "") for i in keep])
    return list(COLUMNS), rows


def draw(header: list[str], rows: list[list[str]], title: str, out: Path) -> None:
    fig, ax = plt.subplots(figsize=(8.2, 0.34 * (len(rows) + 2)), dpi=100)
    ax.axis("off")
    table = ax.table(cellText=rows, colLabels=header, loc="center", cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(9.5)
    table.scale(1, 1.45)
    table.auto_set_column_width(col=list(range(len(header))))
    for (row, _col), cell in table.get_celld().items():
        cell.set_edgecolor("#d0d7de")
        if row == 0:
            cell.set_facecolor("#f6f8fa")
            cell.set_text_props(weight="bold")
        elif rows[row - 1][-1] == "drift":
            cell.set_facecolor("#ffebe9")
    ax.set_title(title, loc="left", fontsize=11, weight="bold")
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="valspec-img-") as tmp:
        report = Path(tmp) / "report"
        subprocess.run(
            [sys.executable, "-m", "pytest", "tests/values", "--model=sim:drifted",
             "--valspec-baseline=sim", f"--valspec-report={report}", "-q", "-p", "no:xdist"],
            cwd=REPO, check=False, capture_output=True,
        )  # fmt: skip
        header, rows = value_table((report / "summary.md").read_text())
        draw(
            header,
            rows,
            "valspec value profile: sim:drifted vs baseline snapshots/sim (summary.md)",
            HERE / "summary-table.png",
        )
        shutil.copy(report / "radar.png", HERE / "radar.png")
    print(f"wrote {HERE / 'summary-table.png'} and {HERE / 'radar.png'}")


if __name__ == "__main__":
    main()
