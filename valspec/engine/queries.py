"""What a query is and where its answers live: conditions, keyed queries, answered records,
the result-store protocol (memory here; the SQLite cache in valspec.engine.cache) and run counts.

A *condition* is how an item is shown to the model: neutral, or as a persona under a
prompting strategy. A *query* is one item under one condition (and one sample index); its
key (computed by valspec.engine.engine) is a sha256 over everything that determines the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, field
from typing import NamedTuple, Protocol

from valspec.adapters.base import Response, Sampling
from valspec.data.dataset import Item
from valspec.domain.personas import Persona
from valspec.domain.prompts import NEUTRAL, PromptTemplate, template_for
from valspec.engine.answers import Columns
from valspec.parsing import ParsedAnswer

FOLLOW_UP_MARK = ">"
"""Separates a condition id from the follow-up turn it asks (``family-oriented/paper>reason``)."""


@dataclass(frozen=True)
class Prior:
    """The earlier turn a follow-up query continues: that query's key and the answer it got."""

    key: str
    answer: str


@dataclass(frozen=True)
class Condition:
    """How items are put to the model: neutral, or playing ``persona`` with ``strategy``.

    A strategy with its own neutral question (``paper``) has its own neutral condition: no
    persona, ``strategy`` kept. ``follows`` makes it the follow-up turn (the ``paper`` reason)
    of one earlier query, a conversation that depends on that query's answer."""

    strategy: str = NEUTRAL
    persona: Persona | None = None
    keying: str = "like"
    order: int = 0  # answer-order wording (prompts.ANSWER_ORDERS); chosen per item by run.py
    follows: Prior | None = None

    @property
    def id(self) -> str:
        """``neutral``, ``neutral:<strategy>`` (a strategy's own neutral question) or
        ``<persona>/<strategy>``, plus ``~dislike`` when reverse-keyed and ``>reason`` for a
        follow-up turn.

        The answer order is not part of the id: it is a per-item wording of one question (the
        rendered text, hence the key, still differs)."""
        if self.persona is not None:
            base = f"{self.persona.id}/{self.strategy}"
        else:
            base = NEUTRAL if self.strategy == NEUTRAL else f"{NEUTRAL}:{self.strategy}"
        base = base if self.keying == "like" else f"{base}~{self.keying}"
        return base if self.follows is None else f"{base}{FOLLOW_UP_MARK}reason"

    @property
    def first_template(self) -> PromptTemplate:
        """The template of the condition's first turn: its keying's question, in its order."""
        neutral = self.persona is None and self.strategy != NEUTRAL
        return template_for(self.strategy, self.keying, neutral=neutral).with_order(self.order)

    @property
    def template(self) -> PromptTemplate:
        """The template this condition's query asks: the first turn's, or its follow-up's."""
        first = self.first_template
        if self.follows is None:
            return first
        if first.follow_up is None:
            raise ValueError(f"prompt {first.name!r} has no follow-up turn")
        return first.follow_up


def split_condition_id(condition_id: str) -> tuple[str, str, str, str]:
    """``(persona, strategy, keying, turn)`` of a condition id (persona ``""`` when neutral,
    keying ``like`` unless reverse-keyed, turn ``first`` or ``reason``): what reports read."""
    condition_id, mark, turn = condition_id.partition(FOLLOW_UP_MARK)
    base, _, keying = condition_id.partition("~")
    persona, slash, strategy = base.rpartition("/")
    if not slash:
        persona, strategy = "", base.partition(":")[2] or NEUTRAL
    return persona, strategy, keying or "like", turn if mark else "first"


NEUTRAL_CONDITION = Condition()
DEFAULT_SAMPLING = Sampling()


class Query(NamedTuple):
    """One item under one condition, one sample; ``key`` is its identity.

    A named tuple rather than a frozen dataclass: a run plans ~550k of them at full scale,
    and a tuple is built several times faster."""

    key: str
    item: Item
    condition: Condition
    sample_index: int = 0


@dataclass(frozen=True, slots=True)
class Record:
    """An answered query: the model's response and how it was parsed."""

    key: str
    item_id: str
    condition: str
    sample_index: int
    response: Response
    parsed: ParsedAnswer

    @property
    def verdict(self) -> str:
        """yes / no / refusal / unparsable, or ``error`` when the query failed."""
        # str() of a StrEnum is its value, without the slow Enum.value descriptor (hot path)
        return "error" if self.response.error else str(self.parsed.verdict)


class ResultStore(Protocol):
    """Where records live between the engine and the tests (memory, or the SQLite cache).

    Optional extras, looked up with ``getattr``: ``missing(keys) -> list[str]`` (cheaper than
    loading records just to see which exist), ``columns(keys) -> Columns`` (what scoring needs,
    without building records) and ``claim(keys)`` returning an object with ``mine`` /
    ``answered`` / ``held`` key lists (for stores shared by several workers).
    """

    def get_many(self, keys: Sequence[str]) -> dict[str, Record]: ...

    def put_many(self, records: Sequence[Record]) -> None: ...


class ClaimOutcome(Protocol):
    """What a shared store's ``claim`` returns."""

    mine: list[str]
    answered: list[str]
    held: list[str]


def missing_keys(store: ResultStore, keys: Sequence[str]) -> list[str]:
    """The keys ``store`` holds no record for, in order (through ``missing`` when it has one)."""
    missing: Callable[[Sequence[str]], list[str]] | None = getattr(store, "missing", None)
    if missing is not None:
        return missing(keys)
    found = store.get_many(keys)
    return [k for k in keys if k not in found]


def stored_columns(store: ResultStore, keys: Sequence[str]) -> Columns:
    """What ``store`` holds for ``keys`` in column form (through ``columns`` when it has one)."""
    columns: Callable[[Sequence[str]], Columns] | None = getattr(store, "columns", None)
    if columns is not None:
        return columns(keys)
    found = store.get_many(keys)
    return Columns.of_records([found.get(k) for k in keys])


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> ``(i, n)`` with 1 <= i <= n (a clear error otherwise)."""
    index, sep, count = text.partition("/")
    try:
        shard = (int(index), int(count))
    except ValueError:
        shard = (0, 0)
    if not sep or not 1 <= shard[0] <= shard[1]:
        raise ValueError(f"expected I/N with 1 <= I <= N (e.g. 2/4), got {text!r}")
    return shard


def in_shard(key: str, index: int, count: int) -> bool:
    """Whether a query key belongs to shard ``index`` (1-based) of ``count``: by its hash."""
    return int(key[:12], 16) % count == index - 1


@dataclass
class MemoryStore:
    """A result store that lives as long as the session."""

    records: dict[str, Record] = field(default_factory=dict)

    def get_many(self, keys: Sequence[str]) -> dict[str, Record]:
        """The stored records among ``keys``."""
        return {k: self.records[k] for k in keys if k in self.records}

    def put_many(self, records: Sequence[Record]) -> None:
        """Keep records (a later answer for the same key replaces the earlier one)."""
        for record in records:
            self.records[record.key] = record


@dataclass(frozen=True)
class RunStats:
    """What one engine run did: planned, answered from the store, sent, failed, seconds."""

    planned: int
    cached: int
    sent: int
    errors: int
    seconds: float
    by_peers: int = 0  # answered meanwhile by another worker sharing the store

    def __add__(self, other: RunStats) -> RunStats:
        return RunStats(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))
