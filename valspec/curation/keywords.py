"""Keyword lists per value (an editable TOML file) and whole-word keyword matching in post text.

The bundled list (``keywords.toml`` beside this module) was written from Schwartz's value
definitions; ``--keywords FILE`` replaces it. Its sha256 goes into the build record.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from valspec.domain.errors import DataError, UnknownNameError
from valspec.domain.values import CIRCLE_ORDER, Value, parse_value

BUNDLED_KEYWORDS = Path(__file__).with_name("keywords.toml")
MIN_HASHTAG_MATCH = 4
"""Keywords at least this long also match inside a hashtag (``#adventuretime`` holds
``adventure``); shorter ones match whole words only."""

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_HASHTAG = re.compile(r"#([a-z0-9_]+)")


@dataclass(frozen=True)
class ValueKeywords:
    """One value's description and keywords, as written in the list."""

    value: Value
    description: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class KeywordList:
    """Keywords for all ten values, where they came from and the hash of the file's bytes."""

    path: Path
    sha256: str
    values: tuple[ValueKeywords, ...]  # circle order

    def __getitem__(self, value: Value) -> ValueKeywords:
        for entry in self.values:
            if entry.value is value:
                return entry
        raise KeyError(value)

    def matches(self, text: str) -> dict[Value, tuple[str, ...]]:
        """The keywords of each value found in ``text`` (values without a match are absent)."""
        words, hashtags = _tokens(text)
        joined = " ".join(words)
        found: dict[Value, tuple[str, ...]] = {}
        for entry in self.values:
            hits = tuple(k for k in entry.keywords if _found(k, joined, hashtags))
            if hits:
                found[entry.value] = hits
        return found


def load_keywords(path: Path | str | None = None) -> KeywordList:
    """Read and check a keyword file (the bundled one when ``path`` is None).

    Every value must appear once with a non-empty description and at least one keyword.
    """
    file = Path(path) if path is not None else BUNDLED_KEYWORDS
    if not file.is_file():
        raise DataError("keyword list not found", file=file)
    raw = file.read_bytes()
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid TOML: {exc}", file=file) from None
    entries: dict[Value, ValueKeywords] = {}
    for name, body in table.items():
        try:
            value = parse_value(name)
        except UnknownNameError as exc:
            raise DataError(str(exc), file=file, field=f"[{name}]") from None
        if value in entries:
            raise DataError(f"{value.value} appears twice", file=file, field=f"[{name}]")
        if not isinstance(body, dict):
            raise DataError("expected a table", file=file, field=f"[{name}]")
        description = body.get("description")
        keywords = body.get("keywords")
        if not isinstance(description, str) or not description.strip():
            raise DataError("expected a non-empty string", file=file, field=f"{name}.description")
        if (
            not isinstance(keywords, list)
            or not keywords
            or not all(isinstance(k, str) and k.strip() for k in keywords)
        ):
            raise DataError(
                "expected a non-empty list of non-empty strings",
                file=file,
                field=f"{name}.keywords",
            )
        extra = sorted(set(body) - {"description", "keywords"})
        if extra:
            raise DataError(
                f"unknown keys {', '.join(extra)} (expected description, keywords)",
                file=file,
                field=f"[{name}]",
            )
        entries[value] = ValueKeywords(
            value, description.strip(), tuple(k.strip().lower() for k in keywords)
        )
    missing = [v.value for v in CIRCLE_ORDER if v not in entries]
    if missing:
        raise DataError(f"no keywords for {', '.join(missing)}", file=file)
    return KeywordList(
        path=file,
        sha256=hashlib.sha256(raw).hexdigest(),
        values=tuple(entries[v] for v in CIRCLE_ORDER),
    )


def _tokens(text: str) -> tuple[list[str], list[str]]:
    lowered = text.lower()
    hashtags = [h.replace("_", "") for h in _HASHTAG.findall(lowered)]
    return _WORD.findall(lowered.replace("#", " ")), hashtags


@lru_cache(maxsize=4096)
def _pattern(keyword: str) -> tuple[re.Pattern[str], str]:
    """Whole words of ``keyword`` (a plural s/es allowed at the end), and its letters squashed."""
    words = _WORD.findall(keyword)
    phrase = r"\s+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![a-z0-9-]){phrase}(?:s|es)?(?![a-z0-9-])"), "".join(words)


def _found(keyword: str, joined: str, hashtags: list[str]) -> bool:
    pattern, squashed = _pattern(keyword)
    if not squashed:
        return False
    if pattern.search(joined):
        return True
    return len(squashed) >= MIN_HASHTAG_MATCH and any(squashed in tag for tag in hashtags)
