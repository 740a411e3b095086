"""A run's side of provider batches (``--valspec-batch``) and of exports for GPU engines.

``collect_batches`` is what ``Run.prepare`` does instead of asking the model: one look at the
provider through valspec.engine.batch (collect what finished, submit what is missing, wait if
asked). Anything still out makes the run *pending* (:class:`BatchPending`), never judged on
answers it does not have. ``export_run`` plans a run's missing queries exactly as pytest would
and writes them as batch files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from valspec.adapters.base import Response
from valspec.adapters.batching import BatchAdapter
from valspec.adapters.registry import create_adapter, resolve_spec
from valspec.domain.config import Settings
from valspec.domain.errors import ConfigError
from valspec.engine.batch import BatchPending, Price, ProviderBatches
from valspec.engine.batch_export import Exported, export_queries
from valspec.engine.batch_files import Limits
from valspec.engine.cache import DEFAULT_CACHE
from valspec.engine.queries import Query

LineReader = Callable[[Mapping[str, Any], bool], Response]

if TYPE_CHECKING:
    from valspec.session.cases import Case
    from valspec.session.run import Run


def batch_folder(run: Run) -> Path:
    """Where input files wait for upload: ``batches/`` next to the cache file."""
    path = getattr(run.store, "path", None)
    cache = Path(path) if path is not None else run.settings.root / DEFAULT_CACHE
    return cache.parent / "batches"


def collect_batches(run: Run, absent: Sequence[Query]) -> list[Query]:
    """One look at the provider for the run's missing queries; raises BatchPending while any
    is still out, else returns the queries still missing (none)."""
    price = Price(*run.options.price) if run.options.price is not None else None
    runner = ProviderBatches(
        run.engine,
        model=run.spec.name,
        folder=batch_folder(run),
        wait_s=run.options.batch_wait,
        price=price,
        notify=run.notify,
    )
    summary = runner.step(absent)
    run.batch_summary = summary
    if summary.pending:
        raise BatchPending(summary)
    still = run.engine.missing(absent)
    if still:  # defensive: never answer synchronously in batch mode
        summary.pending = len(still)
        raise BatchPending(summary)
    return still


def export_run(run: Run, out: Path, *, limits: Limits, media_paths: bool) -> Exported:
    """Every query the run's cases need and the cache lacks, written as batch files."""
    cases: list[Case] = [*run.value_cases(), *run.persona_cases()]
    absent = run.missing_queries(cases)
    return export_queries(
        run.engine, absent, out, model=run.spec.name, limits=limits, media_paths=media_paths
    )


def batch_adapter_for(settings: Settings, model: str) -> BatchAdapter:
    """The adapter of a model name a batch row records (aliases resolved as a run would)."""
    from valspec.adapters.aliases import merge_aliases

    spec = resolve_spec(model, merge_aliases(settings.models))
    adapter = create_adapter(spec)
    if not adapter.capabilities.batch:
        raise ConfigError(f"model {model!r} ({adapter.name}) cannot read batch files")
    return cast(BatchAdapter, adapter)


def line_readers(settings: Settings) -> Callable[[str], LineReader]:
    """``model name -> answer-line reader`` for ``import_files`` (one adapter per model)."""
    adapters: dict[str, BatchAdapter] = {}

    def reader(model: str) -> LineReader:
        if model not in adapters:
            adapters[model] = batch_adapter_for(settings, model)
        return adapters[model].batch_response

    return reader
