"""The ``hf`` adapter: a local transformers vision-language model (folder or hub id).

Yes/no questions are answered with batched, left-padded single forward passes: P(yes) is the
next-token probability mass of the yes-variants ("Yes", " yes", "YES", ...) over the mass of
yes- and no-variants. Text is generated only when the format asks for it (JSON decisions,
ISQ ratings) or when the model does not start with yes/no (e.g. a refusal), so the parser
sees what it said. Load with ``--model=hf:/path/to/folder`` or ``--model=hf:<hub id>``.
"""

from __future__ import annotations

import copy
import inspect
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from valspec.adapters.base import Capabilities, Request, Response, Usage
from valspec.adapters.registry import ModelSpec
from valspec.domain.errors import ConfigError
from valspec.domain.messages import AnswerFormat, MediaPart, TextPart

try:
    import torch
    import transformers as _transformers
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ConfigError(
        f"the hf adapter needs torch and transformers ({missing.name} is missing); "
        "install them with: pip install 'valspec[hf]'"
    ) from None

from valspec.adapters import hf_fingerprint, hf_processors
from valspec.adapters.hf_settings import cpu_threads, read_settings

transformers: Any = _transformers  # untyped library: keep mypy strict about our own code

# Response.meta: whether the text is the next-token yes/no word or generated text.
_FROM_LOGITS = MappingProxyType({"text": "next-token"})
_GENERATED = MappingProxyType({"text": "generated"})
_YES_WORDS = ("yes", "Yes", "YES")
_NO_WORDS = ("no", "No", "NO")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _not_found(model: str, error: BaseException) -> ConfigError:
    from huggingface_hub import constants as hub_constants

    offline = bool(hub_constants.HF_HUB_OFFLINE)
    why = (
        "HF_HUB_OFFLINE is set, so only the local Hugging Face cache is used"
        if offline
        else "it could not be downloaded (set HF_HUB_OFFLINE=1 to use only the local cache)"
    )
    return ConfigError(
        f"hf: cannot load model {model!r}: it is not a local folder and not in the Hugging "
        f"Face cache; {why}. Download it first (hf download {model}) or point at "
        f"a local folder: --model=hf:/path/to/folder ({_first_line(error)})"
    )


def _looks_like_path(model: str) -> bool:
    """A folder path rather than a hub id ("org/name" has one slash and no leading dot)."""
    return model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model


class HFAdapter:
    """A transformers image-text-to-text model answering valspec requests."""

    def __init__(self, spec: ModelSpec) -> None:
        self.name = spec.name
        self.spec = spec
        self.settings = settings = read_settings(spec)
        threads = cpu_threads(settings.num_threads) if settings.device == "cpu" else None
        if threads is not None:
            torch.set_num_threads(threads)
        folder = Path(spec.model).expanduser()
        self._local = folder.is_dir()
        if not self._local and _looks_like_path(spec.model):
            raise ConfigError(f"hf: model folder {spec.model} does not exist")
        self._source = str(folder) if self._local else spec.model
        load_kwargs: dict[str, Any] = {"trust_remote_code": settings.trust_remote_code}
        if settings.revision:
            load_kwargs["revision"] = settings.revision
        config_file = self._config_file(load_kwargs)
        self.config = self._load("config", transformers.AutoConfig, load_kwargs)
        self.processor = self._load_processor(load_kwargs)
        model_kwargs = dict(load_kwargs, dtype=settings.dtype, use_safetensors=True)
        if settings.device != "cpu":
            model_kwargs["device_map"] = settings.device
        self.model = self._load("model", transformers.AutoModelForImageTextToText, model_kwargs)
        self.model.eval()
        # Only the last position's logits are needed; older models lack the argument.
        forward_params = inspect.signature(self.model.forward).parameters
        self._last_logits_only = {"logits_to_keep": 1} if "logits_to_keep" in forward_params else {}
        self.tokenizer = self.processor.tokenizer
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:  # left padding needs one; eos is the usual stand-in
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._pad_id = self.tokenizer.pad_token_id
        self.yes_ids, self.no_ids = yes_no_token_ids(self.tokenizer)
        if not self.yes_ids or not self.no_ids:
            raise ConfigError(f"hf: the tokenizer of {spec.model!r} has no one-token yes/no word")
        self.capabilities = Capabilities(p_yes=True, max_batch=settings.batch_size)
        self._fingerprint = self._make_fingerprint(config_file)

    # ------------------------------------------------------------------ loading

    def _config_file(self, load_kwargs: Mapping[str, Any]) -> Path:
        """config.json on disk (downloading it if allowed): proves the model is reachable."""
        if self._local:
            path = Path(self._source) / "config.json"
            if not path.is_file():
                raise ConfigError(f"hf: {path} is missing: not a transformers checkpoint folder")
            return path
        kwargs = {"revision": load_kwargs["revision"]} if "revision" in load_kwargs else {}
        try:
            resolved = transformers.utils.cached_file(self._source, "config.json", **kwargs)
        except Exception as error:  # hub / network / validation errors all mean "not found"
            raise _not_found(self._source, error) from None
        if resolved is None:
            raise _not_found(self._source, FileNotFoundError("config.json"))
        return Path(resolved)

    def _load(self, what: str, loader: Any, kwargs: Mapping[str, Any]) -> Any:
        try:
            return loader.from_pretrained(self._source, **kwargs)
        except OSError as error:
            raise ConfigError(
                f"hf: cannot load the {what} of {self.spec.model!r}: {_first_line(error)}"
            ) from None
        except (ValueError, KeyError, ImportError, RuntimeError) as error:
            raise ConfigError(
                f"hf: cannot load the {what} of {self.spec.model!r} "
                f"({type(error).__name__}): {_first_line(error)}"
            ) from None

    def _load_processor(self, load_kwargs: Mapping[str, Any]) -> Any:
        """AutoProcessor, or valspec's image-only Qwen processor when the stock one needs video."""
        hf_processors.register()
        try:
            processor = transformers.AutoProcessor.from_pretrained(self._source, **load_kwargs)
        except (OSError, ValueError, ImportError) as error:
            image_only = hf_processors.IMAGE_ONLY_PROCESSORS.get(self.config.model_type)
            if image_only is None:
                raise ConfigError(
                    f"hf: cannot load the processor of {self.spec.model!r}: {_first_line(error)}"
                ) from None
            processor = self._load("processor", image_only, load_kwargs)
        if getattr(processor, "image_processor", None) is None:
            raise ConfigError(
                f"hf: AutoProcessor loaded only a {type(processor).__name__} for "
                f"{self.spec.model!r}, no image processor: the folder's processor class is not "
                "registered (import valspec.adapters.hf_processors first) or the folder lacks "
                "processor_config.json / preprocessor_config.json"
            )
        if getattr(processor, "chat_template", None) is None:
            raise ConfigError(f"hf: {self.spec.model!r} has no chat template")
        return processor

    def _make_fingerprint(self, config_file: Path) -> dict[str, str]:
        folder = config_file.parent
        print_dtype = str(self.settings.dtype).removeprefix("torch.")
        fingerprint = {"adapter": "hf", "model": self.spec.model}
        revision = hf_fingerprint.hub_snapshot_revision(folder)
        if revision is not None:
            fingerprint["revision"] = revision
        else:
            fingerprint.update(hf_fingerprint.local_folder_digests(folder))
        fingerprint["dtype"] = print_dtype
        fingerprint["transformers"] = transformers.__version__
        template = str(self.processor.chat_template)
        fingerprint["chat_template_sha256"] = hf_fingerprint.combined_sha256([("t", template)])
        if self.settings.longest_side is not None:
            fingerprint["longest_side"] = str(self.settings.longest_side)
        return fingerprint

    # ------------------------------------------------------------------ protocol

    def fingerprint(self) -> Mapping[str, str]:
        """What produced the answers: model, revision or hashes, dtype, transformers version."""
        return dict(self._fingerprint)

    def describe(self) -> str:
        """One line for the run header."""
        dtype = str(self.settings.dtype).removeprefix("torch.")
        return (
            f"hf {type(self.model).__name__} on {self.settings.device} {dtype}, "
            f"P(yes) from next-token logits, batch {self.settings.batch_size}"
        )

    def close(self) -> None:
        """Drop the weights (and the CUDA cache) so the memory can be reused."""
        self.model = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def answer(self, requests: Sequence[Request]) -> list[Response]:
        """Answer a batch: yes/no by one forward pass, the other formats by generation."""
        results: list[Response | None] = [None] * len(requests)
        yes_no = [i for i, r in enumerate(requests) if r.answer_format == AnswerFormat.YES_NO]
        other = [i for i, r in enumerate(requests) if r.answer_format != AnswerFormat.YES_NO]
        for index, response in self._isolated(self._answer_yes_no, requests, yes_no):
            results[index] = response
        for index, response in self._isolated(self._generate, requests, other):
            results[index] = response
        return [r if r is not None else Response.failed("hf: no answer") for r in results]

    def _isolated(
        self, run: Any, requests: Sequence[Request], indexes: list[int]
    ) -> list[tuple[int, Response]]:
        """Run a batch; if it fails, run its requests one by one so one bad query fails alone."""
        if not indexes:
            return []
        try:
            with torch.inference_mode():
                return list(zip(indexes, run([requests[i] for i in indexes]), strict=True))
        except Exception as error:
            if len(indexes) == 1:
                return [(indexes[0], Response.failed(f"hf: {type(error).__name__}: {error}"))]
        # The batch failed: retry one by one so only the bad request fails.
        return [pair for i in indexes for pair in self._isolated(run, requests, [i])]

    # ------------------------------------------------------------------ inference

    def _encode(self, requests: Sequence[Request]) -> Any:
        """Chat template, frames and left padding -> model inputs on the model's device."""
        texts, images = [], []
        for request in requests:
            messages, frames = template_messages(request, self.settings.longest_side)
            texts.append(
                self.processor.apply_chat_template(
                    messages, add_generation_prompt=True, tokenize=False
                )
            )
            images.extend(frames)
        inputs = self.processor(
            text=texts, images=images or None, padding=True, return_tensors="pt"
        )
        inputs = inputs.to(self.model.device)
        for key, value in inputs.items():
            if torch.is_floating_point(value):
                inputs[key] = value.to(self.model.dtype)
        return inputs

    def _answer_yes_no(self, requests: Sequence[Request]) -> list[Response]:
        start = time.perf_counter()
        inputs = self._encode(requests)
        logits = self.model(**inputs, **self._last_logits_only).logits[:, -1, :].float()
        log_probs = torch.log_softmax(logits, dim=-1)
        yes = torch.logsumexp(log_probs[:, self.yes_ids], dim=-1)
        no = torch.logsumexp(log_probs[:, self.no_ids], dim=-1)
        p_yes = torch.sigmoid(yes - no).tolist()
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        elapsed = (time.perf_counter() - start) / len(requests)
        responses: list[Response] = []
        refusals: list[int] = []
        for row, request in enumerate(requests):
            token = self._first_token(logits[row], request)
            if token in self.yes_ids or token in self.no_ids:
                word = self.tokenizer.decode([token]).strip()
                usage = Usage(prompt_tokens=int(prompt_tokens[row]), completion_tokens=1)
                responses.append(
                    Response(
                        word, p_yes=p_yes[row], latency_s=elapsed, usage=usage, meta=_FROM_LOGITS
                    )
                )
            else:
                refusals.append(row)
                responses.append(Response(""))
        if refusals:
            generated = self._generate([requests[row] for row in refusals])
            for row, response in zip(refusals, generated, strict=True):
                responses[row] = Response(
                    response.text,
                    p_yes=p_yes[row],
                    latency_s=elapsed + response.latency_s,
                    usage=response.usage,
                    meta=_GENERATED,
                )
        return responses

    def _first_token(self, logits: torch.Tensor, request: Request) -> int:
        """Greedy at temperature 0, else sampled with the request's seed and sample index."""
        sampling = request.sampling
        if sampling.temperature <= 0:
            return int(torch.argmax(logits).item())
        generator = torch.Generator(device=logits.device)
        generator.manual_seed(_seed(request))
        probs = torch.softmax(logits / sampling.temperature, dim=-1)
        return int(torch.multinomial(probs, 1, generator=generator).item())

    def _generate(self, requests: Sequence[Request]) -> list[Response]:
        """Free text: greedy requests in one left-padded batch, sampled ones one by one."""
        greedy = [i for i, r in enumerate(requests) if r.sampling.temperature <= 0]
        groups = [greedy] if greedy else []
        groups += [[i] for i, r in enumerate(requests) if r.sampling.temperature > 0]
        out: dict[int, Response] = {}
        for group in groups:
            generated = self._generate_group([requests[i] for i in group])
            out.update(zip(group, generated, strict=True))
        return [out[i] for i in range(len(requests))]

    def _generation_config(self, request: Request, max_new_tokens: int) -> Any:
        """The model's generation config with valspec's decoding: greedy or pure temperature."""
        config = copy.deepcopy(self.model.generation_config)
        config.max_new_tokens = max_new_tokens
        config.max_length = None
        config.pad_token_id = self._pad_id
        config.do_sample = request.sampling.temperature > 0
        # Sampling is plain temperature sampling (no top-k/top-p from the checkpoint), so that
        # it means the same as for the HTTP adapters; greedy ignores these.
        config.temperature = request.sampling.temperature if config.do_sample else 1.0
        config.top_k = 0 if config.do_sample else 50
        config.top_p = 1.0
        return config

    def _generate_group(self, requests: Sequence[Request]) -> list[Response]:
        start = time.perf_counter()
        inputs = self._encode(requests)
        max_new = max(r.sampling.max_tokens for r in requests)
        config = self._generation_config(requests[0], max_new)
        if config.do_sample:
            torch.manual_seed(_seed(requests[0]))
        output = self.model.generate(**inputs, generation_config=config)
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        elapsed = (time.perf_counter() - start) / len(requests)
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        responses = []
        for row, request in enumerate(requests):
            tokens = new_tokens[row, : request.sampling.max_tokens]
            count = int((tokens != self._pad_id).sum().item())
            text = self.tokenizer.decode(tokens, skip_special_tokens=True).strip()
            usage = Usage(prompt_tokens=int(prompt_tokens[row]), completion_tokens=count)
            responses.append(Response(text, latency_s=elapsed, usage=usage, meta=_GENERATED))
        return responses


def _seed(request: Request) -> int:
    return (request.sampling.seed * 1_000_003 + request.sampling.sample_index) % (2**63)


def yes_no_token_ids(tokenizer: Any) -> tuple[list[int], list[int]]:
    """Ids of every one-token spelling of yes and of no ("Yes", " yes", "YES", ...)."""

    def variants(words: Sequence[str]) -> list[int]:
        ids: set[int] = set()
        for word in words:
            for text in (word, f" {word}"):
                encoded = tokenizer.encode(text, add_special_tokens=False)
                if len(encoded) == 1 and tokenizer.decode(encoded).strip() == word:
                    ids.add(int(encoded[0]))
        return sorted(ids)

    return variants(_YES_WORDS), variants(_NO_WORDS)


def template_messages(
    request: Request, longest_side: int | None = None
) -> tuple[list[dict[str, Any]], list[Any]]:
    """valspec messages -> chat-template messages, plus the frames in placeholder order.

    Each MediaPart becomes one ``{"type": "image"}`` entry per frame; frames are shrunk to
    ``longest_side`` pixels when set. A request with frames but no MediaPart is an error.
    """
    frames = [_shrink(frame, longest_side) for frame in request.frames]
    messages: list[dict[str, Any]] = []
    images: list[Any] = []
    for message in request.messages:
        content: list[dict[str, Any]] = []
        for part in message.content:
            if isinstance(part, TextPart):
                content.append({"type": "text", "text": part.text})
            elif isinstance(part, MediaPart):
                content.extend({"type": "image"} for _ in frames)
                images.extend(frames)
        messages.append({"role": message.role, "content": content})
    if frames and not images:
        raise ValueError("request has frames but no MediaPart saying where they go")
    return messages, images


def _shrink(frame: Any, longest_side: int | None) -> Any:
    if longest_side is None or max(frame.size) <= longest_side:
        return frame
    frame = frame.copy()
    frame.thumbnail((longest_side, longest_side))
    return frame


def create(spec: ModelSpec) -> HFAdapter:
    """Factory registered as ``hf``: load ``spec.model`` (a folder or a hub id)."""
    return HFAdapter(spec)
