"""The ``valspec`` command: helpers around the pytest suite (fixtures, models).

The suite itself runs through pytest (``pytest --model=...``); this command holds what is not
a test: building the bundled video fixtures, building a value-labelled dataset from your own
media, and listing the models ``--model`` accepts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from valspec.domain.errors import ValspecError


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
    from valspec.fixturegen.build import main as build_main

    argv = ["--out", str(args.out), "--per-value", str(args.per_value), "--seed", str(args.seed)]
    return build_main(argv)


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
    from valspec.reports.diff import diff_command

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
    stats.add_argument("--alpha", type=float, default=0.05)
    stats.add_argument("--power", type=float, default=0.8)
    stats.add_argument(
        "--spread", type=_spread, action="append", help="MODE=X per-item spread (repeatable)"
    )
    stats.set_defaults(func=_dataset_stats)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
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
    diff.add_argument("--out", type=Path, default=Path("valspec-diff"), help="output folder")
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
    _add_dataset_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``valspec`` command; errors print one line and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValspecError as exc:
        print(f"valspec: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
