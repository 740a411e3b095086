"""What one invocation asks for: the validated, frozen options of a run and where its inputs
come from (the dataset and persona folders, the response cache file)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valspec.data.dataset import PLATFORMS
from valspec.domain.config import Settings
from valspec.domain.errors import ConfigError, UnknownNameError
from valspec.domain.prompts import ALL_STRATEGIES, STRATEGIES

PACKAGE_DIR = Path(__file__).resolve().parents[1]
KEYING_MODES = ("like", "balanced")


@dataclass(frozen=True)
class RunOptions:
    """What one invocation asks for (command-line options), validated and frozen."""

    model: str = "sim"
    dataset: Path | None = None
    personas_dir: Path | None = None
    limit: int | None = None
    personas: tuple[str, ...] | None = None
    strategies: tuple[str, ...] = STRATEGIES
    platforms: tuple[str, ...] | None = None
    seed: int = 0
    baseline: str | None = None
    against: str | None = None  # champion-challenger: the baseline model, asked in this run
    # execution (docs/engine.md): response cache, offline replay, K samples, sharding
    cache: Path | None = None
    no_cache: bool = False
    offline: bool = False
    samples: int = 1
    keying: str = "like"  # "balanced": also ask the reverse-keyed question (acquiescence)
    shard: tuple[int, int] | None = None  # (index, count), index 1-based
    run_id: str | None = None  # shared by the xdist workers of one run
    # provider batches (docs/engine.md, "Beyond one machine"): submit, poll, collect
    batch: bool = False
    batch_wait: float | None = None  # seconds to poll until done; None: one look per run
    price: tuple[float, float | None] | None = None  # synchronous USD per 1M tokens in, out
    decode_workers: int | None = None  # None: engine.decode.default_workers
    quiet: bool = False  # no progress display (pytest -q)

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--valspec-limit must be at least 1, got {self.limit}")
        if self.samples < 1:
            raise ConfigError(f"--valspec-samples must be at least 1, got {self.samples}")
        if self.no_cache and (self.offline or self.cache is not None):
            other = "--valspec-offline" if self.offline else "--valspec-cache"
            raise ConfigError(f"--valspec-no-cache contradicts {other}")
        if self.shard is not None and not 1 <= self.shard[0] <= self.shard[1]:
            raise ConfigError(f"--valspec-shard must be i/n with 1 <= i <= n, got {self.shard}")
        if self.against is not None and self.baseline is not None:
            raise ConfigError(
                "--valspec-against compares with a model answered in this run; it contradicts "
                "--valspec-baseline (a folder of committed baselines): give one of them"
            )
        if self.batch and (self.no_cache or self.offline):
            other = "--valspec-no-cache" if self.no_cache else "--valspec-offline"
            raise ConfigError(f"--valspec-batch needs the response cache; it contradicts {other}")
        if self.batch_wait is not None and (not self.batch or self.batch_wait <= 0):
            raise ConfigError("--valspec-batch-wait needs --valspec-batch and a positive timeout")
        if self.decode_workers is not None and self.decode_workers < 0:
            raise ConfigError(
                f"--valspec-decode-workers must be 0 or more, got {self.decode_workers}"
            )
        if self.keying not in KEYING_MODES:
            raise UnknownNameError("--valspec-keying", self.keying, list(KEYING_MODES))
        for strategy in self.strategies:
            if strategy not in ALL_STRATEGIES:
                raise UnknownNameError("persona strategy", strategy, list(ALL_STRATEGIES))
        for platform in self.platforms or ():
            if platform not in PLATFORMS:
                unknown = UnknownNameError("platform", platform, list(PLATFORMS))
                raise ConfigError(f"--valspec-platforms: {unknown}")
        if self.cache is not None:
            check_cache_file(self.cache)


SQLITE_HEADER = b"SQLite format 3\x00"


def check_cache_file(path: Path) -> None:
    """A response cache that exists must be a readable, writable SQLite file (configure time:
    one usage error, not one failure per case)."""
    if path.is_dir():
        raise ConfigError(f"--valspec-cache {path}: is a folder; give a file path")
    if not path.exists():
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise ConfigError(f"--valspec-cache {path}: {parent} is a file, not a folder")
        return
    try:
        with path.open("r+b") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise ConfigError(
            f"response cache {path}: cannot be read and written ({exc.strerror}); fix its "
            "permissions or pass --valspec-cache PATH"
        ) from None
    if head and head != SQLITE_HEADER:
        raise ConfigError(
            f"response cache {path}: not an SQLite file; move it away (answers in it cannot "
            "be read) or pass --valspec-cache PATH"
        )


def default_path(settings: Settings, configured: Path | None, name: str) -> Path:
    """A configured path, else ``<root>/fixtures/<name>``, else the copy bundled in the wheel."""
    if configured is not None:
        return configured
    local = settings.root / "fixtures" / name
    if local.exists():
        return local
    bundled = PACKAGE_DIR / "_bundled" / name
    if bundled.exists():
        return bundled
    return local  # the error will name the path the user is most likely to create


def frozen_options(raw: Mapping[str, Any]) -> RunOptions:
    """Build RunOptions from a mapping, ignoring None entries (so defaults apply)."""
    return RunOptions(**{k: v for k, v in raw.items() if v is not None})
