from __future__ import annotations

import json
import math
from pathlib import Path

from valspec.curation.stats import dataset_stats, manifest_confidences
from valspec.data.dataset import load_dataset
from valspec.domain.values import Value
from valspec.measure.detectable import min_detectable_change

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "videos"


def test_counts_and_detectable_changes_on_the_bundled_fixtures() -> None:
    stats = dataset_stats(load_dataset(FIXTURES))
    total = len(load_dataset(FIXTURES).items)
    per_value = total // 10
    assert sum(stats.per_value.values()) == total and stats.family == 10
    headers, rows = stats.count_table()
    assert headers[0] == "value" and headers[-1] == "total"
    assert rows[-1][0] == "all" and rows[-1][-1] == str(total)
    assert sum(int(c) for c in rows[-1][1:-1]) == total
    assert stats.detectable["p_yes"][Value.POWER] == min_detectable_change(per_value, "p_yes", 0.05)
    assert stats.detectable["binary"][Value.POWER] > stats.detectable["p_yes"][Value.POWER]
    headers, rows = stats.detectable_table()
    assert headers[:2] == ["value", "n"] and len(rows) == 10


def test_family_is_the_values_present_and_spreads_can_be_given(tmp_path: Path) -> None:
    data = load_dataset(FIXTURES).select(values=["power", "hedonism"])
    stats = dataset_stats(data, spreads={"p_yes": 0.2})
    assert stats.family == 2 and stats.spreads["p_yes"].assumption == "given with --spread"
    n = len(data.items) // 2
    expected = min_detectable_change(n, "p_yes", 0.2, family=2)
    assert stats.detectable["p_yes"][Value.POWER] == expected
    assert not math.isinf(expected)


def test_confidences_read_only_retrieved_rows(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (FIXTURES / "manifest.jsonl").read_text().splitlines()]
    rows = rows[:2]
    rows[0] |= {"label": "retrieved", "confidence": 0.7}
    rows[1] |= {"label": "given", "confidence": 1.0}
    for row in rows:
        (tmp_path / row["file"]).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / row["file"]).write_bytes((FIXTURES / row["file"]).read_bytes())
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert manifest_confidences(load_dataset(tmp_path)) == {rows[0]["id"]: 0.7}
