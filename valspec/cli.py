"""The ``valspec`` command: helpers around the pytest suite (fixtures, models).

The suite itself runs through pytest (``pytest --model=...``); this command holds what is not
a test: building the bundled video fixtures, building a value-labelled dataset from your own
media, and listing the models ``--model`` accepts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from valspec.domain.errors import ConfigError, ValspecError
from valspec.domain.exit_codes import ExitCode

if TYPE_CHECKING:
    from valspec.domain.config import Settings
    from valspec.engine.cache import SQLiteStore


def _models(args: argparse.Namespace) -> int:
    from valspec.adapters.aliases import alias_table, merge_aliases
    from valspec.adapters.registry import adapter_names
    from valspec.adapters.sim import VARIANTS
    from valspec.domain.config import load_settings
    from valspec.reports.terminal import format_table

    aliases = merge_aliases(load_settings(Path(args.root)).models)
    rows = [list(r) for r in alias_table(aliases)]
    print(format_table(["alias", "adapter", "model", "description"], rows, left=4))
    print(f"\nadapter prefixes: {', '.join(f'{n}:<model>' for n in adapter_names())}")
    print(f"simulated (sim:<variant>, not real models): {', '.join(sorted(VARIANTS))}")
    return 0


def _fixtures_build(args: argparse.Namespace) -> int:
    from valspec.engine.progress import ProgressBar
    from valspec.fixturegen.build import main as build_main

    argv = ["--out", str(args.out), "--per-value", str(args.per_value), "--seed", str(args.seed)]
    bar = ProgressBar("valspec fixtures build", unit="items")
    try:
        return build_main(argv, progress=bar)
    finally:
        bar.close()


def _cache_merge(args: argparse.Namespace) -> int:
    from valspec.engine.cache_merge import merge_caches

    stats = merge_caches(args.out, args.inputs)
    conflicts = f", {stats.conflicts} differing duplicates kept as first seen"
    print(
        f"{args.out}: {stats.added} answers added, {stats.kept} already there"
        + (conflicts if stats.conflicts else "")
    )
    return 0


def _diff(args: argparse.Namespace) -> int:
    import tempfile

    from valspec.reports.diff import diff_command

    if args.out is None:  # never into the work tree unless asked: a fresh temporary folder
        args.out = Path(tempfile.mkdtemp(prefix="valspec-diff-"))
    path = diff_command(
        args.base,
        args.head,
        models=args.model or (),
        root=Path(args.root),
        snapshot_dir=args.snapshot_dir,
        out=args.out,
        charts=not args.no_chart,
    )
    print(path.read_text(encoding="utf-8"), end="")
    print(f"\nwritten to {args.out}", file=sys.stderr)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from valspec.reports.compare import write_compare

    written = write_compare(args.out, args.reports, charts=not args.no_chart, title=args.title)
    print(written[0].read_text(encoding="utf-8"), end="")
    print(f"\nwritten to {args.out}", file=sys.stderr)
    return 0


# -- valspec batch (provider batches and files for GPU engines; docs/engine.md) -------------


def _batch_book(args: argparse.Namespace) -> tuple[Settings, SQLiteStore]:
    """The settings and the response cache the run would use (it must exist)."""
    from valspec.domain.config import load_settings
    from valspec.engine.cache import DEFAULT_CACHE, SQLiteStore

    settings = load_settings(Path(args.root))
    path = args.cache or settings.root / DEFAULT_CACHE
    if not Path(path).is_file():
        raise ConfigError(f"{path}: no response cache here (give --root or --cache)")
    store = SQLiteStore(path)
    return settings, store


def _batch_status(args: argparse.Namespace) -> int:
    from valspec.engine.batch import refresh_rows
    from valspec.engine.batch_export import batch_book
    from valspec.reports.terminal import format_table
    from valspec.session.batch_run import batch_adapter_for

    settings, store = _batch_book(args)
    book = batch_book(store, "valspec batch status")
    rows = book.rows(model=args.model)
    if not args.local:
        rows = refresh_rows(book, rows, lambda m: batch_adapter_for(settings, m).batch_client())
    table = [
        [r.id, r.kind, r.model, r.provider_id or "-", f"{r.size:,}", r.status, r.note] for r in rows
    ]
    headers = ["batch", "kind", "model", "provider id", "requests", "status", "note"]
    print(format_table(headers, table, left=7) if table else "no batches in this cache")
    open_keys = sum(r.size for r in rows if r.open)
    if open_keys:
        print(f"\n{open_keys:,} requests in open provider batches")
    return 0


def _batch_cancel(args: argparse.Namespace) -> int:
    from valspec.engine.batch import cancel_rows
    from valspec.engine.batch_export import batch_book
    from valspec.session.batch_run import batch_adapter_for

    settings, store = _batch_book(args)
    book = batch_book(store, "valspec batch cancel")
    rows = [r for r in book.rows(model=args.model, ids=args.ids) if r.open]
    if args.ids and not rows:
        raise ConfigError(f"no open provider batch with id {', '.join(args.ids)}")
    done = cancel_rows(book, rows, lambda m: batch_adapter_for(settings, m).batch_client())
    for row, status in done:
        print(f"{row.id}  {row.provider_id or 'not submitted'}  {row.size:,} requests  {status}")
    print(f"{len(done)} batch(es) cancelled; their answers so far are collected by the next run")
    return 0


def _batch_export(args: argparse.Namespace) -> int:
    from valspec.domain.config import load_settings
    from valspec.engine.batch_files import Limits
    from valspec.session.batch_run import export_run
    from valspec.session.options import frozen_options
    from valspec.session.run import Run

    options = frozen_options(
        {
            "model": args.model,
            "dataset": args.dataset,
            "personas_dir": args.persona_dir,
            "limit": args.limit,
            "personas": args.personas,
            "strategies": args.strategies,
            "platforms": args.platforms,
            "seed": args.seed,
            "keying": args.keying,
            "samples": args.samples,
            "cache": args.cache,
        }
    )
    run = Run(load_settings(Path(args.root)), options)
    try:
        limits = Limits(max_requests=args.shard_size, max_bytes=int(args.max_mb * 1024 * 1024))
        done = export_run(run, args.out, limits=limits, media_paths=args.media == "paths")
    finally:
        run.close()
    for path in done.files:
        print(path)
    media = f", {done.media_files:,} frames under {args.out / 'media'}" if done.media_files else ""
    print(
        f"{done.requests:,} requests (~{done.tokens:,} input tokens) in {len(done.files)} "
        f"file(s){media}; after the engine ran: valspec batch import <output files>"
    )
    return 0


def _batch_import(args: argparse.Namespace) -> int:
    from valspec.engine.batch_export import import_files
    from valspec.session.batch_run import line_readers

    settings, store = _batch_book(args)
    try:
        done = import_files(store, args.files, line_readers(settings))
    finally:
        store.close()
    for problem in done.problems:
        print(problem, file=sys.stderr)
    print(
        f"{done.stored:,} answers stored, {done.kept:,} already in the cache (kept), "
        f"{done.failed:,} error lines (not stored: export again to re-ask them), "
        f"{len(done.problems):,} problem lines"
    )
    return 1 if done.problems else 0


def _add_batch_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    batch = commands.add_parser(
        "batch", help="provider batches and batch files for GPU engines (docs/engine.md)"
    )
    sub = batch.add_subparsers(dest="batch_command", required=True)

    def where(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--root", default=".", help="project folder with pyproject.toml")
        parser.add_argument("--cache", type=Path, help="response cache (default: the run's)")

    status = sub.add_parser("status", help="list the batches recorded in the response cache")
    where(status)
    status.add_argument("--model", help="only this model's batches")
    status.add_argument("--local", action="store_true", help="do not ask the provider")
    status.set_defaults(func=_batch_status)

    cancel = sub.add_parser("cancel", help="cancel open provider batches (all, or the ids given)")
    where(cancel)
    cancel.add_argument("ids", nargs="*", help="valspec or provider batch ids")
    cancel.add_argument("--model", help="only this model's batches")
    cancel.set_defaults(func=_batch_cancel)

    export = sub.add_parser(
        "export", help="write the queries the cache lacks as batch files (vllm run-batch, Ray)"
    )
    export.add_argument("out", type=Path, metavar="DIR", help="folder for the request files")
    where(export)
    export.add_argument("--model", required=True, help="the --model the run will use")
    export.add_argument("--dataset", type=Path, help="manifest.jsonl or dataset folder")
    export.add_argument("--persona-dir", type=Path, help="folder of persona *.toml files")
    export.add_argument("--limit", type=int, help="at most N items per value (seeded)")
    export.add_argument("--personas", type=_csv, help="comma-separated persona ids")
    export.add_argument("--strategies", type=_csv, help="comma-separated strategies")
    export.add_argument("--platforms", type=_csv, help="comma-separated platforms")
    export.add_argument("--seed", type=int, help="seed for sampling and --limit")
    export.add_argument("--keying", choices=("like", "balanced"))
    export.add_argument("--samples", type=int, help="K answers per item")
    export.add_argument(
        "--shard-size", type=int, default=50_000, help="requests per file (default 50,000)"
    )
    export.add_argument("--max-mb", type=float, default=200.0, help="MB per file (default 200)")
    export.add_argument(
        "--media",
        choices=("inline", "paths"),
        default="inline",
        help="frames as data URLs, or as file:// paths of JPEGs under DIR/media/",
    )
    export.set_defaults(func=_batch_export)

    imp = sub.add_parser("import", help="store an engine's batch output files in the cache")
    imp.add_argument("files", type=Path, nargs="+", help="output JSONL files")
    where(imp)
    imp.set_defaults(func=_batch_import)


def _dataset_build(args: argparse.Namespace) -> int:
    from valspec.curation.build import BuildOptions, build_dataset
    from valspec.curation.retrieval import RetrievalSettings

    retrieval = RetrievalSettings(threshold=args.threshold, min_confidence=args.min_confidence)
    options = BuildOptions(
        src=args.src,
        out=args.out,
        link=args.link,
        per_value=args.per_value,
        seed=args.seed,
        embedder=args.embedder,
        image_embedder=args.image_embedder,
        keywords=args.keywords,
        retrieval=retrieval,
        phash_distance=args.phash_distance,
        force=args.force,
    )
    summary = build_dataset(options, log=lambda line: print(line, file=sys.stderr))
    for warning in summary.warnings:
        print(f"valspec: warning: {warning}", file=sys.stderr)
    counts = summary.counts
    print(
        f"{args.out}: {counts['manifest']} items in manifest.jsonl; "
        f"{counts['review']} to review (review.csv), {counts['rejected']} rejected "
        f"(rejected.csv), {counts['exact_duplicates']} exact and {counts['near_duplicates']} near "
        f"duplicates (duplicates.csv), {counts['unselected']} left out by --per-value "
        "(unselected.csv); build record: build.json"
    )
    return 0


def _dataset_stats(args: argparse.Namespace) -> int:
    import math

    from valspec.curation.stats import dataset_stats, manifest_confidences
    from valspec.data.dataset import load_dataset
    from valspec.reports.terminal import format_table

    dataset = load_dataset(args.dir)
    confidences = manifest_confidences(dataset)
    stats = dataset_stats(
        dataset, alpha=args.alpha, power=args.power, spreads=dict(args.spread or [])
    )
    print(f"dataset: {dataset.manifest} ({len(dataset)} items, {dataset.content_hash[:19]})\n")
    print(format_table(*stats.count_table()))
    print(
        f"\nsmallest change per value detectable with {100 * stats.power:.0f} % power "
        f"(paired on the same items, Holm over {stats.family} values: alpha "
        f"{stats.alpha:g} / {stats.family}):\n"
    )
    print(format_table(*stats.detectable_table()))
    if any(math.isinf(x) for per in stats.detectable.values() for x in per.values()):
        print("— : no change of up to 100 points reaches that power with so few items")
    print("\nper-item spread assumed (--spread MODE=X to use a measured one):")
    for spread in stats.spreads.values():
        print(f"  {spread.mode}: {spread.value:g} ({spread.assumption})")
    if confidences:
        mean = sum(confidences.values()) / len(confidences)
        print(
            f"\n{len(confidences)} labels were retrieved (mean confidence {mean:.2f}), not "
            "checked by a person: a value's score mixes in posts of other values, so a true "
            "change shows diluted by the labels' precision (docs/datasets.md)."
        )
    return 0


def _spread(text: str) -> tuple[str, float]:
    from valspec.measure.detectable import MODES

    mode, sep, raw = text.partition("=")
    if not sep or mode not in MODES:
        raise argparse.ArgumentTypeError(f"expected MODE=X with MODE one of {', '.join(MODES)}")
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"spread {value} must be a fraction in (0, 1]")
    return mode, value


def _add_dataset_commands(commands: Any) -> None:
    dataset = commands.add_parser(
        "dataset", help="build a value-labelled dataset from your own media (docs/datasets.md)"
    )
    dataset_commands = dataset.add_subparsers(dest="dataset_command", required=True)
    build = dataset_commands.add_parser(
        "build", help="label media by value (keywords + sentence embeddings) into a dataset folder"
    )
    build.add_argument("src", type=Path, help="folder of media with sidecars, or a CSV/JSONL list")
    build.add_argument("--out", type=Path, required=True, help="dataset folder to write")
    build.add_argument("--link", action="store_true", help="hard-link media instead of copying")
    build.add_argument("--per-value", type=int, help="at most N items per value, seeded")
    build.add_argument("--seed", type=int, default=0)
    build.add_argument(
        "--embedder", help="local sentence-transformers folder (default: packaged MiniLM)"
    )
    build.add_argument(
        "--image-embedder", help="local CLIP folder (sentence-transformers): also score the media"
    )
    build.add_argument("--keywords", type=Path, help="keyword list TOML (default: the bundled one)")
    build.add_argument("--threshold", type=float, default=0.15, help="least best similarity (0.15)")
    build.add_argument("--min-confidence", type=float, default=0.3, help="least confidence (0.3)")
    build.add_argument(
        "--phash-distance", type=float, default=16, help="near duplicates: bits of 256 (16)"
    )
    build.add_argument("--force", action="store_true", help="replace an earlier build in --out")
    build.set_defaults(func=_dataset_build)
    stats = dataset_commands.add_parser(
        "stats", help="counts per value, platform and kind; smallest detectable change per value"
    )
    stats.add_argument("dir", type=Path, help="dataset folder or manifest")
    stats.add_argument(
        "--alpha", type=float, default=0.025, help="the value family's level (half the run's 0.05)"
    )
    stats.add_argument("--power", type=float, default=0.8)
    stats.add_argument(
        "--spread", type=_spread, action="append", help="MODE=X per-item spread (repeatable)"
    )
    stats.set_defaults(func=_dataset_stats)


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser: argparse.ArgumentParser = _Parser(
        prog="valspec", description="Value regression tests for vision-language models."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    models = commands.add_parser("models", help="list model aliases and adapter prefixes")
    models.add_argument("--root", default=".", help="project folder with pyproject.toml")
    models.set_defaults(func=_models)

    fixtures = commands.add_parser("fixtures", help="bundled video fixtures")
    fixture_commands = fixtures.add_subparsers(dest="fixtures_command", required=True)
    build = fixture_commands.add_parser("build", help="render the video fixtures (deterministic)")
    build.add_argument("--out", type=Path, default=Path("fixtures/videos"))
    build.add_argument("--per-value", type=int, default=10, help="items per value (default 10)")
    build.add_argument("--seed", type=int, default=0)
    build.set_defaults(func=_fixtures_build)

    cache = commands.add_parser("cache", help="the response cache (docs/engine.md)")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True)
    merge = cache_commands.add_parser(
        "merge", help="merge the caches of sharded runs into OUT (first answer wins)"
    )
    merge.add_argument("out", type=Path, help="cache file to merge into (created if absent)")
    merge.add_argument("inputs", type=Path, nargs="+", help="cache files to merge")
    merge.set_defaults(func=_cache_merge)

    diff = commands.add_parser(
        "diff", help="a model's snapshots at two git refs or in two folders: table and radar chart"
    )
    diff.add_argument("base", help="git ref (e.g. origin/main) or snapshot folder: before")
    diff.add_argument("head", help="git ref (e.g. HEAD) or snapshot folder: after")
    diff.add_argument("--model", action="append", help="model folder (repeat; default: all)")
    diff.add_argument("--root", default=".", help="git repository (default: .)")
    diff.add_argument("--snapshot-dir", default="snapshots", help="snapshot folder in the repo")
    diff.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: a new temporary folder, printed at the end)",
    )
    diff.add_argument("--no-chart", action="store_true", help="write the table only")
    diff.set_defaults(func=_diff)

    compare = commands.add_parser(
        "compare", help="several --valspec-report folders: one table and one radar chart"
    )
    compare.add_argument("reports", type=Path, nargs="+", help="report folders (profile.json)")
    compare.add_argument("--out", type=Path, default=Path("valspec-compare"))
    compare.add_argument("--title", help="chart title")
    compare.add_argument("--no-chart", action="store_true", help="write the table only")
    compare.set_defaults(func=_compare)
    _add_batch_commands(commands)
    _add_dataset_commands(commands)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse with the exit codes of a pytest run: a usage error is 4, not argparse's 2
    (which a valspec run reserves for Ctrl-C; valspec/domain/exit_codes.py)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``valspec`` command: an error is one line and exit code 4 (usage),
    Ctrl-C one line and exit code 2, as in a pytest run."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValspecError as exc:
        print(f"valspec: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print(f"valspec {args.command}: interrupted (Ctrl-C)", file=sys.stderr)
        return ExitCode.INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
