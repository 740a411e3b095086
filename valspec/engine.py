"""Plan the queries the selected test cases need, deduplicate them, and answer them once.

A *condition* is how an item is shown to the model: neutral, or as a persona under a
prompting strategy. A *query* is one item under one condition (and one sample index). Its
key is a sha256 over everything that determines the answer, so the same key is never paid
for twice: the neutral condition is shared by the value cases and the persona cases, and a
result store (in memory here; the SQLite cache plugs in through :class:`ResultStore`) keeps
every answer the moment its batch returns.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from PIL.Image import Image

from valspec.adapters.base import Adapter, Labels, Request, Response, Sampling
from valspec.dataset import Item
from valspec.errors import MediaError
from valspec.media import FrameSpec, load_frames
from valspec.parsing import ParsedAnswer, Verdict, parse_answer
from valspec.personas import Persona
from valspec.prompts import NEUTRAL, PromptTemplate, template_for


@dataclass(frozen=True)
class Condition:
    """How items are put to the model: neutral, or playing ``persona`` with ``strategy``."""

    strategy: str = NEUTRAL
    persona: Persona | None = None
    keying: str = "like"

    @property
    def id(self) -> str:
        """``neutral`` or ``<persona>/<strategy>`` (plus ``~dislike`` when reverse-keyed)."""
        base = NEUTRAL if self.persona is None else f"{self.persona.id}/{self.strategy}"
        return base if self.keying == "like" else f"{base}~{self.keying}"

    @property
    def template(self) -> PromptTemplate:
        """The prompt template this condition renders."""
        return template_for(self.strategy)


NEUTRAL_CONDITION = Condition()
DEFAULT_SAMPLING = Sampling()


@dataclass(frozen=True)
class Query:
    """One item under one condition, one sample; ``key`` is its identity."""

    key: str
    item: Item
    condition: Condition
    sample_index: int = 0


@dataclass(frozen=True)
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
        return "error" if self.response.error else self.parsed.verdict.value


class ResultStore(Protocol):
    """Where records live between the engine and the tests (memory, or the SQLite cache)."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Record]: ...

    def put_many(self, records: Sequence[Record]) -> None: ...


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


ProgressFn = Callable[[int, int], None]  # (done, total)


class Engine:
    """Plans queries and answers them through an adapter, each key at most once."""

    def __init__(
        self,
        adapter: Adapter,
        *,
        fingerprint: Mapping[str, str],
        frame_spec: FrameSpec,
        sampling: Sampling = DEFAULT_SAMPLING,
        samples: int = 1,
        store: ResultStore | None = None,
    ) -> None:
        self.adapter = adapter
        self.fingerprint = dict(fingerprint)
        self.frame_spec = frame_spec
        self.sampling = sampling
        self.samples = samples
        self.store: ResultStore = store if store is not None else MemoryStore()
        self._keys: dict[tuple[str, str, int], str] = {}

    # -- planning ----------------------------------------------------------------------------
    def key_for(self, item: Item, condition: Condition, sample_index: int) -> str:
        """The query key: sha256 over model, prompt, conversation, media, frames, sampling."""
        memo = (item.id, condition.id, sample_index)
        if memo in self._keys:
            return self._keys[memo]
        template = condition.template
        messages = template.render(platform=item.platform, persona=condition.persona)
        record: dict[str, object] = {
            "model": self.fingerprint,
            "prompt": template.version,
            "keying": condition.keying,
            "messages": [
                [m.role, [getattr(p, "text", "<media>") for p in m.content]] for m in messages
            ],
            "media": [item.sha256, item.kind, self.frame_spec.identity()],
            "sampling": [self.sampling.temperature, self.sampling.max_tokens, self.sampling.seed],
            "sample": sample_index,
        }
        if self.adapter.capabilities.simulated:  # a simulation's answer depends on labels too
            record["labels"] = _labels_record(item, condition)
        blob = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        key = hashlib.sha256(blob.encode()).hexdigest()
        self._keys[memo] = key
        return key

    def plan(self, needs: Iterable[tuple[Condition, Sequence[Item]]]) -> list[Query]:
        """Unique queries for (condition, items) needs, grouped by item so media decode once."""
        unique: dict[str, Query] = {}
        for condition, items in needs:
            for item in items:
                for sample in range(self.samples):
                    key = self.key_for(item, condition, sample)
                    if key not in unique:
                        unique[key] = Query(key, item, condition, sample)
        return sorted(unique.values(), key=lambda q: (q.item.id, q.condition.id, q.sample_index))

    # -- running -----------------------------------------------------------------------------
    def run(self, queries: Sequence[Query], *, progress: ProgressFn | None = None) -> RunStats:
        """Answer the queries the store does not hold, storing each batch as it returns."""
        start = time.perf_counter()
        stored = self.store.get_many([q.key for q in queries])
        missing = [q for q in queries if q.key not in stored]
        errors = 0
        batch_size = max(1, self.adapter.capabilities.max_batch)
        frames_cache: tuple[str, tuple[Image, ...] | MediaError] | None = None
        done = 0
        for offset in range(0, len(missing), batch_size):
            batch = missing[offset : offset + batch_size]
            requests: list[Request] = []
            records: list[Record] = []
            for query in batch:
                if frames_cache is None or frames_cache[0] != query.item.id:
                    frames_cache = (query.item.id, self._frames(query.item))
                frames = frames_cache[1]
                if isinstance(frames, MediaError):
                    records.append(self._record(query, Response.failed(f"media: {frames}")))
                    continue
                requests.append(self._request(query, frames))
            if requests:
                responses = self._answer(requests)
                by_key = {q.key: q for q in batch}
                records.extend(
                    self._record(by_key[req.key], resp)
                    for req, resp in zip(requests, responses, strict=True)
                )
            errors += sum(1 for r in records if r.response.error)
            self.store.put_many(records)
            done += len(batch)
            if progress is not None:
                progress(done, len(missing))
        return RunStats(
            planned=len(queries),
            cached=len(stored),
            sent=len(missing),
            errors=errors,
            seconds=time.perf_counter() - start,
        )

    def records(self, queries: Sequence[Query]) -> list[Record]:
        """The stored records of ``queries`` (run them first); missing ones raise KeyError."""
        found = self.store.get_many([q.key for q in queries])
        missing = [q for q in queries if q.key not in found]
        if missing:
            raise KeyError(f"{len(missing)} queries have no stored answer (run the engine first)")
        return [found[q.key] for q in queries]

    def _frames(self, item: Item) -> tuple[Image, ...] | MediaError:
        if not self.adapter.capabilities.needs_frames:
            return ()
        try:
            return tuple(load_frames(item.path, item.kind, self.frame_spec))
        except MediaError as exc:
            return exc

    def _request(self, query: Query, frames: tuple[Image, ...]) -> Request:
        condition = query.condition
        labels = None
        if self.adapter.capabilities.simulated:
            labels = _labels(query.item, condition)
        return Request(
            key=query.key,
            item_id=query.item.id,
            messages=condition.template.render(
                platform=query.item.platform, persona=condition.persona
            ),
            answer_format=condition.template.answer_format,
            sampling=Sampling(
                temperature=self.sampling.temperature,
                max_tokens=self.sampling.max_tokens,
                seed=self.sampling.seed,
                sample_index=query.sample_index,
            ),
            frames=frames,
            labels=labels,
        )

    def _answer(self, requests: list[Request]) -> list[Response]:
        try:
            responses = self.adapter.answer(requests)
        except Exception as exc:  # an adapter bug must not lose the rest of the run
            reason = f"adapter raised {type(exc).__name__}: {exc}"
            return [Response.failed(reason) for _ in requests]
        if len(responses) != len(requests):
            reason = f"adapter returned {len(responses)} responses for {len(requests)} requests"
            return [Response.failed(reason) for _ in requests]
        return responses

    @staticmethod
    def _record(query: Query, response: Response) -> Record:
        fmt = query.condition.template.answer_format
        parsed = (
            parse_answer(response.text, fmt)
            if not response.error
            else ParsedAnswer(verdict=Verdict.UNPARSABLE)
        )
        return Record(
            key=query.key,
            item_id=query.item.id,
            condition=query.condition.id,
            sample_index=query.sample_index,
            response=response,
            parsed=parsed,
        )


def _labels(item: Item, condition: Condition) -> Labels:
    persona = condition.persona
    return Labels(
        value_weights={v.value: w for v, w in item.value_weights.items()},
        persona_raises=tuple(v.value for v in persona.raises) if persona else (),
        persona_lowers=tuple(v.value for v in persona.lowers) if persona else (),
        condition=condition.id,
        keying=condition.keying,
    )


def _labels_record(item: Item, condition: Condition) -> list[object]:
    labels = _labels(item, condition)
    weights = dict(sorted(labels.value_weights.items()))
    return [weights, labels.persona_raises, labels.persona_lowers]
