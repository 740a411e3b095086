"""Progress of long model work: done/total, rate, ETA, errors so far and cache hits.

On a terminal it redraws one line in place (at most every :data:`TTY_INTERVAL_S`); elsewhere
(CI logs) it writes a plain line at most every :data:`LOG_INTERVAL_S`, so a long run shows it
is alive without flooding the log. ``VALSPEC_PROGRESS=0`` turns it off, ``=1`` draws the
terminal form anywhere. Callers that run under output capture pass ``suspend``, a context
manager that lifts the capture while a line is written (pytest's capture manager has one).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TextIO

MIN_QUERIES = 100
"""Work of this many units or fewer is shown only when ``VALSPEC_PROGRESS=1`` (a bar for a
handful of queries would be noise between pytest's dots)."""
TTY_INTERVAL_S = 0.2
LOG_INTERVAL_S = 30.0

Suspend = Callable[[], AbstractContextManager[object]]


def mode(env: str | None = None, stream: TextIO | None = None) -> str:
    """``"tty"``, ``"log"`` or ``"off"``: how progress is shown on ``stream``."""
    setting = os.environ.get("VALSPEC_PROGRESS", "") if env is None else env
    if setting == "0":
        return "off"
    if setting == "1":
        return "tty"
    target = stream if stream is not None else sys.__stderr__
    if target is None:
        return "off"
    try:
        return "tty" if target.isatty() else "log"
    except (ValueError, OSError):  # a closed stream
        return "off"


def wanted(total: int, env: str | None = None, stream: TextIO | None = None) -> bool:
    """Whether progress is shown for ``total`` units of work."""
    setting = os.environ.get("VALSPEC_PROGRESS", "") if env is None else env
    return (total > MIN_QUERIES or setting == "1") and mode(env, stream) != "off"


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressBar:
    """A callable ``(done, total, errors=0)``; ``close()`` ends the line (and, in a log,
    writes the final state when a line was written before).

    ``cached`` is how many answers the store already held (shown, never counted as work).
    """

    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        unit: str = "queries",
        cached: int = 0,
        quiet: bool = False,
        suspend: Suspend | None = None,
        env: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream
        self.unit = unit
        self.cached = cached
        self.suspend = suspend
        self._clock = clock
        if quiet:
            self._mode = "off"
        else:  # asked with the capture lifted: under capture, stderr is never a terminal
            with suspend() if suspend is not None else contextlib.nullcontext():
                self._mode = mode(env, stream)
        setting = os.environ.get("VALSPEC_PROGRESS", "") if env is None else env
        self._forced = setting == "1"
        self._start = clock()
        # a log line only once a run has lasted LOG_INTERVAL_S: short runs stay silent in CI
        self._last_write = self._start if self._mode == "log" else -float("inf")
        self._state = (0, 0, 0)
        self._drawn = False
        self._written: tuple[int, int, int] | None = None
        self.lines: int = 0  # lines written (log mode) or redraws (terminal)

    @property
    def drawing(self) -> bool:
        """True when something has been written."""
        return self._drawn

    def line(self) -> str:
        """The current progress as text."""
        done, total, errors = self._state
        elapsed = max(self._clock() - self._start, 1e-9)
        rate = done / elapsed
        parts = [f"{self.label}: {done:,}/{total:,} {self.unit}"]
        if total:
            parts[0] += f" ({100 * done / total:.0f} %)"
        parts.append(f"{rate:.1f}/s")
        if 0 < done < total and rate > 0:
            parts.append(f"ETA {_clock((total - done) / rate)}")
        elif done >= total:
            parts.append(f"took {_clock(elapsed)}")
        parts.append(f"errors {errors:,}")
        if self.cached:
            parts.append(f"cached {self.cached:,}")
        return ", ".join(parts)

    def __call__(self, done: int, total: int, errors: int = 0) -> None:
        """Record progress; write when the interval has passed (and at the end)."""
        self._state = (done, total, errors)
        if self._mode == "off" or (total <= MIN_QUERIES and not self._forced):
            return
        now = self._clock()
        interval = TTY_INTERVAL_S if self._mode == "tty" else LOG_INTERVAL_S
        due = now - self._last_write >= interval
        if not due and (done < total or self._mode == "log"):
            return
        self._last_write = now
        self._write(self.line())

    def _write(self, text: str) -> None:
        stream = self.stream or sys.__stderr__
        if stream is None:
            return
        context = self.suspend() if self.suspend is not None else contextlib.nullcontext()
        with context:
            if self._mode == "tty":
                # the first draw starts a line of its own (pytest's progress line stays)
                stream.write(f"\r\x1b[2K{text}" if self._drawn else f"\n{text}")
            else:
                stream.write(text + "\n")
            stream.flush()
        self._drawn = True
        self._written = self._state
        self.lines += 1

    def close(self) -> None:
        """Write the final state and end the terminal line (a no-op when nothing was drawn)."""
        if not self._drawn:
            return
        if self._mode == "log" and self._written != self._state:
            self._write(self.line())
        if self._mode == "tty":
            if self._written != self._state:
                self._write(self.line())
            stream = self.stream or sys.__stderr__
            if stream is not None:
                context = self.suspend() if self.suspend is not None else contextlib.nullcontext()
                with context:
                    stream.write("\n")
                    stream.flush()
        self._drawn = False
