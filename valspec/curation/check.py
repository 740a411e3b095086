"""Check value retrieval on labelled captions: accuracy and the confusion matrix of one split.

The labelled set (``fixtures/captions/labelled.jsonl``) was written before the keyword lists;
its ``tune`` half may guide keyword and threshold choices, its ``heldout`` half never does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from valspec.curation.retrieval import Retriever
from valspec.domain.errors import DataError, UnknownNameError
from valspec.domain.values import ABBREVIATIONS, CIRCLE_ORDER, Value, parse_value

SPLITS = ("tune", "heldout")


@dataclass(frozen=True)
class Caption:
    """One labelled caption."""

    id: str
    text: str
    value: Value
    split: str


@dataclass(frozen=True)
class CheckResult:
    """Accuracy (top-1, ignoring the review threshold), acceptance and confusion counts."""

    n: int
    correct: int
    accepted: int
    accepted_correct: int
    confusion: dict[Value, dict[Value, int]]  # true value -> predicted value -> count

    @property
    def accuracy(self) -> float:
        """Share of captions whose primary value is the label."""
        return self.correct / self.n if self.n else 0.0

    def table(self) -> str:
        """The confusion matrix as text: rows are labels, columns predictions (abbreviated)."""
        head = "true \\ predicted".ljust(16) + "".join(
            f"{ABBREVIATIONS[v]:>4}" for v in CIRCLE_ORDER
        )
        lines = [head]
        for t in CIRCLE_ORDER:
            row = self.confusion[t]
            lines.append(t.value.ljust(16) + "".join(f"{row[p]:>4}" for p in CIRCLE_ORDER))
        return "\n".join(lines)


def load_captions(path: Path, split: str | None = None) -> list[Caption]:
    """Rows of a labelled JSONL file (``id``, ``text``, ``value``, ``split``), one split or all."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    rows: list[Caption] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                caption = Caption(
                    str(raw["id"]), str(raw["text"]), parse_value(raw["value"]), str(raw["split"])
                )
            except json.JSONDecodeError as exc:
                raise DataError(f"malformed JSON ({exc.msg})", file=path, line=line_no) from None
            except UnknownNameError as exc:
                raise DataError(str(exc), file=path, line=line_no, field="value") from None
            except KeyError as exc:
                raise DataError("missing", file=path, line=line_no, field=str(exc)) from None
            if caption.split not in SPLITS:
                raise DataError(
                    f"{caption.split!r} is not one of {', '.join(SPLITS)}",
                    file=path,
                    line=line_no,
                    field="split",
                )
            if split is None or caption.split == split:
                rows.append(caption)
    return rows


def check(retriever: Retriever, captions: list[Caption]) -> CheckResult:
    """Label every caption with ``retriever`` and count hits against the labels."""
    confusion = {t: dict.fromkeys(CIRCLE_ORDER, 0) for t in CIRCLE_ORDER}
    assignments = retriever.assign([c.text for c in captions])
    correct = accepted = accepted_correct = 0
    for caption, got in zip(captions, assignments, strict=True):
        confusion[caption.value][got.value] += 1
        hit = got.value is caption.value
        correct += hit
        accepted += got.accepted
        accepted_correct += hit and got.accepted
    return CheckResult(len(captions), correct, accepted, accepted_correct, confusion)
