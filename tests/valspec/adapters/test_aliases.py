"""Built-in model aliases and their merge with ``[tool.valspec.models.<alias>]``."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.adapters.aliases import BUILTIN_ALIASES, alias_table, merge_aliases
from valspec.adapters.registry import resolve_spec
from valspec.domain.errors import ConfigError

REQUIRED = {"qwen-vl", "qwen2-vl", "llava", "internvl", "smolvlm", "deepseek-vl2"}
REQUIRED |= {"gpt-4o", "gpt-4o-mini", "claude-3.5-sonnet", "gemini-2.0-flash"}


def test_required_aliases_exist_with_adapter_model_description() -> None:
    assert set(BUILTIN_ALIASES) >= REQUIRED
    for name, table in BUILTIN_ALIASES.items():
        assert table["adapter"] in {"hf", "openai", "sim"}, name
        assert table["adapter"] != "sim" or "SIMULATED" in str(table["description"]), name
        assert isinstance(table["model"], str) and table["model"], name
        assert isinstance(table["description"], str) and table["description"], name


def test_paper_models_point_at_the_right_checkpoints() -> None:
    assert BUILTIN_ALIASES["qwen-vl"]["adapter"] == "hf"
    assert BUILTIN_ALIASES["qwen-vl"]["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert BUILTIN_ALIASES["gpt-4o"]["adapter"] == "openai"
    assert BUILTIN_ALIASES["gpt-4o"]["model"] == "gpt-4o"


def test_open_models_never_enable_remote_code_and_apis_name_their_key() -> None:
    for name, table in BUILTIN_ALIASES.items():
        if table["adapter"] == "hf":
            assert table["trust_remote_code"] is False, name
        elif table["adapter"] == "openai":
            assert str(table["api_key_env"]).isupper(), name
    for name in ("claude-3.5-sonnet", "gemini-2.0-flash", "deepseek-vl2"):
        assert str(BUILTIN_ALIASES[name]["base_url"]).startswith(("https://", "http://")), name


@pytest.mark.parametrize(
    "alias", sorted(n for n, t in BUILTIN_ALIASES.items() if t["adapter"] == "openai")
)
def test_builtin_api_aliases_are_valid_openai_settings(alias: str) -> None:
    from valspec.adapters.openai_api import OpenAISettings

    settings = OpenAISettings.from_spec(resolve_spec(alias, BUILTIN_ALIASES))
    assert settings.api_key_env == BUILTIN_ALIASES[alias]["api_key_env"]
    assert settings.base_url == str(
        BUILTIN_ALIASES[alias].get("base_url", settings.base_url)
    ).rstrip("/")


def test_partial_override_keeps_the_builtin_keys() -> None:
    merged = merge_aliases({"qwen-vl": {"batch_size": 2, "longest_side": 512}})
    assert merged["qwen-vl"]["batch_size"] == 2
    assert merged["qwen-vl"]["longest_side"] == 512
    assert merged["qwen-vl"]["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert merged["qwen-vl"]["adapter"] == "hf"
    assert BUILTIN_ALIASES["qwen-vl"]["batch_size"] == 8  # the built-in table is untouched


def test_new_alias_is_added_and_resolves() -> None:
    merged = merge_aliases({"my-ckpt": {"adapter": "hf", "model": "/models/ckpt", "batch_size": 4}})
    assert set(BUILTIN_ALIASES) < set(merged)
    spec = resolve_spec("my-ckpt", merged)
    assert (spec.adapter, spec.model) == ("hf", "/models/ckpt")
    assert spec.options["batch_size"] == 4
    builtin = resolve_spec("gemini-2.0-flash", merged)
    assert builtin.adapter == "openai"
    assert builtin.options["api_key_env"] == "GEMINI_API_KEY"


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ({"mine": {"model": "x"}}, r"\[tool\.valspec\.models\.mine\] needs the key\(s\) adapter"),
        ({"mine": {"adapter": "hf"}}, "needs the key"),
        ({"mine": "hf:/x"}, "must be a table"),
        ({"llava": {"model": ""}}, "model must be a non-empty string"),
        ({"llava": {"adapter": 3}}, "adapter must be a non-empty string"),
    ],
)
def test_bad_user_alias_is_a_config_error(user: Mapping[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        merge_aliases(user)  # type: ignore[arg-type]


def test_alias_table_rows() -> None:
    rows = alias_table()
    assert [row[0] for row in rows] == sorted(BUILTIN_ALIASES)
    assert ("gpt-4o", "openai", "gpt-4o") in {row[:3] for row in rows}
    merged = merge_aliases({"zz-local": {"adapter": "hf", "model": "/m", "description": "mine"}})
    assert alias_table(merged)[-1] == ("zz-local", "hf", "/m", "mine")


_keys = st.sampled_from(["batch_size", "longest_side", "max_tokens", "temperature", "extra"])
_values = st.one_of(st.integers(0, 4096), st.floats(0, 2, allow_nan=False), st.text(max_size=8))


@given(
    name=st.sampled_from(sorted(BUILTIN_ALIASES)),
    override=st.dictionaries(_keys, _values, max_size=4),
)
def test_merge_is_builtin_then_user(name: str, override: dict[str, object]) -> None:
    merged = merge_aliases({name: override})
    assert merged[name] == {**BUILTIN_ALIASES[name], **override}
    others = {k: v for k, v in merged.items() if k != name}
    assert others == {k: v for k, v in BUILTIN_ALIASES.items() if k != name}
