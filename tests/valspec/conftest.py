"""Fixtures shared by the package tests."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from PIL import Image

from valspec.data.dataset import Dataset, load_dataset

ImageDatasetFactory = Callable[..., Dataset]


@pytest.fixture(scope="session")
def image_dataset() -> ImageDatasetFactory:
    """Write a manifest of small PNG screenshots (one colour each) into a folder and load it."""

    def make(root: Path, ids: Sequence[str], *, size: tuple[int, int], step: int) -> Dataset:
        rows = []
        for i, item_id in enumerate(ids):
            name = f"{item_id}.png"
            Image.new("RGB", size, (step * i, 90, 160)).save(root / name)
            digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
            rows.append({"id": item_id, "file": name, "value": "power", "sha256": digest})
        (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        return load_dataset(root)

    return make
