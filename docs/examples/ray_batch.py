"""Answer `valspec batch export` files with Ray Data's vLLM processor; write import-ready lines.

FORMAT-COMPATIBLE, NOT RUN HERE: valspec's machine has no GPU and no Ray. The input is
valspec's export (OpenAI Batch API JSONL: ``custom_id`` = the query key, ``body`` = the chat
request), the output is the Batch API output format that ``valspec batch import`` reads.
Written against ``ray[data,llm]`` 2.4x (``ray.data.llm.build_llm_processor``; newer releases
call it ``build_processor``); see https://docs.ray.io/en/latest/data/working-with-llms.html.

Ray's processor returns the generated text, not logprobs, so these answers are scored in
text mode (the verdict parsed from the text; P(yes) empty). For P(yes) from logprobs use
``vllm run-batch``, which returns the chat completion's ``logprobs`` as the Batch API does.

Export with ``--media inline`` (frames travel in the file) unless every Ray worker can read
the export folder's ``media/`` at the same path.

    valspec batch export exp --model qwen-vllm   # an `openai` alias (docs/engine.md)
    python docs/examples/ray_batch.py exp/requests-*.jsonl --out answers/ \
        --model Qwen/Qwen2.5-VL-7B-Instruct --replicas 4
    valspec batch import answers/*.json
    pytest tests/values --model=qwen-vllm --valspec-offline
"""

from __future__ import annotations

import argparse
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", help="request files from valspec batch export")
    parser.add_argument("--out", required=True, help="folder for the output JSON lines")
    parser.add_argument("--model", required=True, help="weights for vLLM (HF id or path)")
    parser.add_argument("--replicas", type=int, default=1, help="vLLM engines (one per GPU)")
    args = parser.parse_args()

    import ray
    from ray.data.llm import build_llm_processor, vLLMEngineProcessorConfig

    config = vLLMEngineProcessorConfig(
        model_source=args.model,
        engine_kwargs={"max_model_len": 8192, "limit_mm_per_prompt": {"image": 8}},
        concurrency=args.replicas,
        batch_size=32,
        has_image=True,
    )

    def preprocess(row: dict[str, Any]) -> dict[str, Any]:
        body = row["body"]
        return {
            "custom_id": row["custom_id"],
            "messages": body["messages"],
            "sampling_params": {
                "temperature": body.get("temperature", 0.0),
                "max_tokens": body.get("max_tokens", 256),
                "seed": body.get("seed"),
            },
        }

    def postprocess(row: dict[str, Any]) -> dict[str, Any]:
        completion = {
            "object": "chat.completion",
            "model": args.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": row["generated_text"]},
                    "finish_reason": "stop",
                }
            ],
        }
        return {
            "id": f"ray-{row['custom_id'][:12]}",
            "custom_id": row["custom_id"],
            "response": {"status_code": 200, "request_id": "", "body": completion},
            "error": None,
        }

    processor = build_llm_processor(config, preprocess=preprocess, postprocess=postprocess)
    ray.init()
    processor(ray.data.read_json(args.inputs)).write_json(args.out)


if __name__ == "__main__":
    main()
