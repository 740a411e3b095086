"""The tiny test checkpoints: real architectures, self-contained folders, deterministic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import huggingface_hub.constants
import transformers as _transformers

from valspec.testing.tiny_vlm import YES_NO_WORDS, build_tiny_llava, build_tiny_qwen2_vl

transformers: Any = _transformers  # untyped library


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a hub (patched, not set at import: a run's environment stays its own)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


SELF_CONTAINED = {
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "processor_config.json",
    "chat_template.jinja",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return {
        "qwen2_vl": build_tiny_qwen2_vl(root / "qwen2_vl"),
        "qwen2_5_vl": build_tiny_qwen2_vl(root / "qwen2_5_vl", variant="qwen2_5_vl"),
        "llava": build_tiny_llava(root / "llava"),
    }


@pytest.mark.parametrize("name", ["qwen2_vl", "qwen2_5_vl", "llava"])
def test_folder_is_a_self_contained_small_checkpoint(built: dict[str, Path], name: str) -> None:
    folder = built[name]
    assert {p.name for p in folder.iterdir()} >= SELF_CONTAINED
    assert not list(folder.glob("*.bin"))  # safetensors only
    assert (folder / "model.safetensors").stat().st_size < 2_000_000
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == name
    assert config["text_config"]["hidden_size"] == 64
    assert config["text_config"]["num_hidden_layers"] == 2


@pytest.mark.parametrize("name", ["qwen2_vl", "qwen2_5_vl"])
def test_qwen_config_constraints(built: dict[str, Path], name: str) -> None:
    config = transformers.AutoConfig.from_pretrained(built[name])
    text, vision = config.text_config, config.vision_config
    head_dim = text.hidden_size // text.num_attention_heads
    assert sum(text.rope_parameters["mrope_section"]) == head_dim // 2
    assert vision.depth == 2
    if name == "qwen2_5_vl":
        assert vision.out_hidden_size == text.hidden_size
        assert all(0 <= i < vision.depth for i in vision.fullatt_block_indexes)
    else:
        assert vision.hidden_size == text.hidden_size  # the merger's output size


@pytest.mark.parametrize("name", ["qwen2_vl", "qwen2_5_vl", "llava"])
def test_tokenizer_yes_no_single_tokens_and_specials(built: dict[str, Path], name: str) -> None:
    tokenizer = transformers.AutoTokenizer.from_pretrained(built[name])
    for word in YES_NO_WORDS:
        assert len(tokenizer.encode(word, add_special_tokens=False)) == 1, word
    config = transformers.AutoConfig.from_pretrained(built[name])
    assert config.text_config.vocab_size == len(tokenizer)
    image_token = "<image>" if name == "llava" else "<|image_pad|>"
    assert tokenizer.convert_tokens_to_ids(image_token) == config.image_token_id
    if name != "llava":
        for special in ("<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>"):
            assert len(tokenizer.encode(special, add_special_tokens=False)) == 1, special


def test_llava_loads_with_stock_transformers(built: dict[str, Path]) -> None:
    processor = transformers.AutoProcessor.from_pretrained(built["llava"])
    assert type(processor).__name__ == "LlavaProcessor"
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "You are Ana."}]},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Like it?"}]},
    ]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert prompt == "You are Ana.\nUSER: <image>\nLike it? ASSISTANT:"


def test_qwen_loads_with_the_image_only_processor(built: dict[str, Path]) -> None:
    import valspec.adapters.hf_processors  # noqa: F401  (registers the processor)

    processor = transformers.AutoProcessor.from_pretrained(built["qwen2_vl"])
    assert type(processor).__name__ == "Qwen2VLImageOnlyProcessor"
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Hi"}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert "<|vision_start|><|image_pad|><|vision_end|>Hi<|im_end|>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")


def test_builds_are_deterministic(built: dict[str, Path], tmp_path: Path) -> None:
    again = build_tiny_qwen2_vl(tmp_path / "again")
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert (again / name).read_bytes() == (built["qwen2_vl"] / name).read_bytes(), name


def test_yes_no_head_only_says_yes_or_no(tmp_path: Path) -> None:
    folder = build_tiny_llava(tmp_path / "yn", yes_no_head=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForImageTextToText.from_pretrained(folder)
    head = model.get_output_embeddings().weight
    allowed = {tokenizer.encode(w, add_special_tokens=False)[0] for w in YES_NO_WORDS}
    nonzero = set(head.abs().sum(dim=1).nonzero().flatten().tolist())
    assert nonzero == allowed


def test_unknown_qwen_variant_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="variant must be one of"):
        build_tiny_qwen2_vl(tmp_path / "x", variant="qwen3_vl")
