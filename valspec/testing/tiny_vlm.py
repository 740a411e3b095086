"""Tiny, randomly initialised vision-language models of real architectures, for tests.

Each builder writes a self-contained checkpoint folder (config, generation config,
safetensors weights, a byte-level BPE tokenizer trained here with ``tokenizers``, the image
processor and the chat template) with ``save_pretrained``, so loading it goes through exactly
the path a real checkpoint takes. Models are under 1 MB, build in well under a second and are
deterministic (seeded init, deterministic tokenizer training). ``yes_no_head=True`` gives a
model whose first token is always a yes/no word (chosen by the real forward pass), for
suites that need parseable verdicts from a tiny model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

try:
    import torch
    import transformers as _transformers
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers import trainers as bpe_trainers
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"valspec.testing.tiny_vlm needs torch, transformers and tokenizers ({missing}); "
        "install them with: pip install 'valspec[hf]'"
    ) from None

transformers: Any = _transformers  # untyped library: keep mypy strict about our own code

__all__ = ["YES_NO_WORDS", "build_tiny_llava", "build_tiny_qwen2_vl"]

SEED = 0
#: Words that must each be one token in every tiny tokenizer (the yes/no answers).
YES_NO_WORDS = ("Yes", "No", " yes", " no", " Yes", " No", "yes", "no", "YES", "NO")

# Qwen2's pre-tokenizer split (as in transformers' Qwen2Tokenizer).
_PRETOKENIZE_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

_CORPUS = (
    "Yes. No. Yes, I like it. No, I do not like it. yes no YES NO",
    "Do you like this video? Would you keep watching it? Answer yes or no.",
    "Answer Yes or No first, then give a one-sentence reason.",
    "You are a helpful assistant. You are looking at screenshots from a short video.",
    "The video shows a family dinner, a concert, a vacation on the beach and a city at night.",
    "People help each other, pray together, win a race, travel the globe and shake hands.",
    'Reply with JSON: {"decision": "yes", "reason": "it is fun", "trait": "curious"}',
    "Rate visual appeal, curiosity, emotional engagement and value from 0 to 10.",
    '{"visual_appeal": 7, "curiosity": 5, "emotional_engagement": 6, "value": 4}',
    "I cannot answer that. I am not sure. I would rather not watch it.",
    "Imagine you are a persona who values tradition, security, power and achievement.",
)


def _corpus() -> list[str]:
    # Every yes/no word also stands alone (the start of an answer) often enough to be merged.
    return [line for line in _CORPUS for _ in range(20)] + [
        word for word in YES_NO_WORDS for _ in range(50)
    ]


def _train_bpe(vocab_size: int = 512) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Train a byte-level BPE (Qwen2's pre-tokenizer) on a fixed corpus: vocab and merges."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_PRETOKENIZE_REGEX), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = bpe_trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_corpus(), trainer)
    model = json.loads(tokenizer.to_str())["model"]
    vocab: dict[str, int] = model["vocab"]
    # tokenizers writes merges as [a, b] pairs (older versions: "a b"); Qwen2Tokenizer wants tuples
    pairs = (m if isinstance(m, list) else m.split(" ") for m in model["merges"])
    return vocab, [(a, b) for a, b in pairs]


def _tokenizer(special_tokens: list[str], chat_template: str, **roles: str) -> Any:
    """A ``Qwen2Tokenizer`` over the trained BPE plus special tokens (checked yes/no words)."""
    vocab, merges = _train_bpe()
    tokenizer = transformers.Qwen2Tokenizer(vocab=vocab, merges=merges, **roles)
    tokenizer.add_special_tokens({"additional_special_tokens": special_tokens})
    tokenizer.chat_template = chat_template
    for word in YES_NO_WORDS:
        ids = tokenizer.encode(word, add_special_tokens=False)
        if len(ids) != 1:
            raise RuntimeError(f"tiny tokenizer splits {word!r} into {len(ids)} tokens")
    return tokenizer


def _init_model(config: Any, tokenizer: Any, yes_no_head: bool) -> Any:
    """Seeded random init; optionally an output head that only ever says yes or no.

    With ``yes_no_head`` every output row is zero except the yes/no words': yes rows get a
    random vector v, no rows -v, so the first token is always a yes/no word and which one
    depends on the input (image and text) through the real forward pass.
    """
    with torch.random.fork_rng(devices=[]):  # seeded without touching the caller's RNG
        torch.manual_seed(SEED)
        model = transformers.AutoModelForImageTextToText.from_config(config)
    if yes_no_head:
        head = model.get_output_embeddings().weight
        if head.data_ptr() == model.get_input_embeddings().weight.data_ptr():
            raise RuntimeError("yes_no_head needs untied input and output embeddings")
        direction = torch.randn(head.shape[1], generator=torch.Generator().manual_seed(SEED + 1))
        with torch.no_grad():
            head.zero_()
            for word in YES_NO_WORDS:
                (token,) = tokenizer.encode(word, add_special_tokens=False)
                sign = 1.0 if word.strip().lower() == "yes" else -1.0
                head[token] = sign * 0.1 * direction
    return model


def _save(model: Any, processor: Any, out_dir: Path) -> Path:
    """save_pretrained (safetensors) of model and processor, without progress bars."""
    hf_logging = transformers.utils.logging
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(out_dir, safe_serialization=True)
        processor.save_pretrained(out_dir)
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
    return out_dir


# --------------------------------------------------------------------------- Qwen2-VL

_QWEN_SPECIAL = [
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

# Qwen2-VL-Instruct's chat template.
_QWEN_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}"
    "Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}"
    "Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_qwen2_vl(
    out_dir: Path, *, variant: str = "qwen2_vl", yes_no_head: bool = False
) -> Path:
    """Build and save a tiny Qwen2-VL (or ``variant="qwen2_5_vl"``: Qwen2.5-VL) into out_dir.

    Hidden size 64, 2 text layers, vision depth 2; images are resized to at most 56x56 pixels
    (4 image tokens each). The processor is valspec's image-only Qwen processor: load the
    folder after importing :mod:`valspec.adapters.hf_processors` (the hf adapter does), as
    stock transformers would fall back to a bare tokenizer. Returns ``out_dir``.
    """
    from valspec.adapters import hf_processors

    if variant not in hf_processors.IMAGE_ONLY_PROCESSORS:
        raise ValueError(f"variant must be one of {sorted(hf_processors.IMAGE_ONLY_PROCESSORS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = _tokenizer(
        _QWEN_SPECIAL,
        _QWEN_CHAT_TEMPLATE,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    ids = {tok: tokenizer.convert_tokens_to_ids(tok) for tok in _QWEN_SPECIAL}
    eos_id = ids["<|im_end|>"]
    pad_id = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    text_config: dict[str, Any] = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,  # head_dim 16 -> mrope_section sums to 8
        "num_key_value_heads": 2,
        "max_position_embeddings": 2048,
        "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3]},
        "bos_token_id": pad_id,
        "eos_token_id": eos_id,
        "pad_token_id": pad_id,
        "tie_word_embeddings": False,
    }
    vision_config: dict[str, Any]
    if variant == "qwen2_vl":
        vision_config = {
            "depth": 2,
            "embed_dim": 32,
            "hidden_size": 64,  # the merger's output = the text hidden size
            "num_heads": 2,
            "mlp_ratio": 2,
        }
        config_cls: Any = transformers.Qwen2VLConfig
        processor_cls: Any = hf_processors.Qwen2VLImageOnlyProcessor
    else:
        vision_config = {
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": 64,  # == text hidden size
            "window_size": 56,
            "fullatt_block_indexes": [1],  # within the vision depth
        }
        config_cls = transformers.Qwen2_5_VLConfig
        processor_cls = hf_processors.Qwen2_5_VLImageOnlyProcessor
    config = config_cls(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    model = _init_model(config, tokenizer, yes_no_head)
    model.generation_config = transformers.GenerationConfig(
        bos_token_id=pad_id, eos_token_id=eos_id, pad_token_id=pad_id, do_sample=False
    )
    image_processor = transformers.Qwen2VLImageProcessorPil(
        min_pixels=28 * 28, max_pixels=56 * 56, patch_size=14, merge_size=2
    )
    processor = processor_cls(
        image_processor=image_processor, tokenizer=tokenizer, chat_template=_QWEN_CHAT_TEMPLATE
    )
    return _save(model, processor, out_dir)


# --------------------------------------------------------------------------- LLaVA

_LLAVA_SPECIAL = ["<image>"]

# LLaVA-1.5's USER/ASSISTANT format; the system message (persona) is kept as a preamble.
_LLAVA_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}"
    "{% for item in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ item['text'] }}\n{% endfor %}"
    "{% else %}{{ message['role'].upper() + ': ' }}"
    "{% for item in message['content'] | selectattr('type', 'equalto', 'image') %}"
    "{{ '<image>\n' }}{% endfor %}"
    "{% for item in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ item['text'] + ' ' }}{% endfor %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)


def build_tiny_llava(out_dir: Path, *, yes_no_head: bool = False) -> Path:
    """Build and save a tiny LLaVA (CLIP vision tower + Llama text model) into out_dir.

    Hidden size 64, 2 text layers, 2 vision layers, 28x28 input (4 image tokens per image).
    Stock transformers loads it (``AutoProcessor`` gives a ``LlavaProcessor``), so it is the
    one to serve with ``transformers serve``. Returns ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = _tokenizer(
        _LLAVA_SPECIAL,
        _LLAVA_CHAT_TEMPLATE,
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    eos_id = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    image_id = tokenizer.convert_tokens_to_ids("<image>")
    config = transformers.LlavaConfig(
        vision_config={
            "model_type": "clip_vision_model",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 28,
            "patch_size": 14,
            "projection_dim": 32,
        },
        text_config={
            "model_type": "llama",
            "vocab_size": len(tokenizer),
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 2048,
            "bos_token_id": eos_id,
            "eos_token_id": eos_id,
            "pad_token_id": eos_id,
        },
        image_token_index=image_id,
        vision_feature_layer=-2,
        vision_feature_select_strategy="default",
        projector_hidden_act="gelu",
    )
    model = _init_model(config, tokenizer, yes_no_head)
    model.generation_config = transformers.GenerationConfig(
        bos_token_id=eos_id, eos_token_id=eos_id, pad_token_id=eos_id, do_sample=False
    )
    image_processor = transformers.LlavaImageProcessorPil(
        size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28}
    )
    processor = transformers.LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=14,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=_LLAVA_CHAT_TEMPLATE,
        image_token="<image>",
    )
    return _save(model, processor, out_dir)
