"""Errors valspec raises for bad input: each says where (file, line, field) and what is wrong."""

from __future__ import annotations

from pathlib import Path


class ValspecError(Exception):
    """Base class for every error valspec raises on purpose."""


class DataError(ValspecError):
    """Bad input data, located by file, line and field so the user can go straight to it.

    The message is one line: ``path:line: field: what is wrong``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.reason = message
        where = ""
        if self.file is not None:
            where = self.file if line is None else f"{self.file}:{line}"
            where += ": "
        what = f"{field}: " if field else ""
        super().__init__(f"{where}{what}{message}")


class UnknownNameError(ValspecError, KeyError):
    """A name (value, persona, model, strategy) that does not exist; suggests the nearest one."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        import difflib

        self.kind, self.name, self.known = kind, name, known
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        listing = ", ".join(known)
        super().__init__(f"unknown {kind} {name!r}.{hint} Known {kind}s: {listing}")

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0])


class MediaError(ValspecError):
    """A media file that cannot be read or decoded; counted per item, never aborts the run."""


class ConfigError(ValspecError):
    """Invalid valspec configuration (pyproject ``[tool.valspec]``, options, aliases)."""
