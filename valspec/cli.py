"""The ``valspec`` command: helpers around the pytest suite (fixtures, models).

The suite itself runs through pytest (``pytest --model=...``); this command holds what is not
a test: building the bundled video fixtures and listing the models ``--model`` accepts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from valspec.errors import ValspecError


def _models(args: argparse.Namespace) -> int:
    from valspec.adapters.aliases import alias_table, merge_aliases
    from valspec.adapters.registry import adapter_names
    from valspec.adapters.sim import VARIANTS
    from valspec.config import load_settings
    from valspec.report import format_table

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
