"""Assign each post a value: keyword hits plus sentence-embedding similarity to each value.

Like the paper's retrieval (keywords per value, a vector search), but run the other way round:
every item is scored against all ten values, so it gets a primary value, weights for the
others and a confidence, and the ones that fit no value well go to review instead of the
manifest. Scores are rounded to :data:`DIGITS` decimals *before* any comparison, so float noise
between machines or library versions cannot flip an item across a threshold or a tie.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from PIL import Image

from valspec.curation.keywords import KeywordList
from valspec.domain.values import CIRCLE_ORDER, Value

DIGITS = 3
"""Decimals similarities are rounded to before thresholding, argmax and weights."""


class Embedder(Protocol):
    """What retrieval needs from an embedder (``valspec.curation.embed.SentenceEmbedder``)."""

    identity: dict[str, str]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


class ImageEmbedder(Embedder, Protocol):
    """An embedder that also embeds pictures into its text space (CLIP-style)."""

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """One L2-normalised row per picture."""
        ...


@dataclass(frozen=True)
class RetrievalSettings:
    """How similarities become a label. Chosen on the *tune* half of the labelled captions."""

    threshold: float = 0.15  # an item's best similarity must reach this, else review.csv
    min_confidence: float = 0.3  # and its confidence this
    description_share: float = 0.25  # similarity = share·cos(description) + rest·top-k keywords
    top_keywords: int = 5  # mean of the k closest keywords of a value
    keyword_bonus: float = 0.05  # added per keyword found in the text (at most max_hits)
    max_hits: int = 2
    temperature: float = 0.05  # softmax temperature for confidence and weights
    weight_floor: float = 0.2  # secondary values with a weight below this are left out

    def __post_init__(self) -> None:
        if not 0 <= self.description_share <= 1:
            raise ValueError(f"description_share must be in [0, 1], got {self.description_share}")
        if self.top_keywords < 1 or self.max_hits < 0:
            raise ValueError("top_keywords must be >= 1 and max_hits >= 0")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if not 0 <= self.min_confidence <= 1 or not 0 < self.weight_floor <= 1:
            raise ValueError("min_confidence must be in [0, 1] and weight_floor in (0, 1]")

    def record(self) -> dict[str, float | int]:
        """The settings as they go into the build record."""
        return {
            "threshold": self.threshold,
            "min_confidence": self.min_confidence,
            "description_share": self.description_share,
            "top_keywords": self.top_keywords,
            "keyword_bonus": self.keyword_bonus,
            "max_hits": self.max_hits,
            "temperature": self.temperature,
            "weight_floor": self.weight_floor,
            "digits": DIGITS,
        }


@dataclass(frozen=True)
class Assignment:
    """One item's label: rounded similarity per value, the primary, its weights and confidence."""

    similarity: Mapping[Value, float]
    value: Value
    confidence: float
    weights: Mapping[Value, float]
    keywords: tuple[str, ...]  # the primary value's keywords found in the text or closest to it
    accepted: bool
    reason: str = ""  # why not accepted
    hits: Mapping[Value, tuple[str, ...]] = field(default_factory=dict)


class _Prototypes:
    """The values' descriptions and keywords embedded in one embedder's space."""

    def __init__(self, keywords: KeywordList, embedder: Embedder) -> None:
        self.descriptions = embedder.encode([v.description for v in keywords.values])
        self.keyword_rows = [embedder.encode(list(v.keywords)) for v in keywords.values]

    def similarity(self, rows: np.ndarray, settings: RetrievalSettings) -> np.ndarray:
        """items × values: share·cos(description) + (1 − share)·mean of top-k keyword cosines."""
        share = settings.description_share
        out = np.empty((rows.shape[0], len(CIRCLE_ORDER)), dtype=np.float64)
        desc = rows @ self.descriptions.T
        for j, kw in enumerate(self.keyword_rows):
            cos = rows @ kw.T
            k = min(settings.top_keywords, cos.shape[1])
            top = -np.sort(-cos, axis=1)[:, :k].mean(axis=1)
            out[:, j] = share * desc[:, j] + (1.0 - share) * top
        return out


class Retriever:
    """Scores texts (and optionally images) against the ten values with one keyword list.

    With an ``image_embedder`` (a CLIP-style model: text and images in one space) an item's
    similarity is the mean of its text and image similarities, or the image's alone when the
    item has no text.
    """

    def __init__(
        self,
        keywords: KeywordList,
        embedder: Embedder,
        settings: RetrievalSettings,
        *,
        image_embedder: Embedder | None = None,
    ) -> None:
        self.keywords = keywords
        self.embedder = embedder
        self.settings = settings
        self._text = _Prototypes(keywords, embedder)
        self._image = _Prototypes(keywords, image_embedder) if image_embedder else None
        self._keyword_names = [v.keywords for v in keywords.values]

    def embedding_similarity(self, rows: np.ndarray) -> np.ndarray:
        """items × values for text embeddings (see :class:`_Prototypes`)."""
        return self._text.similarity(rows, self.settings)

    def assign(
        self, texts: Sequence[str], images: Sequence[np.ndarray | None] | None = None
    ) -> list[Assignment]:
        """One assignment per text; ``images``: per item an image embedding or None.

        An item with neither text nor image embedding is never accepted.
        """
        if not texts:
            return []
        if images is not None and (self._image is None or len(images) != len(texts)):
            raise ValueError("image embeddings need an image embedder and one entry per text")
        rows = self.embedder.encode(list(texts))
        sims = self._text.similarity(rows, self.settings)
        out = []
        for i, text in enumerate(texts):
            image = images[i] if images is not None else None
            sim, closest_row, keyword_rows = sims[i], rows[i], self._text.keyword_rows
            if image is not None and self._image is not None:
                image_sim = self._image.similarity(image[None, :], self.settings)[0]
                sim = (sim + image_sim) / 2 if text.strip() else image_sim
                if not text.strip():
                    closest_row, keyword_rows = image, self._image.keyword_rows
            hits = self.keywords.matches(text)
            has_input = bool(text.strip()) or image is not None
            out.append(self._label(has_input, sim, hits, closest_row, keyword_rows))
        return out

    def _label(
        self,
        has_input: bool,
        sims: np.ndarray,
        hits: Mapping[Value, tuple[str, ...]],
        row: np.ndarray,
        keyword_rows: list[np.ndarray],
    ) -> Assignment:
        s = self.settings
        score = {
            v: round(
                float(sims[j]) + s.keyword_bonus * min(len(hits.get(v, ())), s.max_hits), DIGITS
            )
            for j, v in enumerate(CIRCLE_ORDER)
        }
        best = max(score.values())
        primary = next(v for v in CIRCLE_ORDER if score[v] == best)  # ties: circle order
        rel = {v: math.exp((score[v] - best) / s.temperature) for v in CIRCLE_ORDER}
        confidence = round(1.0 / sum(rel.values()), DIGITS)
        weights = {primary: 1.0} | {
            v: round(r, 2)
            for v, r in rel.items()
            if v is not primary and round(r, 2) >= s.weight_floor
        }
        j = CIRCLE_ORDER.index(primary)
        closest = np.argsort(-(keyword_rows[j] @ row), kind="stable")[:3]
        named = hits.get(primary, ())
        keywords = named + tuple(
            self._keyword_names[j][int(k)]
            for k in closest
            if self._keyword_names[j][int(k)] not in named
        )
        reason = ""
        if not has_input:
            reason = "no text to retrieve a value from"
        elif best < s.threshold:
            reason = f"best similarity {best:.{DIGITS}f} ({primary.value}) below {s.threshold}"
        elif confidence < s.min_confidence:
            reason = f"confidence {confidence:.{DIGITS}f} below {s.min_confidence}"
        return Assignment(
            similarity=score,
            value=primary,
            confidence=confidence,
            weights=weights,
            keywords=keywords[:5],
            accepted=not reason,
            reason=reason,
            hits=dict(hits),
        )
