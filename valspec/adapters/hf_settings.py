"""Settings of the ``hf`` adapter: options from the alias, device, dtype and CPU threads.

Defaults: the best device present (cuda, then mps, then cpu) with its usual dtype (bfloat16,
float16, float32), batch 16 on CUDA and 8 elsewhere, no remote code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

from valspec.adapters.registry import ModelSpec
from valspec.domain.errors import ConfigError

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_DEFAULT_BATCH = {"cpu": 8, "mps": 8, "cuda": 16}


@dataclass(frozen=True)
class HFSettings:
    """The adapter options an alias or ``[tool.valspec.models.<alias>]`` table may set."""

    device: str
    dtype: torch.dtype
    batch_size: int
    longest_side: int | None
    trust_remote_code: bool
    revision: str | None
    num_threads: int | None


def _option(spec: ModelSpec, key: str, kind: type, default: Any) -> Any:
    value = spec.options.get(key, default)
    if value is default:
        return value
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"model {spec.name!r}: option {key} must be an integer, got {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(
            f"model {spec.name!r}: option {key} must be a {kind.__name__}, got {value!r}"
        )
    return value


def pick_device(requested: str | None = None) -> str:
    """The device to run on: the requested one, else cuda, then mps, then cpu."""
    if requested:
        return requested
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def default_dtype(device: str) -> torch.dtype:
    """bfloat16 on CUDA, float16 on Apple MPS, float32 on CPU (half precision is slow there)."""
    kind = device.split(":", 1)[0]
    return {"cuda": torch.bfloat16, "mps": torch.float16}.get(kind, torch.float32)


def cpu_threads(requested: int | None = None) -> int | None:
    """Torch threads for CPU inference, or None to leave torch's own setting alone.

    The ``num_threads`` option wins; under a pytest-xdist worker 1 (the workers already fill
    the cores, and torch's spin-waiting threads made tiny matmuls 25-100x slower on a shared
    2-core machine); with ``OMP_NUM_THREADS`` set, torch already follows it; else half the
    usable cores (the physical cores on SMT machines), at least 1.
    """
    if requested is not None:
        return requested
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return 1
    if os.environ.get("OMP_NUM_THREADS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // 2)


#: Options the hf adapter reads, plus those the run reads from the same alias table.
KNOWN_OPTIONS = frozenset(
    {"device", "dtype", "batch_size", "longest_side", "num_threads", "trust_remote_code"}
    | {"revision", "temperature", "max_tokens", "frames", "description"}
)


def read_settings(spec: ModelSpec) -> HFSettings:
    """Validate the spec's options into :class:`HFSettings` (ConfigError naming the option)."""
    unknown = sorted(set(spec.options) - KNOWN_OPTIONS)
    if unknown:
        raise ConfigError(
            f"model {spec.name!r}: unknown hf option(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(KNOWN_OPTIONS))}"
        )
    device = pick_device(_option(spec, "device", str, None))
    dtype_name = _option(spec, "dtype", str, None)
    if dtype_name is not None and dtype_name not in _DTYPES:
        raise ConfigError(
            f"model {spec.name!r}: option dtype must be one of {', '.join(_DTYPES)}, "
            f"got {dtype_name!r}"
        )
    dtype = _DTYPES[dtype_name] if dtype_name else default_dtype(device)
    batch = _option(spec, "batch_size", int, _DEFAULT_BATCH.get(device.split(":")[0], 8))
    longest = _option(spec, "longest_side", int, None)
    threads = _option(spec, "num_threads", int, None)
    for key, value in (("batch_size", batch), ("longest_side", longest), ("num_threads", threads)):
        if value is not None and value < 1:
            raise ConfigError(f"model {spec.name!r}: option {key} must be >= 1, got {value}")
    return HFSettings(
        device=device,
        dtype=dtype,
        batch_size=batch,
        longest_side=longest,
        trust_remote_code=_option(spec, "trust_remote_code", bool, False),
        revision=_option(spec, "revision", str, None),
        num_threads=threads,
    )
