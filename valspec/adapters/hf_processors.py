"""Image-only processors for Qwen2-VL / Qwen2.5-VL, registered with ``AutoProcessor``.

The stock Qwen processors insist on a video processor, which needs torchvision; torchvision
cannot be installed next to a CPU-only torch. valspec sends video as sampled frames (images),
so an image-only subclass is all it needs. Importing this module registers the subclasses;
without the import ``AutoProcessor.from_pretrained`` silently falls back to a bare tokenizer
on folders saved with them, so :mod:`valspec.adapters.hf` imports it before every load.
"""

from __future__ import annotations

from typing import Any, cast

from transformers import (
    AutoProcessor,
    Qwen2_5_VLConfig,
    Qwen2_5_VLProcessor,
    Qwen2VLConfig,
    Qwen2VLProcessor,
)
from transformers.processing_utils import ProcessorMixin

# transformers is untyped: call through Any so that mypy stays strict about this module.
_init_processor: Any = cast(Any, ProcessorMixin).__init__
_auto_processor: Any = AutoProcessor


def _set_vision_tokens(processor: Any, tokenizer: Any) -> None:
    """Copy the image/video placeholder tokens and ids the Qwen processors read."""
    processor.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
    processor.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
    processor.image_token_id = getattr(
        tokenizer, "image_token_id", None
    ) or tokenizer.convert_tokens_to_ids(processor.image_token)
    processor.video_token_id = getattr(
        tokenizer, "video_token_id", None
    ) or tokenizer.convert_tokens_to_ids(processor.video_token)


class _ImageOnlyInit:
    """The shared constructor: set up image and tokenizer only, never a video processor."""

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        _set_vision_tokens(self, tokenizer)
        _init_processor(self, image_processor, tokenizer, chat_template=chat_template)


class Qwen2VLImageOnlyProcessor(_ImageOnlyInit, Qwen2VLProcessor):
    """Qwen2-VL processor without a video processor (frames go in as images)."""


class Qwen2_5_VLImageOnlyProcessor(_ImageOnlyInit, Qwen2_5_VLProcessor):
    """Qwen2.5-VL processor without a video processor (frames go in as images)."""


#: model_type in config.json -> the image-only processor class to load it with.
IMAGE_ONLY_PROCESSORS: dict[str, type[ProcessorMixin]] = {
    "qwen2_vl": Qwen2VLImageOnlyProcessor,
    "qwen2_5_vl": Qwen2_5_VLImageOnlyProcessor,
}


def register() -> None:
    """Register the image-only processors with ``AutoProcessor`` (idempotent)."""
    _auto_processor.register(Qwen2VLConfig, Qwen2VLImageOnlyProcessor, exist_ok=True)
    _auto_processor.register(Qwen2_5_VLConfig, Qwen2_5_VLImageOnlyProcessor, exist_ok=True)


register()
