"""Accuracy of value retrieval on the labelled captions (fixtures/captions/labelled.jsonl).

    python bench/curation_accuracy.py                 # held-out half, the default settings
    python bench/curation_accuracy.py --split tune    # the tuning half
    python bench/curation_accuracy.py --grid          # settings search, on the tune half ONLY

Prints accuracy, the share accepted (above the review threshold) and its accuracy, the
confusion matrix, and the time to load the embedder and label the captions.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from valspec.curation.check import check, load_captions
from valspec.curation.embed import load_embedder
from valspec.curation.keywords import load_keywords
from valspec.curation.retrieval import RetrievalSettings, Retriever

ROOT = Path(__file__).resolve().parents[1]
CAPTIONS = ROOT / "fixtures" / "captions" / "labelled.jsonl"


class _Cached:
    """The embedder with a per-text cache, so a settings grid embeds each text once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.identity = inner.identity
        self.name = inner.name
        self._rows: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._rows]
        if missing:
            self._rows.update(zip(missing, self.inner.encode(missing), strict=True))
        return np.stack([self._rows[t] for t in texts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["tune", "heldout"], default="heldout")
    parser.add_argument("--embedder", default=None, help="model folder (default: packaged MiniLM)")
    parser.add_argument("--keywords", type=Path, default=None)
    parser.add_argument("--grid", action="store_true", help="search settings on the tune half")
    args = parser.parse_args()

    started = time.perf_counter()
    embedder = load_embedder(args.embedder)
    loaded = time.perf_counter() - started
    keywords = load_keywords(args.keywords)
    print(f"embedder {embedder.name}: loaded in {loaded:.1f} s")
    print(f"keywords sha256 {keywords.sha256[:12]}")

    if args.grid:
        captions = load_captions(CAPTIONS, "tune")  # never the held-out half
        embedder = _Cached(embedder)
        results = []
        for share, bonus, top in itertools.product(
            (0.0, 0.25, 0.5, 0.75, 1.0), (0.0, 0.025, 0.05, 0.1), (1, 3, 5)
        ):
            settings = replace(
                RetrievalSettings(), description_share=share, keyword_bonus=bonus, top_keywords=top
            )
            result = check(Retriever(keywords, embedder, settings), captions)
            results.append((result.accuracy, share, bonus, top))
        for acc, share, bonus, top in sorted(results, reverse=True)[:10]:
            print(f"tune accuracy {acc:.3f}: share={share} keyword_bonus={bonus} top={top}")
        return

    captions = load_captions(CAPTIONS, args.split)
    started = time.perf_counter()
    result = check(Retriever(keywords, embedder, RetrievalSettings()), captions)
    took = time.perf_counter() - started
    accepted_acc = result.accepted_correct / result.accepted if result.accepted else float("nan")
    acc = f"{result.accuracy:.3f} ({result.correct}/{result.n})"
    print(f"split {args.split}: n = {result.n}, accuracy {acc}")
    s = RetrievalSettings()
    print(
        f"accepted (similarity >= {s.threshold}, confidence >= {s.min_confidence}): "
        f"{result.accepted}/{result.n}, accuracy among accepted {accepted_acc:.3f}"
    )
    print(f"labelled in {took:.2f} s ({1000 * took / result.n:.1f} ms per caption, with setup)")
    print(result.table())


if __name__ == "__main__":
    main()
