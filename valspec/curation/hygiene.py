"""Dataset hygiene: exact and near duplicates, unreadable media, and seeded per-value balance.

Near duplicates are found by a 256-bit perceptual hash (DCT pHash, ``imagehash.phash`` with
``hash_size=16``) of each screenshot and of each clip's sampled frames (the same frames a run
shows the model): two images are near duplicates at a Hamming distance of at most
:data:`PHASH_DISTANCE` bits; two clips when the mean distance over their aligned frames is at
most that. Images are compared with images and clips with clips.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from valspec.domain.values import CIRCLE_ORDER, Value

HASH_SIZE = 16
"""pHash side: 16 × 16 = 256 bits. The common 64-bit pHash merged distinct posts that share a
layout (docs/datasets.md measures both)."""
PHASH_DISTANCE = 16
"""Most differing bits (of 256) for two pHashes to count as the same picture: catches half-size
JPEG re-encodes and brightness changes (docs/datasets.md measures it)."""
HASH_FRAMES = 4
"""Frames hashed per clip (the run's default frame count)."""
HASH_SIDE = 256
"""Longest side frames are decoded at for hashing (pHash works on 32x32 anyway)."""


def phash(image: Image.Image) -> np.ndarray:
    """The 256-bit DCT perceptual hash of one picture, packed into four uint64 words."""
    import imagehash

    bits = np.asarray(imagehash.phash(image, hash_size=HASH_SIZE).hash, dtype=bool).ravel()
    return np.packbits(bits).view(np.uint64).copy()


@dataclass(frozen=True)
class Duplicate:
    """An item dropped as a copy of a kept one (distance 0 and kind ``exact`` for same bytes)."""

    id: str
    duplicate_of: str
    how: str  # "exact" (same sha256) | "near" (perceptual hash)
    distance: float


class NearDuplicateIndex:
    """Kept items' hashes per (kind, frame count); finds the closest kept item to a new one."""

    def __init__(self, max_distance: float = PHASH_DISTANCE) -> None:
        self.max_distance = max_distance
        self._ids: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._rows: dict[tuple[str, int], list[np.ndarray]] = defaultdict(list)
        self._matrix: dict[tuple[str, int], np.ndarray] = {}

    def check_and_add(
        self, item_id: str, kind: str, hashes: Sequence[np.ndarray]
    ) -> Duplicate | None:
        """The duplicate record if a kept item is within reach, else keep this one."""
        key = (kind, len(hashes))
        row = np.stack(hashes).astype(np.uint64)  # frames × words
        if self._ids[key]:
            matrix = self._stacked(key)  # items × frames × words
            distances = np.bitwise_count(matrix ^ row).sum(axis=2).mean(axis=1)
            best = int(np.argmin(distances))
            if distances[best] <= self.max_distance:
                return Duplicate(item_id, self._ids[key][best], "near", float(distances[best]))
        self._ids[key].append(item_id)
        self._rows[key].append(row)
        self._matrix.pop(key, None)
        return None

    def _stacked(self, key: tuple[str, int]) -> np.ndarray:
        if key not in self._matrix:
            self._matrix[key] = np.stack(self._rows[key])
        return self._matrix[key]


@dataclass(frozen=True)
class Balanced:
    """Which items ``--per-value`` keeps, which it leaves out, and the values short of N."""

    kept: tuple[str, ...]
    left_out: tuple[str, ...]
    short: dict[Value, int]  # value -> items available, where fewer than N


def balance(items: Sequence[tuple[str, Value, str]], per_value: int, *, seed: int = 0) -> Balanced:
    """At most ``per_value`` of each value's ``(id, value, platform)`` items, spread over platforms.

    Within a value, each platform's items are shuffled with a seeded RNG and taken in turn
    (platforms in name order), so platforms stay as even as the data allows. A value with
    fewer items keeps them all and is reported in ``short``. Order of ``kept`` follows input.
    """
    if per_value < 1:
        raise ValueError(f"per-value must be at least 1, got {per_value}")
    by_value: dict[Value, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for item_id, value, platform in items:
        by_value[value][platform].append(item_id)
    chosen: set[str] = set()
    short: dict[Value, int] = {}
    for value in CIRCLE_ORDER:
        platforms = by_value.get(value)
        if not platforms:
            continue
        total = sum(len(ids) for ids in platforms.values())
        if total <= per_value:
            chosen.update(i for ids in platforms.values() for i in ids)
            if total < per_value:
                short[value] = total
            continue
        queues = []
        for platform in sorted(platforms):
            ids = sorted(platforms[platform])
            random.Random(f"{seed}:{value.value}:{platform}").shuffle(ids)
            queues.append(ids)
        taken = 0
        while taken < per_value:
            for queue in queues:
                if queue and taken < per_value:
                    chosen.add(queue.pop(0))
                    taken += 1
    kept = tuple(i for i, _, _ in items if i in chosen)
    left_out = tuple(i for i, _, _ in items if i not in chosen)
    return Balanced(kept, left_out, short)
