"""One evaluation session, without pytest: settings + options -> data, model, answers, scores.

The pytest plugin is a thin layer over :class:`Run`; the CLI and benchmarks use it directly.
Everything expensive (loading the dataset, the model, answering) happens lazily and once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from valspec.adapters.base import (
    Adapter,
    Sampling,
    close_adapter,
    describe_adapter,
    describe_traffic,
    probe_adapter,
)
from valspec.adapters.registry import ModelSpec, check_spec, create_adapter, resolve_spec
from valspec.data.dataset import Dataset, Item, load_dataset
from valspec.data.media import FrameSpec
from valspec.domain.config import Settings
from valspec.domain.errors import ConfigError, DataError
from valspec.domain.personas import Persona, load_personas, select_personas
from valspec.domain.prompts import (
    NEUTRAL_TWINS,
    answer_order_for,
    template_for,
)
from valspec.domain.values import CIRCLE_ORDER, Value
from valspec.engine.answers import Answers, Columns
from valspec.engine.batch import BatchPending, BatchSummary
from valspec.engine.decode import PoolSettings
from valspec.engine.engine import Engine, ProgressFn
from valspec.engine.gcpause import gc_paused
from valspec.engine.queries import (
    NEUTRAL_CONDITION,
    Condition,
    Query,
    Record,
    ResultStore,
    RunStats,
    in_shard,
)
from valspec.measure.scoring import PersonaResult, ValueResult, score_persona, score_value
from valspec.measure.stats import keying_scores
from valspec.session.batch_run import collect_batches
from valspec.session.cases import DISLIKE_CONDITION, Case, PersonaCase, ValueCase, neutral_condition
from valspec.session.options import RunOptions, default_path


@dataclass
class Run:
    """Settings and options resolved into a dataset, personas, a model and its answers."""

    settings: Settings
    options: RunOptions
    spec: ModelSpec = field(init=False)
    stats: RunStats | None = field(default=None, init=False)
    traffic: str | None = field(default=None, init=False)  # what the adapter sent, at close
    _prepared: set[str] = field(default_factory=set, init=False)
    _plans: dict[str, dict[Value, list[Query]]] = field(default_factory=dict, init=False)
    _answers: dict[tuple[str, Value], Answers] = field(default_factory=dict, init=False)
    _answer_orders: dict[str, int] = field(default_factory=dict, init=False)
    _persona_results: dict[str, PersonaResult] = field(default_factory=dict, init=False)
    batch_summary: BatchSummary | None = field(default=None, init=False)
    notify: Callable[[str], None] = field(default=lambda _line: None, init=False, repr=False)
    selection: frozenset[tuple[str, str]] | None = field(default=None, init=False)
    suspend_output: Callable[[], AbstractContextManager[object]] | None = field(
        default=None, init=False
    )
    """Lifts the caller's output capture while progress is written (set by the pytest plugin)."""

    def __post_init__(self) -> None:
        from valspec.adapters.aliases import merge_aliases

        self.spec = resolve_spec(self.options.model, merge_aliases(self.settings.models))
        check_spec(self.spec)  # cheap: folders, keys, URLs, variants (nothing loads)
        temperature = float(self.spec.options.get("temperature", 0.0))
        if self.options.samples > 1 and temperature <= 0:
            raise ConfigError(
                f"--valspec-samples {self.options.samples} needs sampling at temperature > 0, "
                f"but model {self.spec.name!r} runs at temperature {temperature:g} (K answers "
                "would be one answer K times); set temperature in its [tool.valspec.models] alias"
            )
        _ = self.against_run  # resolve --valspec-against now: a bad spec is a usage error

    @property
    def baseline_dir(self) -> Path:
        """Where this run's baselines live: ``snapshots/<--valspec-baseline or model slug>``."""
        return self.settings.snapshot_dir / (self.options.baseline or self.spec.slug)

    # -- inputs ------------------------------------------------------------------------------
    @cached_property
    def full_dataset(self) -> Dataset:
        """The whole dataset as the manifest lists it (its hash identifies the data)."""
        folder = self.options.dataset or self.settings.dataset
        with gc_paused():  # tens of thousands of items
            return load_dataset(default_path(self.settings, folder, "videos"))

    @cached_property
    def dataset(self) -> Dataset:
        """The items this run asks about, after platform selection and the per-value limit."""
        data = self.full_dataset.select(platforms=self.options.platforms)
        if self.options.limit is not None:
            data = data.limit(self.options.limit, seed=self.options.seed)
        if not data.items:
            raise DataError("no items left after selecting platforms", file=data.manifest)
        return data

    @cached_property
    def items_by_value(self) -> dict[Value, list[Item]]:
        """The run's items grouped by primary value, in circle order."""
        return self.dataset.by_value()

    @cached_property
    def all_personas(self) -> list[Persona]:
        """Every persona in the persona folder."""
        folder = self.options.personas_dir or self.settings.personas
        return load_personas(default_path(self.settings, folder, "personas"))

    @cached_property
    def personas(self) -> list[Persona]:
        """The personas this run asks about (``--valspec-personas``, or all)."""
        return select_personas(self.all_personas, self.options.personas)

    @property
    def values(self) -> list[Value]:
        """Values that have items in this run, in circle order."""
        return [v for v in CIRCLE_ORDER if v in self.items_by_value]

    @property
    def missing_values(self) -> list[Value]:
        """Values with no items in this run (reported in the header, not silently dropped)."""
        return [v for v in CIRCLE_ORDER if v not in self.items_by_value]

    def value_cases(self) -> list[ValueCase]:
        """One case per value that has items."""
        return [ValueCase(v) for v in self.values]

    def persona_cases(self) -> list[PersonaCase]:
        """One case per selected persona and strategy."""
        return [PersonaCase(p, s) for p in self.personas for s in self.options.strategies]

    # -- the cases pytest selected (-k, -m, node ids): what is planned and gated -------------
    def select(self, cases: Iterable[Case]) -> None:
        """Narrow the run to the cases pytest selected: only their queries are planned, and
        the gates' families are the selected cases (docs/architecture.md, "Selection")."""
        self.selection = frozenset((type(c).__name__, c.id) for c in cases)

    @property
    def selected_values(self) -> list[Value]:
        """Values whose case is selected (all of them before selection)."""
        if self.selection is None:
            return self.values
        return [v for v in self.values if ("ValueCase", v.value) in self.selection]

    def selected_persona_cases(self) -> list[PersonaCase]:
        """Persona cases that are selected (all of them before selection)."""
        cases = self.persona_cases()
        if self.selection is None:
            return cases
        return [c for c in cases if ("PersonaCase", c.id) in self.selection]

    def planned_count(self, cases: Sequence[Case]) -> int:
        """How many distinct queries ``cases`` need (before sharding), counted from the items
        without planning them (no model is loaded for this)."""
        sizes = {value: len(items) for value, items in self.items_by_value.items()}
        values = {c.value for c in cases if isinstance(c, ValueCase)}
        personas = {c.id for c in cases if isinstance(c, PersonaCase)}
        neutral = set(sizes) if personas else values
        count = sum(sizes[v] for v in neutral) + len(personas) * sum(sizes.values())
        if self.options.keying == "balanced":
            count += sum(sizes[v] for v in values)
        return count * self.options.samples

    # -- the model ---------------------------------------------------------------------------
    @cached_property
    def frame_spec(self) -> FrameSpec:
        """Frame sampling for this run (an alias's ``longest_side`` wins over the project's)."""
        longest = self.spec.options.get("longest_side", self.settings.longest_side)
        frames = self.spec.options.get("frames", self.settings.frames)
        return FrameSpec(frames=int(frames), longest_side=int(longest))

    @cached_property
    def sampling(self) -> Sampling:
        """Decoding settings: the alias's temperature and max_tokens, the run's seed."""
        opts = self.spec.options
        return Sampling(
            temperature=float(opts.get("temperature", 0.0)),
            max_tokens=int(opts.get("max_tokens", 256)),
            seed=self.options.seed,
        )

    @cached_property
    def adapter(self) -> Adapter:
        """The model adapter (created on first use; heavy SDKs load only now)."""
        return create_adapter(self.spec)

    def probe(self) -> None:
        """Check once, before anything is sent, that the model can be reached (the adapter's
        optional probe; ConfigError otherwise). A fully cached run never probes."""
        if not self.__dict__.get("_probed"):
            probe_adapter(self.adapter)
            self.__dict__["_probed"] = True

    @cached_property
    def engine(self) -> Engine:
        """The engine that plans and answers this run's queries."""
        workers = self.options.decode_workers
        return Engine(
            self.adapter,
            fingerprint=self.adapter.fingerprint(),
            frame_spec=self.frame_spec,
            sampling=self.sampling,
            samples=self.options.samples,
            store=self.store,
            decode=None if workers is None else PoolSettings(workers=workers),
        )

    @cached_property
    def store(self) -> ResultStore:
        """Where answers are kept: the SQLite response cache by default (docs/engine.md)."""
        import sqlite3

        from valspec.engine.cache import DEFAULT_CACHE, open_store

        path = self.options.cache or self.settings.root / DEFAULT_CACHE
        try:
            return open_store(
                self.settings.root,
                path=self.options.cache,
                enabled=not self.options.no_cache,
                simulated=self.adapter.capabilities.simulated,
                run_id=self.options.run_id,
            )
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(
                f"response cache {path}: cannot be opened ({exc}); move it away or pass "
                "--valspec-cache PATH (or --valspec-no-cache)"
            ) from None

    def describe_model(self) -> str:
        """A line naming the model (and saying so when it is a simulation)."""
        return describe_adapter(self.adapter)

    # -- answering ---------------------------------------------------------------------------
    # A *group* is one condition's queries on one value's items, planned once per run; cases
    # name the groups they need, and each group's answers are read from the store once, in
    # column form (valspec.engine.answers), and shared by every case that needs them.
    def _groups(self, case: Case) -> list[tuple[Condition, Value]]:
        """The (condition, value) groups a case reads."""
        if isinstance(case, ValueCase):
            groups = [(NEUTRAL_CONDITION, case.value)]
            if self.options.keying == "balanced":
                groups.append((DISLIKE_CONDITION, case.value))
            groups += [(c, case.value) for c in self.twin_conditions]
            return groups
        neutral = neutral_condition(case.strategy)
        return [(c, v) for c in (neutral, case.condition) for v in self.values]

    @cached_property
    def twin_conditions(self) -> list[Condition]:
        """The selected strategies' own neutral conditions (``neutral:paper``): a value case
        also reports its score under them (the paper flow's setup), outside its snapshot."""
        return [neutral_condition(s) for s in self.options.strategies if s in NEUTRAL_TWINS]

    def prepare(self, cases: Iterable[Case], *, progress: ProgressFn | None = None) -> RunStats:
        """Plan every query the cases need, read what the store holds, and answer the missing
        ones once (deduplicated across cases).

        Offline, a query without a cached answer is an error; with a shard, only the shard's
        queries are answered (docs/engine.md).
        """
        from valspec.engine.cache import describe_store

        todo = [c for c in cases if c.id not in self._prepared]
        if self.batch_summary is not None and self.batch_summary.pending:
            raise BatchPending(self.batch_summary)  # this run looked once; it is not judged
        with gc_paused():  # bulk planning and lookups (not the model calls below)
            absent, incomplete, planned = self._look_up(todo)
        if self.options.offline and absent:
            raise ConfigError(
                f"--valspec-offline: {len(absent)} of {planned} queries for model "
                f"{self.spec.name!r} have no stored answer in {describe_store(self.store)}"
            )
        if self.options.batch and absent:  # answers come from provider batches, never here
            absent = collect_batches(self, absent)
        stats = self._send(absent, progress, f"valspec {self.spec.name}", planned - len(absent))
        stored = planned - len(absent)
        stats = replace(stats, planned=stats.planned + stored, cached=stats.cached + stored)
        if self.against_run is not None:  # the baseline model answers the same items
            self.against_run.prepare(todo, progress=progress)
        if self.options.shard is None:
            with gc_paused():
                for gid, queries in incomplete.items():  # answered now (failures are stored)
                    self._answers[gid] = self.engine.answers(queries)
        stats += self._answer_follow_ups(todo, progress)
        self._prepared.update(c.id for c in todo)
        self._release_plans()
        self.stats = stats if self.stats is None else self.stats + stats
        return stats

    def _answer_follow_ups(self, cases: Sequence[Case], progress: ProgressFn | None) -> RunStats:
        """The second pass: with ``paper_reason``, ask each answered first turn of the cases'
        ``paper`` conditions for its reason (a follow-up turn of the same conversation, keyed
        by the first turn's key and answer), through the same engine entry point."""
        queries = self.follow_up_queries(cases)
        absent = self.engine.missing(queries) if queries else []
        if self.options.offline and absent:
            raise ConfigError(
                f"--valspec-offline: {len(absent)} of {len(queries)} follow-up (reason) queries "
                f"for model {self.spec.name!r} have no stored answer"
            )
        stats = self._send(absent, progress, f"valspec {self.spec.name} (reasons)")
        stored = len(queries) - len(absent)
        return replace(stats, planned=stats.planned + stored, cached=stats.cached + stored)

    def _send(
        self, absent: list[Query], progress: ProgressFn | None, label: str, cached: int = 0
    ) -> RunStats:
        """Answer queries the store lacks, grouped by item so each item's media decode once
        (a progress bar named ``label`` unless the caller reports progress)."""
        from valspec.engine.progress import ProgressBar

        if not absent:
            return RunStats(planned=0, cached=0, sent=0, errors=0, seconds=0.0)
        self.probe()  # one located error before the first request, not one per query
        bar = (
            ProgressBar(label, cached=cached, quiet=self.options.quiet, suspend=self.suspend_output)
            if progress is None
            else None
        )
        try:
            ordered = self.engine.grouped(absent)
            return self.engine.run(ordered, progress=progress or bar, known_missing=True)
        finally:
            if bar is not None:
                bar.close()

    def follow_up_queries(self, cases: Iterable[Case]) -> list[Query]:
        """The follow-up turns the cases ask (none unless ``paper_reason``): one per answered
        first turn of a condition whose template has a follow-up, in the shard when sharded."""
        if not self.settings.paper_reason:
            return []
        firsts = []
        for case in cases:
            for condition, value in self._groups(case):
                if condition.template.follow_up is None:
                    continue
                queries = self._by_value(condition).get(value, [])
                if self.options.shard is not None:
                    index, count = self.options.shard
                    queries = [q for q in queries if in_shard(q.key, index, count)]
                firsts.append(queries)
        return self.engine.follow_ups(self.engine.deduplicated(firsts))

    def _look_up(
        self, cases: Sequence[Case]
    ) -> tuple[list[Query], dict[tuple[str, Value], list[Query]], int]:
        """Plan the cases' unanswered groups and read what the store holds: complete groups
        become answers; returns the queries with no stored answer (deduplicated), the groups
        they leave incomplete, and how many queries were planned."""
        groups = {
            (condition.id, value): (condition, value)
            for case in cases
            for condition, value in self._groups(case)
            if (condition.id, value) not in self._answers
        }
        planned: dict[tuple[str, Value], list[Query]] = {}
        for gid, (condition, value) in groups.items():
            queries = self._by_value(condition).get(value, [])
            if self.options.shard is not None:
                index, count = self.options.shard
                queries = [q for q in queries if in_shard(q.key, index, count)]
            planned[gid] = queries
        # one lookup for every group: the store reads its keys in sorted order in one pass
        columns = self.engine.columns([q for queries in planned.values() for q in queries])
        incomplete: dict[tuple[str, Value], list[Query]] = {}
        absent: list[Query] = []
        start = 0
        for gid, queries in planned.items():
            part = columns.part(start, start + len(queries))
            start += len(queries)
            if part.complete and self.options.shard is None:
                self._answers[gid] = Answers.of_queries(queries, part)
                continue
            incomplete[gid] = queries
            found = part.found.tolist()
            absent.extend(q for q, ok in zip(queries, found, strict=True) if not ok)
        return self.engine.deduplicated([absent]), incomplete, start

    def missing_queries(self, cases: Iterable[Case]) -> list[Query]:
        """The unanswered queries the cases need, deduplicated (what a batch export writes)."""
        with gc_paused():
            return self._look_up(list(cases))[0]

    def planned_queries(self, case: Case) -> list[Query]:
        """Every query a case reads, group by group (planned once per run)."""
        return [q for c, v in self._groups(case) for q in self._by_value(c).get(v, [])]

    def records_for(self, cases: Iterable[Case]) -> list[Record]:
        """Every stored record the cases need, one per unique query (for responses.csv)."""
        return [r for chunk in self.iter_records(cases) for r in chunk]

    def iter_records(self, cases: Iterable[Case], *, chunk: int = 20_000) -> Iterator[list[Record]]:
        """The stored records the cases need, one per unique query, ordered by item, condition
        and sample, ``chunk`` at a time: responses.csv streams them (at 550k answers, holding
        every record and row at once took more memory than the rest of the run)."""
        with gc_paused():  # bulk planning (the consumer's own work runs with the collector on)
            cases = list(cases)
            planned = [self.planned_queries(case) for case in cases]
            queries = self.engine.deduplicated([*planned, self.follow_up_queries(cases)])
            ids = {id(q.condition): q.condition.id for q in queries}
            queries.sort(key=lambda q: (q.item.id, ids[id(q.condition)], q.sample_index))
        for start in range(0, len(queries), chunk):
            yield self.engine.records(queries[start : start + chunk])

    def _by_value(self, condition: Condition) -> dict[Value, list[Query]]:
        """A condition's queries by value, planned once per run (tests never re-plan)."""
        planned = self._plans.get(condition.id)
        if planned is None:
            planned = {
                value: self._ordered_queries(condition, items)
                for value, items in self.items_by_value.items()
            }
            self._plans[condition.id] = planned
        return planned

    def _ordered_queries(self, condition: Condition, items: Sequence[Item]) -> list[Query]:
        """The condition's queries for ``items`` in their order, each in its answer order."""
        if not condition.template.counterbalanced:
            return self.engine.queries((condition, item) for item in items)
        variants = {order: replace(condition, order=order) for order in range(2)}
        orders = self._answer_orders
        pairs = []
        for item in items:
            order = orders.get(item.id)
            if order is None:
                order = orders[item.id] = answer_order_for(item.id)
            pairs.append((variants[order], item))
        return self.engine.queries(pairs)

    def _group(self, condition: Condition, value: Value) -> Answers:
        """One group's answers (after prepare); a group with no items has none."""
        answers = self._answers.get((condition.id, value))
        if answers is None:  # a value without items in this run
            return Answers.of_queries([], Columns.blank(0))
        return answers

    def _answers_by_value(self, condition: Condition) -> dict[Value, Answers]:
        return {value: self._group(condition, value) for value in self.values}

    def _release_plans(self) -> None:
        """Drop the plans of conditions whose every group is answered: at full scale they
        are ~550k query objects that only slow the garbage collector down from then on."""
        for cid in list(self._plans):
            if all((cid, value) in self._answers for value in self._plans[cid]):
                del self._plans[cid]

    def value_result(self, value: Value) -> ValueResult:
        """The neutral score of one value (prepares its case if needed)."""
        self.prepare([ValueCase(value)])
        with gc_paused():
            return self._value_result(value)

    def _value_result(self, value: Value) -> ValueResult:
        result = score_value(value, self._group(NEUTRAL_CONDITION, value))
        if self.options.keying != "balanced":
            return result
        reverse = score_value(value, self._group(DISLIKE_CONDITION, value))
        return replace(result, keying=keying_scores(result.item_scores, reverse.item_scores))

    def setup_results(self, value: Value) -> dict[str, ValueResult]:
        """The value's scores under the selected strategies' own neutral questions (the
        ``paper`` setup), by prompt version: reported beside the value's score, never part
        of its snapshot (prepares the value's case if needed)."""
        self.prepare([ValueCase(value)])
        with gc_paused():
            return {
                c.template.version: score_value(value, self._group(c, value))
                for c in self.twin_conditions
            }

    def persona_result(self, case: PersonaCase) -> PersonaResult:
        """The alignment of one persona case against the neutral profile (scored once per run:
        the test and the persona gate both ask for it)."""
        result = self._persona_results.get(case.id)
        if result is None:
            self.prepare([case])
            with gc_paused():
                result = self._persona_results[case.id] = score_persona(
                    case.persona,
                    case.strategy,
                    self._answers_by_value(neutral_condition(case.strategy)),
                    self._answers_by_value(case.condition),
                )
        return result

    def identity(self, case: Case) -> dict[str, Any]:
        """What produced a case's result: prompt versions, data, frames, sampling, model."""
        prompt = template_for("neutral").version
        if isinstance(case, ValueCase) and self.options.keying == "balanced":
            prompt = f"{prompt}+{template_for('neutral', 'dislike').version}"
        if isinstance(case, PersonaCase):
            neutral = neutral_condition(case.strategy).template.version
            prompt = f"{neutral}+{template_for(case.strategy).version}"
        return {
            "prompt": prompt,
            "dataset": self.full_dataset.content_hash,
            "frames": self.frame_spec.identity(),
            "sampling": {
                "temperature": self.sampling.temperature,
                "max_tokens": self.sampling.max_tokens,
            },
            "model": {"spec": self.spec.name, **self.adapter.fingerprint()},
        }

    @cached_property
    def against_run(self) -> Run | None:
        """Champion-challenger (``--valspec-against``): the baseline model's run over the same
        items, conditions, seed and response cache, whose answers are the baseline."""
        if self.options.against is None:
            return None
        options = replace(self.options, model=self.options.against, against=None)
        return Run(self.settings, options)

    def close(self) -> None:
        """Release the model if it was loaded, the response cache if it was opened, and the
        answers, results and dataset held in memory (at full scale, millions of objects the
        garbage collector would otherwise walk through again at exit); the stats stay."""
        against = self.__dict__.get("against_run")
        if against is not None:
            against.close()
        if "adapter" in self.__dict__:
            self.traffic = describe_traffic(self.adapter)
            close_adapter(self.adapter)
        close_store = getattr(self.__dict__.get("store"), "close", None)
        if callable(close_store):
            close_store()
        for held in (self._answers, self._persona_results, self._plans, self._answer_orders):
            held.clear()
        self._prepared.clear()
        for name in ("full_dataset", "dataset", "items_by_value"):
            self.__dict__.pop(name, None)
