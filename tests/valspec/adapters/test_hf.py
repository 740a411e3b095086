"""The hf adapter on tiny real-architecture checkpoints (Qwen2-VL, LLaVA), offline."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import huggingface_hub.constants
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from valspec.adapters import hf_fingerprint
from valspec.adapters.aliases import BUILTIN_ALIASES
from valspec.adapters.base import Adapter, Request, Sampling, describe_adapter
from valspec.adapters.hf import HFAdapter, create, template_messages, yes_no_token_ids
from valspec.adapters.hf_settings import read_settings
from valspec.adapters.registry import ModelSpec, create_adapter, resolve_spec
from valspec.domain.errors import ConfigError
from valspec.domain.messages import AnswerFormat, MediaPart, Message, TextPart
from valspec.testing.tiny_vlm import build_tiny_llava, build_tiny_qwen2_vl

VERDICT_WORDS = {"yes", "no"}


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may reach a hub: offline mode and an empty private hub cache."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("VALSPEC_DIGEST_CACHE", str(tmp_path / "digests.json"))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return {
        "qwen": build_tiny_qwen2_vl(root / "qwen"),
        "llava": build_tiny_llava(root / "llava"),
        "llava-yn": build_tiny_llava(root / "llava-yn", yes_no_head=True),
    }


@pytest.fixture(scope="module")
def adapters(models: dict[str, Path]) -> Iterator[dict[str, HFAdapter]]:
    loaded = {name: create(_spec(path)) for name, path in models.items()}
    yield loaded
    for adapter in loaded.values():
        adapter.close()


def _spec(path: Path, **options: object) -> ModelSpec:
    return ModelSpec(name=f"hf:{path}", adapter="hf", model=str(path), options=options)


def _frames(count: int, shade: int = 0) -> tuple[Image.Image, ...]:
    return tuple(
        Image.new("RGB", (64 + 8 * i, 48), (shade + 40 * i, 120, 200 - 30 * i))
        for i in range(count)
    )


def _request(
    key: str,
    *,
    frames: int = 1,
    text: str = "Do you like this video? Answer yes or no.",
    answer_format: AnswerFormat = AnswerFormat.YES_NO,
    temperature: float = 0.0,
    max_tokens: int = 8,
    persona: str | None = None,
) -> Request:
    messages: list[Message] = []
    if persona:
        messages.append(Message("system", (TextPart(persona),)))
    messages.append(Message("user", (MediaPart(), TextPart(text))))
    return Request(
        key=key,
        item_id=key,
        messages=tuple(messages),
        answer_format=answer_format,
        sampling=Sampling(temperature=temperature, max_tokens=max_tokens, seed=7),
        frames=_frames(frames, shade=len(key) * 10),
    )


def _mixed_requests() -> list[Request]:
    """Different frame counts and prompt lengths, so left padding matters."""
    return [
        _request("one-frame"),
        _request("three-frames", frames=3),
        _request("long", text="Watch closely. " * 25 + "Do you like it?"),
        _request("persona", persona="You value tradition and security above all.", frames=2),
    ]


@pytest.mark.parametrize("name", ["qwen", "llava"])
def test_yes_no_answers_have_p_yes_and_text(adapters: dict[str, HFAdapter], name: str) -> None:
    adapter = adapters[name]
    requests = _mixed_requests()
    responses = adapter.answer(requests)
    assert len(responses) == len(requests)
    for response in responses:
        assert response.error is None
        assert response.p_yes is not None
        assert 0.0 < response.p_yes < 1.0
        assert response.text  # the verdict word, or what the model generated instead
        assert response.usage.prompt_tokens is not None and response.usage.prompt_tokens > 0
    # Different inputs give different probabilities: the frames and text reach the model.
    assert len({round(r.p_yes or 0, 9) for r in responses}) == len(responses)


@pytest.mark.parametrize("name", ["qwen", "llava", "llava-yn"])
def test_batched_and_unbatched_p_yes_agree(adapters: dict[str, HFAdapter], name: str) -> None:
    adapter = adapters[name]
    requests = _mixed_requests()
    batched = adapter.answer(requests)
    for request, together in zip(requests, batched, strict=True):
        (alone,) = adapter.answer([request])
        assert together.p_yes == pytest.approx(alone.p_yes, abs=1e-4)
        assert together.text == alone.text


def test_verdict_word_when_the_model_starts_with_yes_or_no(
    adapters: dict[str, HFAdapter],
) -> None:
    adapter = adapters["llava-yn"]  # its output head can only say yes/no words
    responses = adapter.answer(_mixed_requests())
    for response in responses:
        assert response.text.lower() in VERDICT_WORDS
        assert response.usage.completion_tokens == 1
        assert response.p_yes is not None
        assert (response.text.lower() == "yes") == (response.p_yes > 0.5)


def test_generates_text_when_the_first_token_is_not_a_verdict(
    adapters: dict[str, HFAdapter],
) -> None:
    adapter = adapters["qwen"]  # random weights: the argmax token is almost never yes/no
    vocab_ids = set(adapter.yes_ids) | set(adapter.no_ids)
    (response,) = adapter.answer([_request("refusal", max_tokens=6)])
    inputs = adapter._encode([_request("refusal")])
    with torch.inference_mode():
        first = int(adapter.model(**inputs).logits[0, -1].argmax())
    assert first not in vocab_ids
    assert response.text.lower() not in VERDICT_WORDS
    assert response.usage.completion_tokens is not None
    assert 1 <= response.usage.completion_tokens <= 6
    assert response.p_yes is not None


@pytest.mark.parametrize("answer_format", [AnswerFormat.JSON_DECISION, AnswerFormat.ISQ])
def test_json_and_isq_formats_generate_text(
    adapters: dict[str, HFAdapter], answer_format: AnswerFormat
) -> None:
    adapter = adapters["qwen"]
    requests = [
        _request("greedy-a", answer_format=answer_format, max_tokens=5),
        _request("greedy-b", answer_format=answer_format, max_tokens=9, frames=3),
    ]
    responses = adapter.answer(requests)
    for response, request in zip(responses, requests, strict=True):
        assert response.error is None
        assert response.p_yes is None
        assert response.text
        tokens = response.usage.completion_tokens
        assert tokens is not None and 1 <= tokens <= request.sampling.max_tokens
    # Greedy generation in a batch equals generation alone.
    assert [adapter.answer([r])[0].text for r in requests] == [r.text for r in responses]


def test_sampling_is_seeded(adapters: dict[str, HFAdapter]) -> None:
    adapter = adapters["llava"]
    request = _request("sampled", answer_format=AnswerFormat.ISQ, temperature=1.0, max_tokens=12)
    first = adapter.answer([request])[0].text
    assert adapter.answer([request])[0].text == first
    other_index = Request(
        key="sampled-2",
        item_id="sampled",
        messages=request.messages,
        answer_format=request.answer_format,
        sampling=Sampling(temperature=1.0, max_tokens=12, seed=7, sample_index=1),
        frames=request.frames,
    )
    assert adapter.answer([other_index])[0].text != first


def test_one_bad_request_fails_alone(adapters: dict[str, HFAdapter]) -> None:
    adapter = adapters["llava"]
    good = _request("good")
    no_placeholder = Request(
        key="bad",
        item_id="bad",
        messages=(Message("user", (TextPart("Do you like it?"),)),),
        answer_format=AnswerFormat.YES_NO,
        frames=_frames(1),
    )
    responses = adapter.answer([good, no_placeholder, good])
    assert responses[0].error is None and responses[2].error is None
    assert responses[1].error is not None and "MediaPart" in responses[1].error
    assert responses[1].text == ""


def test_protocol_capabilities_and_description(adapters: dict[str, HFAdapter]) -> None:
    adapter = adapters["qwen"]
    assert isinstance(adapter, Adapter)
    assert adapter.capabilities.p_yes
    assert adapter.capabilities.max_batch == 8
    assert not adapter.capabilities.simulated
    assert describe_adapter(adapter) == (
        "hf Qwen2VLForConditionalGeneration on cpu float32, P(yes) from next-token logits, batch 8"
    )


def test_registry_builds_the_adapter_from_hf_prefix(models: dict[str, Path]) -> None:
    spec = resolve_spec(f"hf:{models['llava']}")
    adapter = create_adapter(spec)
    assert type(adapter).__name__ == "HFAdapter"
    assert adapter.fingerprint()["model"] == str(models["llava"])


def test_options_batch_size_and_longest_side(models: dict[str, Path]) -> None:
    adapter = create(_spec(models["llava"], batch_size=2, longest_side=40))
    assert adapter.capabilities.max_batch == 2
    assert adapter.fingerprint()["longest_side"] == "40"
    _, frames = template_messages(_request("big", frames=3), longest_side=40)
    assert all(max(frame.size) <= 40 for frame in frames)
    assert adapter.answer([_request("x")])[0].p_yes is not None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"batch_size": 0}, "batch_size must be >= 1"),
        ({"batch_size": "8"}, "batch_size must be an integer"),
        ({"dtype": "float8"}, "dtype must be one of"),
        ({"trust_remote_code": "yes"}, "trust_remote_code must be a bool"),
        ({"batchsize": 8}, "unknown hf option.s. batchsize; known: batch_size, "),
    ],
)
def test_bad_options_are_one_line_config_errors(
    models: dict[str, Path], options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create(_spec(models["llava"], **options))


@pytest.mark.parametrize(
    "alias", sorted(n for n, t in BUILTIN_ALIASES.items() if t["adapter"] == "hf")
)
def test_builtin_hf_aliases_have_valid_options(alias: str) -> None:
    settings = read_settings(resolve_spec(alias, BUILTIN_ALIASES))
    assert settings.trust_remote_code is False
    assert settings.batch_size == BUILTIN_ALIASES[alias]["batch_size"]
    assert settings.longest_side == BUILTIN_ALIASES[alias]["longest_side"]


def test_template_messages_one_image_entry_per_frame() -> None:
    request = _request("three", frames=3, persona="A persona.")
    messages, images = template_messages(request)
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert [part["type"] for part in user] == ["image", "image", "image", "text"]
    assert images == list(request.frames)


def test_yes_no_variants_are_single_tokens(adapters: dict[str, HFAdapter]) -> None:
    tokenizer = adapters["qwen"].tokenizer
    yes_ids, no_ids = yes_no_token_ids(tokenizer)
    spelled_yes = {tokenizer.decode([i]) for i in yes_ids}
    spelled_no = {tokenizer.decode([i]) for i in no_ids}
    assert {"Yes", " yes", "YES"} <= spelled_yes
    assert {"No", " no", "NO"} <= spelled_no
    assert not set(yes_ids) & set(no_ids)


# ---------------------------------------------------------------------------- fingerprint


def test_fingerprint_stable_across_loads(models: dict[str, Path]) -> None:
    first = create(_spec(models["qwen"])).fingerprint()
    second = create(_spec(models["qwen"])).fingerprint()
    assert first == second
    assert first["adapter"] == "hf"
    assert first["dtype"] == "float32"
    assert len(first["weights_sha256"]) == 64
    assert len(first["config_sha256"]) == 64
    assert "transformers" in first


def test_fingerprint_changes_when_a_weight_changes(models: dict[str, Path], tmp_path: Path) -> None:
    copy = Path(shutil.copytree(models["llava"], tmp_path / "llava-copy"))
    before = create(_spec(copy)).fingerprint()
    weights = copy / "model.safetensors"
    tensors = load_file(weights)
    name = sorted(tensors)[0]
    tensors[name] = tensors[name].clone()
    tensors[name].view(-1)[0] += 1.0
    save_file(tensors, weights, metadata={"format": "pt"})
    after = create(_spec(copy)).fingerprint()
    assert after["weights_sha256"] != before["weights_sha256"]
    assert after["config_sha256"] == before["config_sha256"]


def test_hub_snapshot_gives_the_revision(models: dict[str, Path], tmp_path: Path) -> None:
    """A hub id resolved from the (offline) cache is identified by its commit, not hashes."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = Path(huggingface_hub.constants.HF_HUB_CACHE) / "models--tiny-org--tiny-llava"
    shutil.copytree(models["llava"], repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    adapter = create(ModelSpec(name="tiny", adapter="hf", model="tiny-org/tiny-llava"))
    fingerprint = adapter.fingerprint()
    assert fingerprint["revision"] == commit
    assert fingerprint["model"] == "tiny-org/tiny-llava"
    assert "weights_sha256" not in fingerprint
    assert adapter.answer([_request("hub")])[0].p_yes is not None


def test_big_file_digest_is_cached_on_path_size_mtime(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\x00" * 1000)
    cache = tmp_path / "digests.json"
    real = hf_fingerprint.file_sha256(weights, cache_path=cache, cache_min_bytes=1)
    assert cache.is_file()
    # The cached digest is returned without re-reading the file ...
    cache.write_text(cache.read_text().replace(real, "cached-digest"))
    assert hf_fingerprint.file_sha256(weights, cache_path=cache, cache_min_bytes=1) == (
        "cached-digest"
    )
    # ... until the file changes (size or mtime).
    weights.write_bytes(b"\x01" * 1001)
    changed = hf_fingerprint.file_sha256(weights, cache_path=cache, cache_min_bytes=1)
    assert changed not in {real, "cached-digest"}
    assert hf_fingerprint.file_sha256(weights, cache_min_bytes=10**9) == changed


# ---------------------------------------------------------------------------- load errors


def test_offline_missing_hub_id_is_one_clear_error() -> None:
    with pytest.raises(ConfigError) as caught:
        create(ModelSpec(name="m", adapter="hf", model="nobody-here/no-such-vlm"))
    message = str(caught.value)
    assert "'nobody-here/no-such-vlm'" in message
    assert "HF_HUB_OFFLINE" in message
    assert "--model=hf:/path/to/folder" in message
    assert "\n" not in message


def test_missing_local_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        create(_spec(tmp_path / "not-there"))
    with pytest.raises(ConfigError, match=r"config\.json is missing"):
        create(_spec(tmp_path))


def test_bare_tokenizer_is_detected(
    models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the image-only processor registered, AutoProcessor returns only a tokenizer."""
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING
    from transformers.models.qwen2_vl import Qwen2VLConfig

    from valspec.adapters import hf_processors

    monkeypatch.setattr(hf_processors, "register", lambda: None)
    monkeypatch.delitem(PROCESSOR_MAPPING._extra_content, Qwen2VLConfig)
    with pytest.raises(ConfigError, match="loaded only a Qwen2Tokenizer") as caught:
        create(_spec(models["qwen"]))
    assert "valspec.adapters.hf_processors" in str(caught.value)


def test_stock_qwen_processor_class_falls_back_to_image_only(
    models: dict[str, Path], tmp_path: Path
) -> None:
    """A real Qwen checkpoint names the stock processor, which needs torchvision for video."""
    copy = Path(shutil.copytree(models["qwen"], tmp_path / "qwen-stock"))
    for name in ("processor_config.json", "tokenizer_config.json"):
        path = copy / name
        path.write_text(path.read_text().replace("Qwen2VLImageOnlyProcessor", "Qwen2VLProcessor"))
    if importlib.util.find_spec("torchvision") is not None:  # pragma: no cover
        pytest.skip("torchvision is installed: the stock processor loads")
    adapter = create(_spec(copy))
    assert type(adapter.processor).__name__ == "Qwen2VLImageOnlyProcessor"
    assert adapter.answer([_request("stock")])[0].p_yes is not None


@pytest.mark.parametrize("name", ["qwen", "llava"])
def test_paper_reason_turn_is_generated_after_the_first_answer(
    adapters: dict[str, HFAdapter], name: str
) -> None:
    from valspec.domain.personas import Persona
    from valspec.domain.prompts import template_for
    from valspec.domain.values import Value

    persona = Persona(id="cook", name="Cook", description="You cook.", raises=(Value.TRADITION,))
    template = template_for("paper")
    assert template.follow_up is not None
    first = template.render(platform="tiktok", persona=persona)
    turns = template.follow_up.render_follow_up(first, "Yes.")
    request = Request(
        key="reason",
        item_id="reason",
        messages=turns,
        answer_format=AnswerFormat.REASON,
        sampling=Sampling(max_tokens=6, seed=7),
        frames=_frames(2),
    )
    messages, images = template_messages(request)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert [c["type"] for c in messages[1]["content"]] == ["image", "image", "text"]
    assert messages[2]["content"] == [{"type": "text", "text": "Yes."}] and len(images) == 2
    (response,) = adapters[name].answer([request])
    assert response.error is None and response.p_yes is None and response.text
    tokens = response.usage.completion_tokens
    assert tokens is not None and 1 <= tokens <= 6
