"""Pause Python's cyclic garbage collector while a bulk step allocates many objects.

Planning a full-scale run builds ~550k query tuples and its scoring fills dicts of 50k
entries; each allocation burst makes the collector re-scan every live object (the dataset's
items, the plans) again and again, which at that scale costs more than the work itself.
Nothing in these steps creates reference cycles, so the collector has nothing to find; it is
switched back on afterwards (only if it was on). Never wrap model calls: a long run must keep
collecting.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the ``with`` block, then restore its state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
