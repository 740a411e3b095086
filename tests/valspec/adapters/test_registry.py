from __future__ import annotations

import pytest

from valspec.adapters.base import Adapter, Response
from valspec.adapters.mock import MockAdapter
from valspec.adapters.registry import (
    ModelSpec,
    adapter_names,
    create_adapter,
    register_adapter,
    resolve_spec,
)
from valspec.domain.errors import ConfigError, UnknownNameError


def test_resolves_prefixes_and_sim_variants() -> None:
    assert resolve_spec("sim") == ModelSpec("sim", "sim", "reference")
    assert resolve_spec("sim:drifted").model == "drifted"
    spec = resolve_spec("openai:gpt-4o")
    assert (spec.adapter, spec.model, spec.slug) == ("openai", "gpt-4o", "openai-gpt-4o")
    assert resolve_spec("hf:/models/my ckpt").slug == "hf-models-my-ckpt"


def test_aliases_win_and_keep_their_settings() -> None:
    aliases = {"mine": {"adapter": "openai", "model": "m", "base_url": "http://127.0.0.1:1/v1"}}
    spec = resolve_spec("mine", aliases)
    assert spec == ModelSpec("mine", "openai", "m", {"base_url": "http://127.0.0.1:1/v1"})
    with pytest.raises(ConfigError, match="needs the keys 'adapter' and 'model'"):
        resolve_spec("bad", {"bad": {"model": "x"}})


def test_unknown_spec_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError) as info:
        resolve_spec("qwen-vll", {"qwen-vl": {"adapter": "hf", "model": "Q"}})
    message = str(info.value)
    assert "Did you mean 'qwen-vl'" in message
    assert "openai:<model>" in message and "hf:<model>" in message
    with pytest.raises(ConfigError, match="say which model"):
        resolve_spec("openai")


def test_registered_factory_is_used() -> None:
    register_adapter("echo", lambda spec: MockAdapter(lambda r: Response(text=spec.model)))
    assert "echo" in adapter_names()
    adapter = create_adapter(resolve_spec("echo:hello"))
    assert isinstance(adapter, Adapter)
    assert adapter.answer([]) == []


def test_sim_is_created_lazily_by_name() -> None:
    adapter = create_adapter(resolve_spec("sim:gpt-4o"))
    assert adapter.fingerprint()["variant"] == "gpt-4o"
    assert adapter.capabilities.simulated
    with pytest.raises(UnknownNameError, match="sim variant"):
        create_adapter(resolve_spec("sim:gpt-5"))
