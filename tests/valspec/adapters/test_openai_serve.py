"""The openai adapter end to end against a real server: ``transformers serve`` on a tiny LLaVA.

The server starts once for the module (about 20 s), offline, from a model folder built by
valspec.testing.tiny_vlm. The model is random, so the tests check the protocol (answers
arrive, no errors, the run header says how P(yes) is obtained), not what the model says.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("fastapi", reason="transformers serve needs transformers[serving]")
pytest.importorskip("uvicorn", reason="transformers serve needs transformers[serving]")
tiny_vlm = pytest.importorskip("valspec.testing.tiny_vlm", reason="needs torch + transformers")

from valspec.adapters.base import Request, Sampling  # noqa: E402
from valspec.adapters.openai_api import OpenAIAdapter, create  # noqa: E402
from valspec.adapters.registry import ModelSpec  # noqa: E402
from valspec.domain.messages import AnswerFormat, MediaPart, Message, TextPart  # noqa: E402

START_TIMEOUT_S = 120
SERVER_LIFETIME_S = 300  # the server is killed after this long even if the test run dies


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base_url, model id) of ``transformers serve`` running a tiny LLaVA; stopped after."""
    folder = tmp_path_factory.mktemp("served")
    model_dir = tiny_vlm.build_tiny_llava(folder / "tiny-llava", yes_no_head=True)
    port = _free_port()
    command = [sys.executable, "-c", "from transformers.cli.transformers import main; main()"]
    command += ["serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--device", "cpu"]
    if shutil.which("timeout"):
        command = ["timeout", str(SERVER_LIFETIME_S), *command]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env["OMP_NUM_THREADS"] = "1"  # tiny matmuls are far slower with spinning threads
    log_path = folder / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(f"http://127.0.0.1:{port}/health"):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"transformers serve did not come up:\n{tail}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1", str(model_dir)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


@pytest.fixture
def adapter(served: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIAdapter]:
    base_url, model = served
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    made = create(
        ModelSpec(
            name=f"openai:{model}",
            adapter="openai",
            model=model,
            options={"timeout": 60.0, "max_attempts": 2},
        )
    )
    try:
        yield made
    finally:
        made.close()


def ask(
    tag: str, colour: tuple[int, int, int], frames: int = 1, fmt: AnswerFormat = AnswerFormat.YES_NO
) -> Request:
    question = (
        "Do you like this video? Answer yes or no."
        if fmt is AnswerFormat.YES_NO
        else ('Reply with JSON: {"decision": "yes" or "no", "reason": "..."}')
    )
    image = Image.new("RGB", (96, 64), colour)
    return Request(
        key=tag,
        item_id=tag,
        messages=(
            Message("system", (TextPart("You are looking at screenshots from a short video."),)),
            Message("user", (MediaPart(), TextPart(question))),
        ),
        answer_format=fmt,
        sampling=Sampling(max_tokens=6),
        frames=(image,) * frames,
    )


def test_image_questions_get_answers_from_the_served_model(adapter: OpenAIAdapter) -> None:
    requests = [
        ask("red", (220, 30, 30)),
        ask("clip", (30, 200, 60), frames=2),
        ask("blue", (20, 40, 230)),
    ]
    responses = adapter.answer(requests)
    assert [r.error for r in responses] == [None, None, None]
    assert all(r.text.strip() for r in responses)
    assert all(r.meta["model"] for r in responses)
    if all(r.p_yes is None for r in responses):
        assert adapter.describe().endswith("sampled answers: endpoint gives no logprobs")
        assert not adapter.capabilities.p_yes
    else:
        assert adapter.describe().endswith("P(yes) from logprobs")
        assert all(r.p_yes is not None and 0 <= r.p_yes <= 1 for r in responses)
    assert adapter.stats.failed == 0


def test_json_questions_are_answered_without_logprobs(adapter: OpenAIAdapter) -> None:
    (response,) = adapter.answer([ask("json", (120, 120, 0), fmt=AnswerFormat.JSON_DECISION)])
    assert response.error is None and response.text.strip() and response.p_yes is None


REPO = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(
    not (REPO / "tests" / "values").is_dir() or not (REPO / "fixtures" / "videos").is_dir(),
    reason="the value suite or its video fixtures are not in this checkout",
)
def test_the_value_suite_runs_through_the_served_model(served: tuple[str, str]) -> None:
    """``pytest tests/values --model=openai:<model>`` with OPENAI_BASE_URL at the server.

    The tiny model's answers are random, so the suite's own tests fail (no baseline, answers
    unparsable); what must hold is that every query was answered without a transport error
    and that the run header says how P(yes) was obtained.
    """
    base_url, model = served
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OPENAI_"))}
    env["OPENAI_BASE_URL"] = base_url
    command = [sys.executable, "-m", "pytest", "tests/values", f"--model=openai:{model}"]
    command += ["--valspec-limit=1", "-k", "hedonism or power", "-p", "no:randomly"]
    command += ["-p", "no:cacheprovider", "-q"]
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    out = done.stdout + done.stderr
    assert done.returncode in (0, 1), out[-3000:]
    assert "INTERNALERROR" not in out and "Traceback" not in out, out[-3000:]
    assert f"openai {model} at 127.0.0.1:" in out, out[-3000:]
    assert "sampled answers: endpoint gives no logprobs" in out or "P(yes) from logprobs" in out
    for value in ("hedonism", "power"):  # summary row: "... <unparsable>%  0%  ..." (errors)
        assert re.search(rf"^{value}\s.*%\s+0%\s", out, re.MULTILINE), out[-3000:]
