"""Identify a local transformers checkpoint: hub revision, or sha256 of its config and weights.

Hashing 15 GB of weights takes ~15 s, so digests of big files are cached in a small JSON
sidecar keyed on (resolved path, size, mtime): a file is hashed once until it changes.
Nothing here imports torch or transformers.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

#: Files at least this big get their digest cached (smaller ones are re-hashed: it is cheap).
CACHE_MIN_BYTES = 64 * 1024 * 1024
_CHUNK = 4 * 1024 * 1024
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
#: Weight files a checkpoint may hold; valspec loads safetensors only.
WEIGHT_GLOBS = ("*.safetensors",)


def digest_cache_path() -> Path:
    """Where file digests are cached: ``$VALSPEC_DIGEST_CACHE`` or the user cache folder."""
    explicit = os.environ.get("VALSPEC_DIGEST_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "valspec" / "file-digests.json"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_cache(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_cache(path: Path, entries: dict[str, str]) -> None:
    """Write the sidecar atomically; a read-only cache folder only costs re-hashing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=0, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def file_sha256(
    path: Path, *, cache_path: Path | None = None, cache_min_bytes: int = CACHE_MIN_BYTES
) -> str:
    """sha256 of a file; big files' digests come from / go to the sidecar cache."""
    resolved = path.resolve()
    stat = resolved.stat()
    if stat.st_size < cache_min_bytes:
        return _sha256_file(resolved)
    cache_path = cache_path or digest_cache_path()
    key = f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}"
    entries = _read_cache(cache_path)
    if key in entries:
        return entries[key]
    digest = _sha256_file(resolved)
    entries = _read_cache(cache_path)  # re-read: another process may have added entries
    entries = {k: v for k, v in entries.items() if not k.startswith(f"{resolved}|")}
    entries[key] = digest
    _write_cache(cache_path, entries)
    return digest


def combined_sha256(named_digests: Iterable[tuple[str, str]]) -> str:
    """One digest for several files: sha256 over sorted ``name:digest`` lines."""
    lines = "".join(f"{name}:{digest}\n" for name, digest in sorted(named_digests))
    return hashlib.sha256(lines.encode()).hexdigest()


def weight_files(folder: Path) -> list[Path]:
    """The checkpoint's weight files (safetensors), sorted by name."""
    found: set[Path] = set()
    for pattern in WEIGHT_GLOBS:
        found.update(folder.glob(pattern))
    return sorted(found)


def hub_snapshot_revision(folder: Path) -> str | None:
    """The commit hash if ``folder`` is a hub cache snapshot (``.../snapshots/<commit>``)."""
    folder = folder.absolute()
    if folder.parent.name == "snapshots" and _COMMIT.match(folder.name):
        return folder.name
    return None


def local_folder_digests(
    folder: Path, *, cache_path: Path | None = None, cache_min_bytes: int = CACHE_MIN_BYTES
) -> dict[str, str]:
    """``config_sha256`` and ``weights_sha256`` of a local checkpoint folder."""
    weights = [
        (p.name, file_sha256(p, cache_path=cache_path, cache_min_bytes=cache_min_bytes))
        for p in weight_files(folder)
    ]
    return {
        "config_sha256": _sha256_file(folder / "config.json"),
        "weights_sha256": combined_sha256(weights),
    }
