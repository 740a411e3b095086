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
from PIL import Image, ImageDraw

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


def make_image(path: Path, seed: int, size: tuple[int, int] = (192, 320)) -> Path:
    """A drawing of random shapes: different seeds give perceptually different pictures."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = (int(v) for v in rng.integers(0, min(size), 2))
        w, h = (int(v) for v in rng.integers(20, min(size) // 2, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x0 + w, y0 + h), fill=colour)
    image.save(path)
    return path


def make_clip(path: Path, seed: int, frames: int = 6, size: tuple[int, int] = (64, 96)) -> Path:
    """A 0.5 s H.264 clip of a random drawing sliding sideways, scaled to ``size`` (12 fps)."""
    make_image(path.with_suffix(".scene.png"), seed, size=(128, 192))
    with Image.open(path.with_suffix(".scene.png")) as opened:
        scene = np.asarray(opened.convert("RGB"))
    path.with_suffix(".scene.png").unlink()
    with av.open(str(path), "w") as container:
        stream = container.add_stream("h264", rate=12)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, 12)
        for i in range(frames):
            image = Image.fromarray(np.roll(scene, 4 * i, axis=1)).resize(size)
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
