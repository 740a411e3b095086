"""Built-in model aliases (``--model=qwen-vl``) and merging them with the user's own.

An alias is a table with ``adapter``, ``model``, a ``description`` and adapter settings. Users
add or override aliases in ``[tool.valspec.models.<alias>]``; a partial override of a built-in
keeps the built-in's other keys. The result goes to :func:`valspec.adapters.registry.resolve_spec`.

Open models run on the ``hf`` adapter (transformers, ``AutoModelForImageTextToText``, no remote
code). Hosted models run on the ``openai`` adapter, natively or through the vendor's
OpenAI-compatible endpoint. DeepSeek-VL2 has no transformers implementation, so its alias
expects an OpenAI-compatible server (vLLM serves it) on localhost.
"""

from __future__ import annotations

from collections.abc import Mapping

from valspec.domain.errors import ConfigError

# Settings shared by the open-weight aliases: frames shrunk to 768 px on the longest side
# (Qwen's processor would otherwise turn a 1080x1920 screenshot into ~2,600 image tokens),
# greedy decoding, 128 new tokens for reasons and ratings.
_HF_DEFAULTS: dict[str, object] = {
    "adapter": "hf",
    "longest_side": 768,
    "max_tokens": 128,
    "temperature": 0.0,
    "batch_size": 8,
    "trust_remote_code": False,
}
_API_DEFAULTS: dict[str, object] = {"adapter": "openai", "max_tokens": 128, "temperature": 0.0}

BUILTIN_ALIASES: dict[str, dict[str, object]] = {
    "qwen-vl": {
        **_HF_DEFAULTS,
        "model": "Qwen/Qwen2.5-VL-7B-Instruct",
        "description": "Qwen2.5-VL 7B Instruct (the paper's Qwen2.5-VL), local transformers",
    },
    "qwen2-vl": {
        **_HF_DEFAULTS,
        "model": "Qwen/Qwen2-VL-7B-Instruct",
        "description": "Qwen2-VL 7B Instruct, local transformers",
    },
    "llava": {
        **_HF_DEFAULTS,
        "model": "llava-hf/llava-1.5-7b-hf",
        "longest_side": 336,  # the CLIP tower sees 336x336 anyway
        "description": "LLaVA-1.5 7B (llava-hf conversion), local transformers",
    },
    "llava-onevision": {
        **_HF_DEFAULTS,
        "model": "llava-hf/llava-onevision-qwen2-7b-ov-hf",
        "description": "LLaVA-OneVision Qwen2 7B (llava-hf conversion), local transformers",
    },
    "internvl": {
        **_HF_DEFAULTS,
        "model": "OpenGVLab/InternVL3-8B-hf",
        "description": (
            "InternVL3 8B, the transformers-native -hf release (the paper's InternVL2 needs "
            "trust_remote_code and AutoModel, which the hf adapter does not use)"
        ),
    },
    "smolvlm": {
        **_HF_DEFAULTS,
        "model": "HuggingFaceTB/SmolVLM-Instruct",
        "description": "SmolVLM 2.2B Instruct (Idefics3), small enough for a CPU smoke run",
    },
    "deepseek-vl2": {
        **_API_DEFAULTS,
        "model": "deepseek-ai/deepseek-vl2",
        "base_url": "http://127.0.0.1:8000/v1",
        "api_key_env": "VLLM_API_KEY",
        "description": (
            "DeepSeek-VL2 behind an OpenAI-compatible server, e.g. `vllm serve "
            "deepseek-ai/deepseek-vl2` (transformers has no DeepSeek-VL2 implementation)"
        ),
    },
    "gpt-4o": {
        **_API_DEFAULTS,
        "model": "gpt-4o",
        "api_key_env": "OPENAI_API_KEY",
        "description": "OpenAI GPT-4o via the OpenAI API",
    },
    "gpt-4o-mini": {
        **_API_DEFAULTS,
        "model": "gpt-4o-mini",
        "api_key_env": "OPENAI_API_KEY",
        "description": "OpenAI GPT-4o mini via the OpenAI API",
    },
    "claude-3.5-sonnet": {
        **_API_DEFAULTS,
        "model": "claude-3-5-sonnet-20241022",
        "base_url": "https://api.anthropic.com/v1/",
        "api_key_env": "ANTHROPIC_API_KEY",
        "description": (
            "Anthropic Claude 3.5 Sonnet via Anthropic's OpenAI-compatible endpoint "
            "(no logprobs: verdicts from text)"
        ),
    },
    "gemini-2.0-flash": {
        **_API_DEFAULTS,
        "model": "gemini-2.0-flash",
        "base_url": "https://generativelanguage.googleapis.com/v1beta/openai/",
        "api_key_env": "GEMINI_API_KEY",
        "description": "Google Gemini 2.0 Flash via Google's OpenAI-compatible endpoint",
    },
    "sim-sampled": {
        "adapter": "sim",
        "model": "reference",
        "temperature": 1.0,
        "description": (
            "SIMULATED model (no VLM) sampled at temperature 1: independent answers per sample, "
            "for --valspec-samples and A/A checks of sampled scoring"
        ),
    },
}


def merge_aliases(user: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, object]]:
    """Built-in aliases overlaid with the user's tables (a user key wins, others are kept).

    A new alias must name its ``adapter`` and ``model``; an override of a built-in may set
    only the keys it changes. Raises ConfigError naming the alias otherwise.
    """
    merged = {name: dict(table) for name, table in BUILTIN_ALIASES.items()}
    for name, table in user.items():
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"[tool.valspec.models.{name}] must be a table, got {type(table).__name__}"
            )
        entry = merged.get(name, {})
        entry.update(table)
        missing = [key for key in ("adapter", "model") if key not in entry]
        if missing:
            raise ConfigError(
                f"[tool.valspec.models.{name}] needs the key(s) {', '.join(missing)} "
                "(it is not a built-in alias that could supply them)"
            )
        for key in ("adapter", "model"):
            if not isinstance(entry[key], str) or not entry[key]:
                raise ConfigError(
                    f"[tool.valspec.models.{name}] {key} must be a non-empty string, "
                    f"got {entry[key]!r}"
                )
        merged[name] = entry
    return merged


def alias_table(
    aliases: Mapping[str, Mapping[str, object]] | None = None,
) -> list[tuple[str, str, str, str]]:
    """Rows (alias, adapter, model, description), sorted by alias, for the README and CLI."""
    source = BUILTIN_ALIASES if aliases is None else aliases
    return [
        (
            name,
            str(table.get("adapter", "")),
            str(table.get("model", "")),
            str(table.get("description", "")),
        )
        for name, table in sorted(source.items())
    ]
