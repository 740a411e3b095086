"""A progress bar with rate and ETA for long model work, and only for long work.

It draws (tqdm, to the real stderr) when more than :data:`MIN_QUERIES` queries are to be
sent and stderr is a terminal, or when ``VALSPEC_PROGRESS=1``; ``VALSPEC_PROGRESS=0`` turns
it off. It never writes into pytest's captured output: it draws on ``sys.__stderr__``.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

MIN_QUERIES = 200


def wanted(total: int, env: str | None = None, stream: TextIO | None = None) -> bool:
    """Whether a bar should be drawn for ``total`` queries to send."""
    setting = os.environ.get("VALSPEC_PROGRESS", "") if env is None else env
    if setting == "0":
        return False
    if setting == "1":
        return True
    target = stream if stream is not None else sys.__stderr__
    return total > MIN_QUERIES and target is not None and target.isatty()


class ProgressBar:
    """A callable ``(done, total)`` that opens a bar on first need; ``close()`` ends it."""

    def __init__(self, label: str, *, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream
        self._bar: Any = None
        self._decided = False

    def __call__(self, done: int, total: int) -> None:
        """Move the bar to ``done`` of ``total`` (the first call decides whether to draw)."""
        if not self._decided:
            self._decided = True
            if wanted(total, stream=self.stream):
                from tqdm import tqdm  # type: ignore[import-untyped]

                self._bar = tqdm(
                    total=total,
                    desc=self.label,
                    unit="query",
                    file=self.stream or sys.__stderr__,
                    dynamic_ncols=True,
                    mininterval=0.5,
                )
        if self._bar is not None:
            self._bar.update(done - self._bar.n)

    @property
    def drawing(self) -> bool:
        """True when a bar is on screen."""
        return self._bar is not None

    def close(self) -> None:
        """Finish the bar (a no-op when none was drawn)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
