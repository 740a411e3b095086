"""Settings of the ``openai`` adapter: alias options over environment over defaults.

Every option is checked by name and type, so a typo in ``[tool.valspec.models.<alias>]`` is an
error rather than a silently ignored setting.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from valspec.adapters.base import Sampling
from valspec.adapters.registry import ModelSpec
from valspec.domain.errors import ConfigError

DEFAULT_BASE_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class OpenAISettings:
    """The adapter's settings: alias options over environment over defaults."""

    base_url: str = DEFAULT_BASE_URL
    api_key_env: str = "OPENAI_API_KEY"  # the *name* of the variable holding the key
    concurrency: int = 64
    max_batch: int = 256
    timeout_s: float = 120.0
    max_attempts: int = 5
    retry_backoff_s: float = 0.5  # base of the exponential backoff between attempts
    longest_side: int | None = None
    jpeg_quality: int = 90
    logprobs: bool = True
    top_logprobs: int = 20
    transport: str = "aiohttp"  # or "httpx": the SDK's default transport (slower, see docs)
    temperature: float | None = None  # set: overrides every request's sampling
    max_tokens: int | None = None
    seed: int | None = None
    extra_body: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> OpenAISettings:
        """Read and check ``spec.options``; unknown or ill-typed options are a ConfigError."""
        options = dict(spec.options)
        options.pop("description", None)  # the alias's description, for tables and the CLI
        options.pop("frames", None)  # read by the run (frames sampled per clip), not here
        unknown = sorted(set(options) - _OPTION_TYPES.keys())
        if unknown:
            known = ", ".join(sorted(_OPTION_TYPES))
            raise ConfigError(f"model {spec.name!r}: unknown option(s) {unknown}; known: {known}")
        values: dict[str, Any] = {}
        for name, value in options.items():
            values[_OPTION_FIELDS.get(name, name)] = _check_option(spec.name, name, value)
        source = f"model {spec.name!r}: base_url"
        if "base_url" not in values:
            if os.environ.get("OPENAI_BASE_URL"):
                source = f"model {spec.name!r}: OPENAI_BASE_URL"
            values["base_url"] = os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        values["base_url"] = _check_base_url(source, str(values["base_url"]))
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", values.get("api_key_env", "X")):
            # Never echo it: a key pasted here by mistake must not reach the terminal.
            raise ConfigError(
                f"model {spec.name!r}: api_key_env must be the *name* of an environment "
                "variable (such as OPENAI_API_KEY), not the key itself"
            )
        if values.get("transport", "aiohttp") not in ("aiohttp", "httpx"):
            raise ConfigError(f"model {spec.name!r}: transport must be 'aiohttp' or 'httpx'")
        return cls(**values)

    def overrides(self) -> dict[str, float | int]:
        """The sampling settings the alias fixes for every request."""
        fixed = {"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed}
        return {key: value for key, value in fixed.items() if value is not None}

    def sampling_fields(self, sampling: Sampling) -> dict[str, float | int]:
        """``temperature``, ``max_tokens`` and ``seed`` for one request.

        The seed is offset by ``sample_index`` so the K samples of a query differ on servers
        that honour seeds.
        """
        seed = self.seed if self.seed is not None else sampling.seed
        return {
            "temperature": self.temperature
            if self.temperature is not None
            else sampling.temperature,
            "max_tokens": self.max_tokens if self.max_tokens is not None else sampling.max_tokens,
            "seed": seed + sampling.sample_index,
        }


def _check_base_url(source: str, base_url: str) -> str:
    """An http(s) URL with a host and a numeric port; never echoed when it holds a password."""
    base_url = base_url.strip().rstrip("/")
    parts = urlsplit(base_url)
    if parts.password is not None or parts.username is not None:
        raise ConfigError(
            f"{source} contains credentials (user:password@); they would be sent with every "
            "request and could reach logs: remove them and put the key in OPENAI_API_KEY "
            "(or the alias's api_key_env)"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{source} must be an http(s) URL such as http://127.0.0.1:8000/v1")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(
            f"{source}: the port of {parts.scheme}://{parts.netloc} is not a number from 0 to 65535"
        ) from None
    return base_url


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (a local server that needs no key)."""
    if host.lower() in ("localhost", "0.0.0.0"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_key(spec: ModelSpec, settings: OpenAISettings) -> str:
    """The API key from the environment (``EMPTY`` for a loopback server); ConfigError when a
    remote endpoint has none."""
    key = os.environ.get(settings.api_key_env, "").strip()
    if key:
        return key
    host = urlsplit(settings.base_url).hostname or ""
    if not is_loopback(host):
        raise ConfigError(
            f"--model={spec.name}: no API key for {host}: set the environment variable "
            f"{settings.api_key_env} (for a keyless server, set it to EMPTY)"
        )
    return "EMPTY"  # local servers (vLLM, SGLang, transformers serve) need none


def check(spec: ModelSpec) -> None:
    """Configure-time checks (options, base URL, API key present), without the openai SDK."""
    api_key(spec, OpenAISettings.from_spec(spec))


PROBE_TIMEOUT_S = 5.0
"""How long the up-front connect probe waits for the endpoint to accept a connection."""


def probe_url(name: str, base_url: str, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """One TCP connect to the endpoint (nothing is sent, no key, no SDK): a server nobody
    runs is one located ConfigError before the first case, not one error per query."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise ConfigError(
            f"--model={name}: cannot connect to {parts.scheme}://{parts.netloc} ({reason.lower()})"
            ": start the server, or point base_url / OPENAI_BASE_URL at one that runs "
            "(to judge from cached answers alone: --valspec-offline)"
        ) from None


def probe(spec: ModelSpec) -> None:
    """The spec's endpoint accepts connections (what an xdist controller checks up front)."""
    probe_url(spec.name, OpenAISettings.from_spec(spec).base_url)


# option name -> (type, minimum); "number" accepts int or float
_OPTION_TYPES: dict[str, tuple[str, float | None]] = {
    "base_url": ("str", None),
    "api_key_env": ("str", None),
    "concurrency": ("int", 1),
    "max_batch": ("int", 1),
    "timeout": ("number", 0.001),
    "max_attempts": ("int", 1),
    "retry_backoff": ("number", 0),
    "longest_side": ("int", 16),
    "jpeg_quality": ("int", 1),
    "logprobs": ("bool", None),
    "top_logprobs": ("int", 1),
    "transport": ("str", None),
    "temperature": ("number", 0),
    "max_tokens": ("int", 1),
    "seed": ("int", None),
    "extra_body": ("table", None),
}
_OPTION_FIELDS = {"timeout": "timeout_s", "retry_backoff": "retry_backoff_s"}


def _check_option(model: str, name: str, value: Any) -> Any:
    kind, minimum = _OPTION_TYPES[name]
    where = f"model {model!r}: option {name}"
    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where} must be a non-empty string")
        return value.strip()
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if kind == "table":
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a table of extra request fields")
        return dict(value)
    number_types = (int, float) if kind == "number" else (int,)
    if isinstance(value, bool) or not isinstance(value, number_types):
        noun = "an integer" if kind == "int" else "a number"
        raise ConfigError(f"{where} must be {noun}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where} must be at least {minimum:g}, got {value!r}")
    return float(value) if kind == "number" else value
