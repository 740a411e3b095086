"""Helpers for the curation tests: tiny generated media, a bag-of-words embedder, the real one."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from valspec.curation.embed import SentenceEmbedder

DIM = 256


class BagOfWords:
    """A test double for the embedder: each word is a fixed random unit vector (hash-seeded),
    a text is their normalised sum, so texts sharing words are similar. Not a model."""

    def __init__(self) -> None:
        self.identity = {"name": "bag-of-words (test double)", "folder_sha256": "-", "library": "-"}
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        rows = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big")
                rows[i] += np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
            norm = float(np.linalg.norm(rows[i]))
            if norm:
                rows[i] /= norm
        return rows


@pytest.fixture
def bag_of_words() -> BagOfWords:
    return BagOfWords()


@pytest.fixture(scope="session")
def minilm() -> SentenceEmbedder:
    """The packaged all-MiniLM-L6-v2 (offline, from site-packages), loaded once per session."""
    import torch

    from valspec.curation.embed import load_embedder

    torch.set_num_threads(1)
    return load_embedder()


def make_image(path: Path, seed: int, size: tuple[int, int] = (96, 160)) -> Path:
    """A picture of random blocks: different seeds give perceptually different pictures."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(8, 5, 3), dtype=np.uint8)
    Image.fromarray(blocks).resize(size, Image.Resampling.NEAREST).save(path)
    return path


def make_clip(path: Path, seed: int, frames: int = 6, size: tuple[int, int] = (64, 96)) -> Path:
    """A 0.5 s H.264 clip of moving random blocks (``size``, 12 fps)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(8, 6, 3), dtype=np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("h264", rate=12)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, 12)
        for i in range(frames):
            picture = np.roll(base, i, axis=1)
            image = Image.fromarray(picture).resize(size, Image.Resampling.NEAREST)
            frame = av.VideoFrame.from_image(image)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
