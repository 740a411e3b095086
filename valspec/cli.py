"""The ``valspec`` command: helpers around the pytest suite (fixtures, models).

The suite itself runs through pytest (``pytest --model=...``); this command holds what is not
a test: building the bundled video fixtures and listing the models ``--model`` accepts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
