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
    assert resolve_spec("hf:/models/my ckpt").slug == "hf-my-ckpt"


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


@pytest.mark.parametrize(
    ("text", "slug", "generic"),
    [
        ("hf:/models/tiny", "hf-tiny", None),
        ("hf:/data/weights/elsewhere/tiny/", "hf-tiny", None),
        ("hf:./runs/qwen-sft/checkpoint-500", "hf-checkpoint-500", "checkpoint-500"),
        ("hf:/mnt/ckpt/final", "hf-final", "final"),
        ("hf:Qwen/Qwen2.5-VL-7B-Instruct", "hf-Qwen-Qwen2.5-VL-7B-Instruct", None),
        ("openai:gpt-4o", "openai-gpt-4o", None),
    ],
)
def test_a_local_checkpoint_is_named_by_its_folder_not_its_location(
    text: str, slug: str, generic: str | None
) -> None:
    spec = resolve_spec(text)
    assert (spec.slug, spec.generic_folder) == (slug, generic)


def test_an_alias_names_a_checkpoint_wherever_it_lives() -> None:
    aliases = {"my-sft": {"adapter": "hf", "model": "/mnt/ckpt/final"}}
    spec = resolve_spec("my-sft", aliases)
    assert (spec.slug, spec.generic_folder) == ("my-sft", None)


@pytest.mark.parametrize("text", ["openai:", "hf: ", "sim:"])
def test_a_prefix_without_a_model_is_an_error(text: str) -> None:
    with pytest.raises(ConfigError, match="say which"):
        resolve_spec(text)
