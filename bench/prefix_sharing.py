"""Prefix sharing: how much of an item's prompts a serving engine's prefix cache can reuse.

Serving engines with prefix caching (vLLM ``--enable-prefix-caching``, SGLang's radix cache)
skip the prefill of a prompt's leading tokens that an earlier prompt already computed, in
blocks (vLLM: 16 tokens). valspec puts the media before the persona text so that an item's
persona prompts share *system turn + image tokens*. This script measures that on real token
sequences: it renders one item's 11 conversations (neutral + 5 personas x 2 strategies) the
way the ``hf`` adapter does (the chat template, the processor expanding each frame into its
image tokens), tokenizes them with a Qwen2-VL processor at the real model's image settings
(14-pixel patches merged 2x2: a 512-pixel frame is hundreds of tokens), and counts, for each
prompt in send order, the leading tokens shared with an earlier prompt of the same item, in
whole blocks. It does the same for the opposite layout (persona text before the media) to
show what the layout buys. No weights are needed: the tokenizer and chat template are the
tiny test model's (``valspec.testing.tiny_vlm``), the image token counts are Qwen2-VL's.

Run: ``python bench/prefix_sharing.py [--frames 4] [--longest-side 512] [--block 16]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from valspec.adapters.base import Request, Sampling
from valspec.domain.messages import AnswerFormat, MediaPart, Message
from valspec.domain.personas import load_personas
from valspec.engine.queries import NEUTRAL_CONDITION, Condition

REPO = Path(__file__).resolve().parents[1]
PERSONAS = 5
STRATEGIES = ("simple", "isq")


def processor_at_real_settings(folder: Path) -> Any:
    """The tiny Qwen2-VL processor, with the real model's image sizing (28x28-pixel tokens
    after the 2x2 merge, up to 1280 of them per image)."""
    from valspec.adapters import hf_processors
    from valspec.testing.tiny_vlm import build_tiny_qwen2_vl

    hf_processors.register()
    from transformers import AutoProcessor

    build_tiny_qwen2_vl(folder)
    processor = AutoProcessor.from_pretrained(folder)  # type: ignore[no-untyped-call]
    processor.image_processor.size = {"shortest_edge": 56 * 56, "longest_edge": 28 * 28 * 1280}
    return processor


def token_ids(
    processor: Any, messages: tuple[Message, ...], frames: list[Image.Image]
) -> list[int]:
    """The prompt's token ids as the hf adapter builds them (image tokens expanded)."""
    from valspec.adapters.hf import template_messages

    request = Request(
        key="k",
        item_id="i",
        messages=messages,
        answer_format=AnswerFormat.YES_NO,
        sampling=Sampling(),
        frames=tuple(frames),
    )
    chat, images = template_messages(request)
    text = processor.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    batch = processor(text=[text], images=images or None, return_tensors="np")
    return [int(t) for t in batch["input_ids"][0]]


def shared_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def media_last(messages: tuple[Message, ...]) -> tuple[Message, ...]:
    """The opposite layout: each user turn's text first, then its media."""
    out = []
    for message in messages:
        media = tuple(p for p in message.content if isinstance(p, MediaPart))
        texts = tuple(p for p in message.content if not isinstance(p, MediaPart))
        out.append(replace(message, content=texts + media))
    return tuple(out)


def measure(prompts: list[list[int]], block: int) -> tuple[int, int]:
    """(prefill tokens without a cache, tokens a block prefix cache would skip)."""
    total = skipped = 0
    for n, ids in enumerate(prompts):
        total += len(ids)
        best = max((shared_prefix(ids, earlier) for earlier in prompts[:n]), default=0)
        skipped += (best // block) * block
    return total, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=4, help="frames per video (valspec: 4)")
    parser.add_argument("--longest-side", type=int, default=512, help="pixels (valspec: 512)")
    parser.add_argument("--block", type=int, default=16, help="prefix-cache block (vLLM: 16)")
    args = parser.parse_args()
    personas = load_personas(REPO / "fixtures" / "personas")[:PERSONAS]
    conditions = [NEUTRAL_CONDITION] + [
        Condition(strategy=s, persona=p) for p in personas for s in STRATEGIES
    ]
    side = args.longest_side
    frames = [
        Image.new("RGB", (side, side * 9 // 16), (30 * i, 90, 160)) for i in range(args.frames)
    ]
    with tempfile.TemporaryDirectory() as folder:
        processor = processor_at_real_settings(Path(folder))
        layouts = {}
        for name, arrange in (("media first (valspec)", lambda m: m), ("text first", media_last)):
            layouts[name] = [
                token_ids(
                    processor,
                    arrange(c.template.render(platform="tiktok", persona=c.persona)),
                    frames,
                )
                for c in conditions
            ]
    image_tokens = sum(
        1 for t in layouts["media first (valspec)"][0] if t == processor.image_token_id
    )
    print(
        f"one item: {len(conditions)} prompts (neutral + {PERSONAS} personas x "
        f"{len(STRATEGIES)} strategies), {args.frames} frames of {side}x{side * 9 // 16} px = "
        f"{image_tokens} image tokens per prompt; prefix-cache block {args.block} tokens"
    )
    for name, prompts in layouts.items():
        total, skipped = measure(prompts, args.block)
        lengths = sorted(len(p) for p in prompts)
        persona = prompts[1:]
        _, persona_skipped = measure(persona, args.block)
        print(
            f"{name:22s} prompt {lengths[0]}-{lengths[-1]} tokens; prefill {total:6d} tokens "
            f"without a cache, {total - skipped:6d} with one: {100 * skipped / total:4.1f} % "
            f"skipped ({100 * persona_skipped / sum(map(len, persona)):4.1f} % of the persona "
            "prompts)"
        )


if __name__ == "__main__":
    main()
