"""The plugin's command-line options and their translation into :class:`RunOptions`.

argparse types give each bad value one usage message that names the option; everything
else is validated once, in ``RunOptions``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from valspec.domain.exit_codes import ExitCode
from valspec.domain.prompts import ALL_STRATEGIES, STRATEGIES
from valspec.session.options import RunOptions, frozen_options


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _alpha(text: str) -> float:
    """An argparse type: a significance level strictly between 0 and 1."""
    try:
        alpha = float(text)
    except ValueError:
        alpha = float("nan")
    if not 0 < alpha < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return alpha


def _shard(text: str) -> tuple[int, int]:
    """An argparse type: ``I/N`` with 1 <= I <= N, and a message that says so."""
    from valspec.engine.queries import parse_shard

    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_options(parser: pytest.Parser) -> None:
    """valspec's command-line options (the plugin's ``pytest_addoption``)."""
    group = parser.getgroup("valspec", "value regression tests for vision-language models")
    group.addoption(
        "--model",
        default=None,
        help="model to test: sim, sim:<variant>, an alias, openai:<model> or hf:<path-or-id> "
        "(default: sim, a simulated model)",
    )
    group.addoption("--valspec-dataset", type=Path, help="manifest.jsonl or dataset folder")
    group.addoption("--valspec-persona-dir", type=Path, help="folder of persona *.toml files")
    group.addoption("--valspec-limit", type=int, help="at most N items per value (seeded)")
    group.addoption("--valspec-personas", type=_csv, help="comma-separated persona ids")
    group.addoption(
        "--valspec-strategies",
        type=_csv,
        help=f"comma-separated of {', '.join(ALL_STRATEGIES)} (default {','.join(STRATEGIES)}; "
        "paper, the Value-Spectrum authors' flow, is opt-in)",
    )
    group.addoption("--valspec-platforms", type=_csv, help="comma-separated platforms")
    group.addoption("--valspec-seed", type=int, help="seed for sampling and --valspec-limit")
    group.addoption(
        "--valspec-baseline",
        help="compare with the snapshots of this model name (default: the --model name)",
    )
    group.addoption(
        "--valspec-against",
        metavar="MODEL",
        help="champion-challenger: ask this baseline model the same items in the same run and "
        "compare per item (no snapshot files are read or written)",
    )
    _add_execution_options(group)
    group.addoption(
        "--valspec-report",
        type=Path,
        metavar="DIR",
        help="write profile.json, responses.csv, summary.md and radar charts to DIR",
    )
    # -- the drift gate (issue 5) --
    group.addoption(
        "--valspec-alpha",
        type=_alpha,
        default=None,
        help="false-failure rate of the whole run, split across the gate's families (default: "
        "[tool.valspec] alpha, else 0.05)",
    )
    group.addoption(
        "--valspec-equivalence",
        action="store_true",
        help="assert equivalence instead: TOST that no value drifted beyond its tolerance",
    )
    group.addoption(
        "--valspec-bootstrap",
        action="store_true",
        help="paired bootstrap-t instead of the paired t / McNemar test (paired t below 20 items)",
    )
    group.addoption(
        "--valspec-strict",
        action="store_true",
        help="fail a case the gate cannot decide (inconclusive: too few items for its power)",
    )
    group.addoption(
        "--valspec-keying",
        choices=("like", "balanced"),
        default=None,
        help="balanced: also ask the reverse-keyed question per item and report the balanced "
        "score and acquiescence index (default like)",
    )


def _add_execution_options(group: pytest.OptionGroup) -> None:
    """Execution options (issue 4, docs/engine.md): cache, offline replay, samples, shards."""
    group.addoption(
        "--valspec-cache",
        type=Path,
        metavar="PATH",
        help="response cache file (default: <rootdir>/.valspec/cache.sqlite)",
    )
    group.addoption(
        "--valspec-no-cache",
        action="store_true",
        help="keep answers in memory only (nothing read from or written to the cache)",
    )
    group.addoption(
        "--valspec-offline",
        action="store_true",
        help="answer only from the cache; a query without a cached answer is an error",
    )
    group.addoption(
        "--valspec-samples",
        type=int,
        metavar="K",
        help="K answers per item (needs temperature > 0; the sample index is in the key)",
    )
    group.addoption(
        "--valspec-decode-workers",
        type=int,
        metavar="N",
        help="threads decoding media ahead of the requests (default: this process's share of "
        "the cores for HTTP models, 1 for local ones; 0: decode on the request path)",
    )
    group.addoption(
        "--valspec-shard",
        type=_shard,
        metavar="I/N",
        help="answer only shard I of N of the planned queries (merge caches, then run offline)",
    )
    _add_batch_options(group)


def _execution_options(config: pytest.Config) -> dict[str, Any]:
    get = config.getoption
    workerinput = getattr(config, "workerinput", None)  # xdist: one run id for all workers
    return {
        "cache": get("valspec_cache"),
        "no_cache": get("valspec_no_cache") or None,
        "offline": get("valspec_offline") or None,
        "samples": get("valspec_samples"),
        "shard": get("valspec_shard"),
        "decode_workers": get("valspec_decode_workers"),
        "run_id": workerinput.get("testrunuid") if workerinput else None,
        "quiet": config.get_verbosity() < 0 or None,
    } | _batch_options(config)


def run_options(config: pytest.Config) -> RunOptions:
    """The command line as the run's validated, frozen options."""
    get = config.getoption
    return frozen_options(
        {
            "model": get("model"),
            "dataset": get("valspec_dataset"),
            "personas_dir": get("valspec_persona_dir"),
            "limit": get("valspec_limit"),
            "personas": get("valspec_personas"),
            "strategies": get("valspec_strategies"),
            "platforms": get("valspec_platforms"),
            "seed": get("valspec_seed"),
            "baseline": get("valspec_baseline"),
            "against": get("valspec_against"),
            "keying": get("valspec_keying"),
        }
        | _execution_options(config)
    )


# -- provider batches (--valspec-batch; docs/engine.md "Beyond one machine") ------------


def _add_batch_options(group: pytest.OptionGroup) -> None:
    from valspec.engine.batch import parse_duration, parse_price

    group.addoption(
        "--valspec-batch",
        action="store_true",
        help="send the queries the cache lacks as provider Batch API jobs (half price); the "
        f"run is pending (exit {ExitCode.PENDING}) until a later run collects every answer",
    )
    group.addoption(
        "--valspec-batch-wait",
        nargs="?",
        const="24h",
        type=parse_duration,
        metavar="TIMEOUT",
        help="with --valspec-batch: poll until the batches are done or TIMEOUT passes "
        "(seconds, or 90s / 30m / 2h; default 24h)",
    )
    group.addoption(
        "--valspec-price",
        type=parse_price,
        metavar="IN[,OUT]",
        help="synchronous price in USD per million input [and output] tokens: the batch "
        "header then estimates the cost",
    )


def _batch_options(config: pytest.Config) -> dict[str, Any]:
    wait = config.getoption("valspec_batch_wait")
    return {
        "batch": bool(config.getoption("valspec_batch") or wait is not None) or None,
        "batch_wait": wait,
        "price": config.getoption("valspec_price"),
    }
