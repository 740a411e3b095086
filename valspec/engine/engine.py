"""Plan the queries the selected test cases need, deduplicate them, and answer them once.

A *condition* is how an item is shown to the model: neutral, or as a persona under a
prompting strategy. A *query* is one item under one condition (and one sample index). Its
key is a sha256 over everything that determines the answer, so the same key is never paid
for twice: the neutral condition is shared by the value cases and the persona cases, and a
result store (:class:`valspec.engine.queries.MemoryStore`, or the SQLite cache of
:mod:`valspec.engine.cache`) keeps every answer as it arrives. Queries go out item-major, each
item's media decoded once, ahead, on a bounded pool (valspec.engine.decode). A store that can
*claim* keys lets several processes share the work without paying twice (see docs/engine.md).
The data types (conditions, queries, records, the store protocol) live in valspec.engine.queries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from operator import attrgetter

from PIL.Image import Image

from valspec.adapters.base import Adapter, Labels, Request, Response, Sampling
from valspec.data.dataset import Item
from valspec.data.media import FrameSpec
from valspec.domain.errors import MediaError
from valspec.domain.messages import AnswerFormat, Message
from valspec.domain.prompts import PromptTemplate
from valspec.engine.answers import Answers, Columns
from valspec.engine.decode import Frames, FrameSource, PoolSettings, default_workers
from valspec.engine.pipeline import Flight, Stream, Tally
from valspec.engine.queries import (
    DEFAULT_SAMPLING,
    ClaimOutcome,
    Condition,
    MemoryStore,
    Prior,
    Query,
    Record,
    ResultStore,
    RunStats,
    missing_keys,
    stored_columns,
)
from valspec.parsing import ParsedAnswer, Verdict, parse_answer

ProgressFn = Callable[[int, int, int], None]  # (done, total, errors so far)
_ITEM_ID = attrgetter("item.id")
KEY_SCHEME = "valspec-key-2"  # bump when the key's canonical record changes shape
POLL_S = (0.02, 0.5)  # first and longest wait between looks at queries a peer answers
PIPELINE_DEPTH = 3  # batches in flight at once for adapters with concurrency > 1
PIPELINE_BATCH = 64  # pipelined batch size: max(concurrency, this), at most max_batch


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
        decode: PoolSettings | None = None,
    ) -> None:
        self.adapter = adapter
        self.fingerprint = dict(fingerprint)
        self.frame_spec = frame_spec
        self.sampling = sampling
        self.samples = samples
        self.store: ResultStore = store if store is not None else MemoryStore()
        self._simulated = adapter.capabilities.simulated
        self._item_blobs: dict[str, bytes] = {}
        # per-query work that repeats: a condition's rendering and key prefix on a platform,
        # each sample index's settings, and parses of identical answers
        self._shapes: dict[tuple[int, str], _Shape] = {}
        self._samplings: dict[int, Sampling] = {}
        self._parsed: dict[tuple[AnswerFormat, str], ParsedAnswer] = {}
        capabilities = adapter.capabilities
        self.decode_settings = decode or PoolSettings(
            workers=default_workers(concurrent=capabilities.concurrency > 1)
        )
        self._source: FrameSource | None = None  # the decode pool of the run in progress
        self._claim: Callable[[Sequence[str]], ClaimOutcome] | None = getattr(
            self.store, "claim", None
        )
        submit = getattr(adapter, "submit", None)
        self._submit = submit if capabilities.concurrency > 1 and callable(submit) else None

    # -- planning ----------------------------------------------------------------------------
    # A key is sha256 over one canonical record: the part shared by a condition on a platform
    # (model, prompt version, rendered conversation, frame sampling, sampling settings) is
    # hashed once, then each query adds its item id, media sha256, kind and sample index (and,
    # for a simulation only, the item's labels). The item id is in the key so that a record
    # belongs to one item: two posts with the same media stay two scored items (and the sim's
    # answer depends on the id); renaming an item re-asks its queries.
    def _key_prefix(
        self, condition: Condition, template: PromptTemplate, messages: tuple[Message, ...]
    ) -> hashlib._Hash:
        """sha256 state over the part of a key a condition on a platform shares."""
        record: dict[str, object] = {
            "scheme": KEY_SCHEME,
            "model": self.fingerprint,
            "prompt": template.version,
            "keying": condition.keying,
            "messages": [
                [m.role, [getattr(p, "text", "<media>") for p in m.content]] for m in messages
            ],
            "frames": self.frame_spec.identity(),
            "sampling": [self.sampling.temperature, self.sampling.max_tokens, self.sampling.seed],
        }
        if condition.follows is not None:  # a follow-up turn depends on the earlier answer
            record["follows"] = condition.follows.key
            record["first_prompt"] = condition.first_template.version
            record["answer"] = condition.follows.answer
        if self._simulated:  # a simulation's answer depends on the persona's labels too
            persona = condition.persona
            record["persona_labels"] = [
                [v.value for v in persona.raises] if persona else [],
                [v.value for v in persona.lowers] if persona else [],
            ]
        blob = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode())

    def _item_bytes(self, item: Item) -> bytes:
        """The item's part of its keys (id, media hash, kind; a simulation's labels), memoized:
        every condition of a run hashes it again."""
        blob = self._item_blobs.get(item.id)
        if blob is None:
            blob = f"\x1f{item.id}\x1f{item.sha256}\x1f{item.kind}".encode()
            if self._simulated:
                record = {v.value: w for v, w in sorted(item.value_weights.items())}
                blob += b"\x1f" + json.dumps(record, separators=(",", ":")).encode()
            self._item_blobs[item.id] = blob
        return blob

    def key_for(self, item: Item, condition: Condition, sample_index: int) -> str:
        """The query key: sha256 over model, prompt, conversation, media, frames, sampling."""
        prefix = self._shape(condition, item.platform).key_prefix
        return query_key(prefix, self._item_bytes(item), sample_index)

    def queries_for(self, condition: Condition, items: Iterable[Item]) -> list[Query]:
        """One query per item and sample under ``condition``, in the items' order."""
        return self.queries((condition, item) for item in items)

    def queries(self, pairs: Iterable[tuple[Condition, Item]]) -> list[Query]:
        """One query per (condition, item) pair and sample, in the pairs' order (the hot loop
        of planning: ~550k keys at full scale, so prefixes and item parts are memoized)."""
        queries: list[Query] = []
        append = queries.append
        shapes, blobs, item_bytes = self._shapes, self._item_blobs, self._item_bytes
        samples = range(self.samples)
        for condition, item in pairs:
            shape = shapes.get((id(condition), item.platform))
            if shape is None or shape.condition is not condition:
                shape = self._shape(condition, item.platform)
            part = blobs.get(item.id) or item_bytes(item)
            for sample in samples:
                append(Query(query_key(shape.key_prefix, part, sample), item, condition, sample))
        return queries

    @staticmethod
    def unique(groups: Iterable[Sequence[Query]]) -> list[Query]:
        """Queries deduplicated by key, grouped by item so each item's media decode once."""
        return Engine.grouped(Engine.deduplicated(groups))

    @staticmethod
    def deduplicated(groups: Iterable[Sequence[Query]]) -> list[Query]:
        """Queries deduplicated by key, first occurrence kept, in the order met (no sort)."""
        unique: dict[str, Query] = {}
        for queries in groups:
            for query in queries:
                unique.setdefault(query.key, query)
        return list(unique.values())

    @staticmethod
    def grouped(queries: Iterable[Query]) -> list[Query]:
        """Queries sorted by item (stable: each item's queries keep their order), so each
        item's media decode once."""
        return sorted(queries, key=_ITEM_ID)

    def plan(self, needs: Iterable[tuple[Condition, Sequence[Item]]]) -> list[Query]:
        """Unique queries for (condition, items) needs, grouped by item so media decode once."""
        return self.unique(self.queries_for(condition, items) for condition, items in needs)

    def missing(self, queries: Sequence[Query]) -> list[Query]:
        """The queries the store holds no answer for, in order."""
        absent = set(missing_keys(self.store, [q.key for q in queries]))
        return [q for q in queries if q.key in absent]

    # -- running -----------------------------------------------------------------------------
    def run(
        self,
        queries: Sequence[Query],
        *,
        progress: ProgressFn | None = None,
        known_missing: bool = False,
    ) -> RunStats:
        """Answer the queries the store does not hold, storing answers as they return.

        Queries go out item-major (the order given; ``plan`` groups them by item): each item's
        media is decoded once, ahead of time on the decode pool (valspec.engine.decode), used
        for all of its conditions and dropped. With a store that claims keys, a query is sent
        only once this process holds its claim; keys a live peer holds are waited for, and
        taken over if that peer dies. An adapter with ``submit`` gets requests one by one, at
        most ``capabilities.concurrency`` unstored at a time, each stored as it arrives
        (valspec.engine.pipeline.Stream); other concurrent adapters get up to
        ``PIPELINE_DEPTH`` batches at once (Flight); sequential ones one batch at a time.
        ``known_missing``: the caller has just looked the queries up and none is stored, so
        they are not looked up again (a claim still skips what a peer answered meanwhile).
        """
        start = time.perf_counter()
        missing = list(queries) if known_missing else self.missing(queries)
        tally = Tally(len(missing), progress)
        source = self._source = self.frame_source(missing)
        try:
            if self._submit is not None:
                self._run_stream(missing, tally, source, self._submit)
            else:
                self._run_batches(missing, tally, source)
        finally:
            source.close()
            self._source = None
        return RunStats(
            planned=len(queries),
            cached=len(queries) - len(missing),
            sent=tally.sent,
            errors=tally.errors,
            seconds=time.perf_counter() - start,
            by_peers=tally.by_peers,
        )

    def frame_source(
        self, queries: Sequence[Query], settings: PoolSettings | None = None
    ) -> FrameSource:
        """Frames for ``queries`` (their distinct items, in order), decoded ahead on the pool
        (``settings``, by default the engine's); close it when done."""
        items = list({q.item.id: q.item for q in queries}.values())
        if not self.adapter.capabilities.needs_frames:
            return FrameSource(items, self.frame_spec, PoolSettings(workers=0), decode=_no_frames)
        return FrameSource(items, self.frame_spec, settings or self.decode_settings)

    def _claimed(self, batch: Sequence[Query], tally: Tally) -> tuple[list[Query], list[Query]]:
        """The queries of ``batch`` this process may send, and those a live peer holds."""
        if self._claim is None:
            return list(batch), []
        outcome = self._claim([q.key for q in batch])
        mine, peers = set(outcome.mine), set(outcome.held)
        tally.by_peers += len(outcome.answered)
        tally.done += len(outcome.answered)
        return [q for q in batch if q.key in mine], [q for q in batch if q.key in peers]

    def _run_stream(
        self,
        pending: list[Query],
        tally: Tally,
        source: FrameSource,
        submit: Callable[[Request], Future[Response]],
    ) -> None:
        """Send one request at a time, item-major, storing answers as they arrive."""
        window = max(1, self.adapter.capabilities.concurrency)
        stream = Stream(submit=submit, store=self.store_answers, tally=tally, window=window)
        chunk = max(window, PIPELINE_BATCH)  # keys claimed per transaction
        mine: list[Query] = []  # claimed by this process; those from ``sent`` on not sent yet
        sent = 0
        pause = POLL_S[0]
        try:
            while pending:
                held: list[Query] = []
                for offset in range(0, len(pending), chunk):
                    mine, peers = self._claimed(pending[offset : offset + chunk], tally)
                    held.extend(peers)
                    for sent, query in enumerate(mine):  # noqa: B007 (read on interruption)
                        frames = source.frames(query.item)
                        if isinstance(frames, MediaError):
                            stream.store_now([(query, Response.failed(f"media: {frames}"))])
                        else:
                            stream.send(query, self.request_for(query, frames))
                    sent = len(mine)
                    tally.report()
                stream.drain()
                if held:  # wait for peers, then look again (their answers, or dropped claims)
                    time.sleep(pause)
                    pause = min(POLL_S[1], pause * 2)
                pending = held
        except BaseException:
            release = getattr(self.store, "release", None)
            unsent = [q.key for q in mine[sent:]]
            if unsent and release is not None:  # interrupted: let peers have what we never sent
                with contextlib.suppress(Exception):
                    release(unsent)
            raise
        finally:
            stream.close()

    def _run_batches(self, pending: list[Query], tally: Tally, source: FrameSource) -> None:
        """Send whole batches: pipelined (Flight) for concurrent adapters, else one by one."""
        capabilities = self.adapter.capabilities
        batch_size = max(1, capabilities.max_batch)
        flight: Flight | None = None
        if capabilities.concurrency > 1:
            batch_size = min(batch_size, max(capabilities.concurrency, PIPELINE_BATCH))
            flight = Flight(
                prepare=self._prepare,
                answer=self._answer,
                finish=self._finish,
                release=getattr(self.store, "release", None),
                tally=tally,
                depth=PIPELINE_DEPTH,
            )
        pause = POLL_S[0]
        try:
            while pending:
                held: list[Query] = []
                for offset in range(0, len(pending), batch_size):
                    batch, peers = self._claimed(pending[offset : offset + batch_size], tally)
                    held.extend(peers)
                    if batch and flight is not None:
                        flight.send(batch)
                    elif batch:
                        tally.answered(len(batch), self._send(batch))
                    tally.report()
                if flight is not None:
                    flight.drain()
                if held:  # wait for peers, then look again (their answers, or dropped claims)
                    time.sleep(pause)
                    pause = min(POLL_S[1], pause * 2)
                pending = held
        finally:
            if flight is not None:
                flight.close()

    def _send(self, batch: Sequence[Query]) -> int:
        """Answer one batch (decoding each item's media once) and store it; returns errors."""
        failed, requests = self._prepare(batch)
        return self._finish(batch, failed, requests, self._answer(requests) if requests else [])

    def _prepare(self, batch: Sequence[Query]) -> tuple[list[Record], list[Request]]:
        """A batch's requests, plus records for queries whose media cannot be read."""
        requests: list[Request] = []
        failed: list[Record] = []
        source = self._source  # outside a run: decode here, as needed (no pool to close)
        if source is None:
            source = self.frame_source(batch, PoolSettings(workers=0))
        for query in batch:
            frames = source.frames(query.item)
            if isinstance(frames, MediaError):
                failed.append(self._record(query, Response.failed(f"media: {frames}")))
                continue
            requests.append(self.request_for(query, frames))
        return failed, requests

    def _finish(
        self,
        batch: Sequence[Query],
        failed: list[Record],
        requests: Sequence[Request],
        responses: Sequence[Response],
    ) -> int:
        """Store a batch's records (one ``put_many``); returns how many failed."""
        by_key = {q.key: q for q in batch}
        records = failed + [
            self._record(by_key[req.key], resp)
            for req, resp in zip(requests, responses, strict=True)
        ]
        self.store.put_many(records)
        return sum(1 for r in records if r.response.error)

    def store_answers(self, answered: Sequence[tuple[Query, Response]]) -> int:
        """Store answers as they arrive, in one ``put_many`` (one transaction); returns how
        many failed. The seam for answers that come from elsewhere (a provider's batch)."""
        records = [self._record(query, response) for query, response in answered]
        self.store.put_many(records)
        return sum(1 for r in records if r.response.error)

    def columns(self, queries: Sequence[Query]) -> Columns:
        """What the store holds for ``queries``, in column form (holes where it has nothing)."""
        return stored_columns(self.store, [q.key for q in queries])

    def answers(self, queries: Sequence[Query]) -> Answers:
        """The stored answers of ``queries`` in column form; missing ones raise KeyError."""
        return Answers.of_queries(queries, self.columns(queries))

    def records(self, queries: Sequence[Query]) -> list[Record]:
        """The stored records of ``queries`` (run them first); missing ones raise KeyError."""
        found = self.store.get_many([q.key for q in queries])
        missing = [q for q in queries if q.key not in found]
        if missing:
            raise KeyError(f"{len(missing)} queries have no stored answer (run the engine first)")
        return [found[q.key] for q in queries]

    def _shape(self, condition: Condition, platform: str) -> _Shape:
        """What every query of ``condition`` on ``platform`` shares, rendered and hashed once
        (memoized by the condition object's identity: hashing a Condition hashes its persona;
        the entry keeps the object, so its id is not reused while it is memoized)."""
        if condition.follows is not None:  # one per query: not memoized
            return self._follow_up_shape(condition, platform)
        entry = self._shapes.get((id(condition), platform))
        if entry is None or entry.condition is not condition:
            template = condition.template
            messages = template.render(platform=platform, persona=condition.persona)
            prefix = self._key_prefix(condition, template, messages)
            entry = _Shape(condition, messages, template.answer_format, condition.id, prefix)
            self._shapes[id(condition), platform] = entry
        return entry

    # -- follow-up turns ----------------------------------------------------------------------
    # A turn that depends on an earlier answer (the ``paper`` strategy's reason turn) is planned
    # once the earlier query's answer is stored: its condition carries that query's key and
    # answer text (both enter its key), its conversation is the earlier one plus that answer
    # and the follow-up question, and it goes through ``run`` like any other query.
    def follow_ups(self, queries: Sequence[Query]) -> list[Query]:
        """The follow-up turn of each answered query whose template has one (a failed or
        unanswered query has nothing to follow up), same item and sample, in order."""
        records = self.store.get_many([q.key for q in queries])
        follow: list[Query] = []
        for query in queries:
            record = records.get(query.key)
            if record is None or record.response.error:
                continue
            if query.condition.template.follow_up is None:
                continue
            prior = Prior(key=query.key, answer=record.response.text)
            condition = replace(query.condition, follows=prior)
            key = self.key_for(query.item, condition, query.sample_index)
            follow.append(Query(key, query.item, condition, query.sample_index))
        return follow

    def _follow_up_shape(self, condition: Condition, platform: str) -> _Shape:
        """A follow-up's conversation and key prefix: the first turn as it was sent, its
        answer, then the follow-up question."""
        assert condition.follows is not None
        first = replace(condition, follows=None)
        template = condition.template
        messages = template.render_follow_up(
            first.template.render(platform=platform, persona=condition.persona),
            condition.follows.answer,
        )
        prefix = self._key_prefix(condition, template, messages)
        return _Shape(condition, messages, template.answer_format, condition.id, prefix)

    def _sampling(self, sample_index: int) -> Sampling:
        sampling = self._samplings.get(sample_index)
        if sampling is None:
            sampling = self._samplings[sample_index] = Sampling(
                temperature=self.sampling.temperature,
                max_tokens=self.sampling.max_tokens,
                seed=self.sampling.seed,
                sample_index=sample_index,
            )
        return sampling

    def request_for(self, query: Query, frames: tuple[Image, ...]) -> Request:
        """The request for one planned query, given its item's frames (shared by all of the
        item's conditions, so a server sees byte-identical images for them)."""
        condition, item = query.condition, query.item
        shape = self._shape(condition, item.platform)
        return Request(
            key=query.key,
            item_id=item.id,
            messages=shape.messages,
            answer_format=shape.answer_format,
            sampling=self._sampling(query.sample_index),
            frames=frames,
            labels=_labels(item, condition) if self._simulated else None,
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

    def _record(self, query: Query, response: Response) -> Record:
        shape = self._shape(query.condition, query.item.platform)
        if response.error:
            parsed = FAILED
        else:  # identical answers are common ("Yes."): parse each distinct text once
            memo = (shape.answer_format, response.text)
            parsed = self._parsed.get(memo) or self._parse(memo)
        return Record(
            key=query.key,
            item_id=query.item.id,
            condition=shape.condition_id,
            sample_index=query.sample_index,
            response=response,
            parsed=parsed,
        )

    def _parse(self, memo: tuple[AnswerFormat, str]) -> ParsedAnswer:
        parsed = parse_answer(memo[1], memo[0])
        if len(self._parsed) >= PARSE_MEMO:
            self._parsed.clear()
        self._parsed[memo] = parsed
        return parsed


def query_key(prefix: hashlib._Hash, item_part: bytes, sample_index: int) -> str:
    """The one place a query key is finished: the condition's prefix state (left unchanged),
    then the item's part and the sample index, as hex (see ``Engine._key_prefix``)."""
    digest = prefix.copy()
    digest.update(item_part)
    digest.update(b"\x1f%d" % sample_index)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Shape:
    """What every query of one condition on one platform shares."""

    condition: Condition
    messages: tuple[Message, ...]
    answer_format: AnswerFormat
    condition_id: str
    key_prefix: hashlib._Hash  # copied, never updated in place


FAILED = ParsedAnswer(verdict=Verdict.UNPARSABLE)
"""How a failed query reads: nothing to parse."""
PARSE_MEMO = 100_000  # distinct answer texts kept parsed (the memo starts over when full)


def _no_frames(_path: object, _kind: str, _spec: FrameSpec) -> Frames:
    """An adapter that needs no frames gets none (nothing is decoded)."""
    return ()


def _labels(item: Item, condition: Condition) -> Labels:
    persona = condition.persona
    return Labels(
        value_weights={v.value: w for v, w in item.value_weights.items()},
        persona_raises=tuple(v.value for v in persona.raises) if persona else (),
        persona_lowers=tuple(v.value for v in persona.lowers) if persona else (),
        condition=condition.id,
        keying=condition.keying,
    )
