"""Turn ``--model SPEC`` into an adapter: built-in adapters, aliases and an entry-point group.

A spec is one of:

* ``sim`` or ``sim:<variant>`` — the simulated model (see :mod:`valspec.adapters.sim`);
* ``<prefix>:<model>`` for a registered adapter, e.g. ``openai:gpt-4o``, ``hf:/models/ckpt``;
* an alias from the built-in table or ``[tool.valspec.models.<alias>]`` in pyproject.

Adapters are registered by name with a factory given as ``"module:function"`` so that heavy
SDKs (torch, transformers, openai) are imported only when their adapter is used. Third-party
packages add adapters through the ``valspec.adapters`` entry-point group.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import PurePath
from typing import Any

from valspec.adapters.base import Adapter
from valspec.domain.errors import ConfigError, UnknownNameError

ENTRY_POINT_GROUP = "valspec.adapters"


@dataclass(frozen=True)
class ModelSpec:
    """A resolved ``--model``: which adapter runs which model with which settings.

    ``name`` is what the user asked for (an alias or ``prefix:model``); it names the
    snapshot folder. ``options`` holds adapter settings from the alias (``base_url``,
    ``api_key_env``, ``temperature``, ``max_tokens``, ``longest_side``, ...).
    """

    name: str
    adapter: str
    model: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The baseline folder's name: a file-system-safe form of ``name`` (``openai:gpt-4o``
        -> ``openai-gpt-4o``, an alias -> the alias), except that a local checkpoint is named
        by its folder (``hf:/models/tiny`` -> ``hf-tiny``), never by where the weights live."""
        name = self.name
        if name == f"{self.adapter}:{self.model}" and looks_like_path(self.model):
            name = f"{self.adapter}-{_folder_name(self.model)}"
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
        return slug or "model"

    @property
    def generic_folder(self) -> str | None:
        """The checkpoint folder's name when it says nothing about the model (``final``,
        ``checkpoint-500``): baselines named after it would collide; an alias should name it."""
        if self.name != f"{self.adapter}:{self.model}" or not looks_like_path(self.model):
            return None
        folder = _folder_name(self.model)
        return folder if GENERIC_FOLDER.fullmatch(folder.lower()) else None


GENERIC_FOLDER = re.compile(
    r"(checkpoint|ckpt|step|epoch|iter|global[_-]?step)[_-]?\d*|final|best|last|latest|model|"
    r"models|output|outputs|weights|snapshot|snapshots|hf|pretrained|merged|export|main|\d+|"
    r"v\d+|run[_-]?\d*|tmp|temp"
)


def _folder_name(path: str) -> str:
    return PurePath(path.rstrip("/\\")).name


def looks_like_path(model: str) -> bool:
    """A folder path rather than a model or hub id ("org/name" has one slash, no leading dot)."""
    return model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model


AdapterFactory = Callable[[ModelSpec], Adapter]

_BUILTIN: dict[str, str] = {
    "sim": "valspec.adapters.sim:create",
    "openai": "valspec.adapters.openai_api:create",
    "hf": "valspec.adapters.hf:create",
}
_REGISTERED: dict[str, AdapterFactory | str] = {}


def register_adapter(name: str, factory: AdapterFactory | str) -> None:
    """Register an adapter factory (a callable or a lazy ``"module:function"`` string)."""
    _REGISTERED[name] = factory


def adapter_names() -> list[str]:
    """Every adapter name that ``--model`` accepts as a prefix."""
    names = set(_BUILTIN) | set(_REGISTERED)
    names |= {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def _load_factory(name: str) -> AdapterFactory:
    target: AdapterFactory | str | None = _REGISTERED.get(name)
    if target is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == name:
                loaded: AdapterFactory = ep.load()
                return loaded
        target = _BUILTIN.get(name)
    if target is None:
        raise UnknownNameError("adapter", name, adapter_names())
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        factory: AdapterFactory = getattr(module, attr)
        return factory
    return target


def resolve_spec(text: str, aliases: Mapping[str, Mapping[str, Any]] | None = None) -> ModelSpec:
    """Parse a ``--model`` value into a :class:`ModelSpec`.

    ``aliases`` maps alias name to a table with at least ``adapter`` and ``model``; the
    built-in aliases are merged underneath by the caller (user entries win).
    """
    text = text.strip()
    if not text:
        raise ConfigError("--model is empty; try --model=sim")
    aliases = aliases or {}
    if text in aliases:
        table = dict(aliases[text])
        try:
            adapter = str(table.pop("adapter"))
            model = str(table.pop("model"))
        except KeyError as missing:
            raise ConfigError(
                f"model alias {text!r} needs the keys 'adapter' and 'model' (missing {missing})"
            ) from None
        return ModelSpec(name=text, adapter=adapter, model=model, options=table)
    prefix, sep, rest = text.partition(":")
    if prefix in adapter_names():
        if (sep and not rest.strip()) or (not sep and prefix != "sim"):
            which = "variant" if prefix == "sim" else "model"
            raise ConfigError(f"--model={text}: say which {which}, e.g. --model={prefix}:<{which}>")
        return ModelSpec(name=text, adapter=prefix, model=rest.strip() or "reference")
    known = sorted(aliases) + [f"{p}:<model>" for p in adapter_names() if p != "sim"]
    raise UnknownNameError("model", text, ["sim", "sim:<variant>", *known])


# Cheap checks run when the session is configured, before anything loads (no SDK import):
# a missing folder, key or variant is one usage error instead of one error per case.
_CHECKS: dict[str, str] = {
    "sim": "valspec.adapters.sim:create",  # building the simulation is the check (instant)
    "openai": "valspec.adapters.openai_settings:check",
    "hf": "valspec.adapters.hf_check:check",
}


def check_spec(spec: ModelSpec) -> None:
    """Run the adapter's configure-time checks (ConfigError naming what is wrong). Adapters
    from other packages may register ``<name>-check`` in the entry-point group."""
    _run_spec_hook(_CHECKS, "check", spec)


# Up-front probes that need no adapter (so nothing loads): what an xdist controller, which
# answers nothing, can check before its workers start. Entry points: ``<name>-probe``.
_PROBES: dict[str, str] = {"openai": "valspec.adapters.openai_settings:probe"}


def probe_spec(spec: ModelSpec) -> None:
    """Check that the spec's model can be reached without creating its adapter (a connect
    to an endpoint; never loading weights); ConfigError when it cannot. No probe: no-op."""
    _run_spec_hook(_PROBES, "probe", spec)


def _run_spec_hook(built_in: dict[str, str], kind: str, spec: ModelSpec) -> None:
    """Run a built-in adapter's ``kind`` hook ("module:function"), else an entry point named
    ``<adapter>-<kind>`` in the adapters group; an adapter with neither has nothing to run."""
    target = built_in.get(spec.adapter) if spec.adapter not in _REGISTERED else None
    if target is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == f"{spec.adapter}-{kind}":
                ep.load()(spec)
        return
    module_name, _, attr = target.partition(":")
    getattr(importlib.import_module(module_name), attr)(spec)


def create_adapter(spec: ModelSpec) -> Adapter:
    """Build the adapter a spec names (importing its SDK only now)."""
    factory = _load_factory(spec.adapter)
    adapter = factory(spec)
    if not isinstance(adapter, Adapter):
        raise ConfigError(f"adapter factory for {spec.adapter!r} returned {adapter!r}")
    return adapter
