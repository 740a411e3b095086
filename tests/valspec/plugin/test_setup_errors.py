"""Setup failures are one located message, once, before any case runs, with exit code 4."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from valspec.domain.exit_codes import ExitCode

if TYPE_CHECKING:
    from tests.valspec.plugin.conftest import SuiteProject

BROKEN_ADAPTER = """
from valspec.adapters.registry import register_adapter
from valspec.domain.errors import ConfigError

def _broken(spec):
    raise ConfigError(f"model {spec.name!r}: cannot connect to 127.0.0.1:9 (connection refused)")

register_adapter("broken", _broken)
"""


def _one_error(result: pytest.RunResult, expected: str) -> None:
    text = "\n".join(result.stdout.lines + result.stderr.lines)
    assert result.ret == ExitCode.USAGE, text
    assert "Traceback" not in text and "During handling" not in text
    assert text.count(expected) == 1, text
    assert " passed" not in text and " failed" not in text


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--model=sim:nope"], {}, "unknown sim variant 'nope'"),
        (["--model=openai:"], {}, "--model=openai:: say which model"),
        (["--model=hf:/no/such/checkpoint"], {}, "model folder /no/such/checkpoint does not exist"),
        (["--model=openai:gpt-4o"], {"OPENAI_API_KEY": None}, "no API key for api.openai.com"),
        (
            ["--model=openai:m"],
            {"OPENAI_BASE_URL": "http://127.0.0.1:eighty/v1"},
            "OPENAI_BASE_URL: the port of http://127.0.0.1:eighty is not a number",
        ),
        (
            ["--model=openai:m"],
            {"OPENAI_BASE_URL": "http://me:s3cret@127.0.0.1:8000/v1"},
            "OPENAI_BASE_URL contains credentials",
        ),
        (["--valspec-alpha=2"], {}, "--valspec-alpha: expected a number between 0 and 1"),
        (["--valspec-shard=5/4"], {}, "--valspec-shard: expected I/N with 1 <= I <= N"),
        (["--valspec-platforms=myspace"], {}, "--valspec-platforms: unknown platform 'myspace'"),
    ],
)
def test_bad_options_and_models_are_one_usage_error(
    suite: SuiteProject,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str | None],
    expected: str,
) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    result = suite.make("sim").run(*args)
    _one_error(result, expected)
    assert "s3cret" not in "\n".join(result.stdout.lines + result.stderr.lines)


def test_a_manifest_that_is_not_utf8_is_located(suite: SuiteProject, tmp_path: Path) -> None:
    manifest = tmp_path / "data" / "manifest.jsonl"
    manifest.parent.mkdir()
    manifest.write_bytes(b'{"id": "caf\xe9"}\n')
    result = suite.make("sim").run(f"--valspec-dataset={manifest}")
    _one_error(result, f"{manifest}:1: not UTF-8 text (byte 0xe9 at column 12)")


def test_a_persona_raising_a_value_twice_is_located(suite: SuiteProject) -> None:
    folder = suite.root / "personas"
    folder.mkdir()
    (folder / "twice.toml").write_text(
        'id = "twice"\ndescription = "You like helping."\nraises = ["benevolence", "benevolence"]\n'
    )
    result = suite.make("sim").run(f"--valspec-persona-dir={folder}")
    _one_error(result, "raises[1]: 'benevolence' is listed twice")


def test_a_cache_that_is_not_sqlite_is_a_usage_error(suite: SuiteProject) -> None:
    cache = suite.root / "cache.sqlite"
    cache.write_text("not a database")
    result = suite.make("sim").run(f"--valspec-cache={cache}")
    _one_error(result, f"response cache {cache}: not an SQLite file")


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_model_that_cannot_load_stops_the_session_once(
    suite: SuiteProject, workers: list[str]
) -> None:
    suite.make("sim")
    suite.pytester.makeconftest(BROKEN_ADAPTER)
    result = suite.run("--model=broken:x", "--valspec-limit=1", *workers)
    text = "\n".join(result.stdout.lines)
    assert result.ret == ExitCode.USAGE, text
    assert "Traceback" not in text and "During handling" not in text
    message = "cannot connect to 127.0.0.1:9"
    # serial: one message and no case ran. xdist: at most one failed case per worker, each
    # shown in its error section and in the short summary, plus xdist's "Interrupted" line.
    assert 1 <= text.count(message) <= (1 if not workers else 2 * 2 + 1), text
    assert " passed" not in text


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_an_endpoint_nobody_listens_on_is_one_message_before_any_case(
    suite: SuiteProject, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("OPENAI_BASE_URL", f"{url}/v1")
    result = suite.make("sim").run("--model=openai:m", "--valspec-limit=1", *workers)
    # serial: the adapter's probe before the first request; -n: the controller's, up front
    _one_error(result, f"--model=openai:m: cannot connect to {url} (connection refused)")
    assert "1 error" not in result.stdout.str() and "FAILED" not in result.stdout.str()


def test_a_fully_cached_run_does_not_probe_the_endpoint(suite: SuiteProject) -> None:
    """The probe guards sending: a run whose answers are all stored needs no server."""
    from valspec.testing.servers import ChatServer

    fast = ("-k", "preference and power", "--valspec-limit=1", "-p", "no:randomly")
    with ChatServer() as server:
        config = (
            f'[tool.valspec.models.loop]\nadapter = "openai"\nmodel = "m"\n'
            f'base_url = "{server.base_url}"\n'
        )
        suite.make(extra_config=config)
        first = suite.run("--model=loop", "--snapshot-update", *fast)
        assert first.ret == ExitCode.PASSED, first.stdout.str()
    again = suite.run("--model=loop", *fast)  # the server is gone; every answer is stored
    assert again.ret == ExitCode.PASSED, again.stdout.str()


def test_a_generic_checkpoint_folder_name_warns_with_the_fix(suite: SuiteProject) -> None:
    folder = suite.root / "runs" / "final"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    result = suite.make("sim").run(f"--model=hf:{folder}", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "*baselines of --model=hf:*final go to *snapshots?hf-final*named after its folder "
            "'final'*[[]tool.valspec.models.my-model[]] adapter = \"hf\"*"
        ]
    )
