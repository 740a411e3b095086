"""Export -> a stand-in engine -> import -> offline scoring, planned the way pytest plans.

The stand-in (valspec.testing.batch_server.run_batch_file) reads request files and writes
output files in the OpenAI Batch API format, as ``vllm run-batch`` does; media given as paths
are read from disk, so a wrong path is a failed line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from valspec.domain.config import load_settings
from valspec.domain.errors import ConfigError, DataError
from valspec.engine.batch_export import import_files
from valspec.engine.batch_files import Limits
from valspec.session.batch_run import export_run, line_readers
from valspec.session.options import RunOptions
from valspec.session.run import Run
from valspec.testing.batch_server import run_batch_file, stand_in_p_yes

REPO = Path(__file__).resolve().parents[3]
SELECTION = {"limit": 1, "personas": ("adventurous-spirit",), "strategies": ("simple",)}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.valspec]\ndataset = "{REPO / "fixtures" / "videos"}"\n'
        f'personas = "{REPO / "fixtures" / "personas"}"\n'
        '[tool.valspec.models.gpu]\nadapter = "openai"\nmodel = "Qwen/Qwen2.5-VL-7B-Instruct"\n'
        'base_url = "http://127.0.0.1:8000/v1"\n'
    )
    return tmp_path


def run_for(root: Path, **options: object) -> Run:
    return Run(load_settings(root), RunOptions(model="gpu", **{**SELECTION, **options}))  # type: ignore[arg-type]


def engine_pass(requests: list[Path], out: Path, fail: tuple[str, ...] = ()) -> list[Path]:
    outputs = []
    for path in requests:
        target = out / f"out-{path.name}"
        run_batch_file(path, target, fail_tags=fail)
        outputs.append(target)
    return outputs


@pytest.mark.parametrize("media", ["inline", "paths"])
def test_export_engine_import_then_offline_scoring_finds_every_answer(
    root: Path, media: str
) -> None:
    run = run_for(root)
    try:
        done = export_run(
            run, root / "exp", limits=Limits(max_requests=8), media_paths=media == "paths"
        )
        planned = run.missing_queries([*run.value_cases(), *run.persona_cases()])
    finally:
        run.close()
    assert done.requests == len(planned) == 20  # 10 items neutral + as the persona
    assert [len(p.read_bytes().splitlines()) for p in done.files] == [8, 8, 4]
    first = json.loads(done.files[0].read_bytes().splitlines()[0])
    url = first["body"]["messages"][1]["content"][0]["image_url"]["url"]
    assert url.startswith("file://" if media == "paths" else "data:image/jpeg;base64,")
    manifest = json.loads((root / "exp" / "manifest.json").read_text())
    assert manifest["model"] == "gpu" and len(manifest["files"]) == 3

    outputs = engine_pass(list(done.files), root)
    cache = run_for(root).store
    imported = import_files(cache, outputs, line_readers(load_settings(root)))
    cache.close()  # type: ignore[attr-defined]
    assert (imported.stored, imported.kept, imported.problems) == (20, 0, [])

    offline = run_for(root, offline=True)
    try:
        cases = [*offline.value_cases(), *offline.persona_cases()]
        offline.prepare(cases)  # raises if any query has no stored answer
        records = offline.records_for(cases)
    finally:
        offline.close()
    by_key = {r.key: r for r in records}
    assert set(by_key) == {q.key for q in planned}
    yes_no = [q for q in planned if by_key[q.key].response.p_yes is not None]
    assert yes_no  # P(yes) read from the returned logprobs where the question is yes/no
    for query in yes_no:
        assert by_key[query.key].response.p_yes == pytest.approx(stand_in_p_yes(query.key))


def test_import_reports_strangers_duplicates_and_bad_lines_and_keeps_stored_answers(
    root: Path,
) -> None:
    run = run_for(root)
    try:
        done = export_run(run, root / "exp", limits=Limits(), media_paths=False)
    finally:
        run.close()
    (output,) = engine_pass(list(done.files), root)
    lines = output.read_bytes().splitlines()
    stranger = json.loads(lines[0])
    stranger["custom_id"] = "f" * 64
    bad = root / "bad.jsonl"
    bad.write_bytes(b"\n".join([lines[0], json.dumps(stranger).encode(), b"{oops", lines[0]]))
    store = run_for(root).store
    readers = line_readers(load_settings(root))
    first = import_files(store, [bad], readers)
    assert first.stored == 1
    assert first.problems == [
        f"{bad}:2: custom_id ffffffffffffffff... was never asked (no export or batch in this "
        "cache lists it)",
        f"{bad}:3: not JSON (Expecting property name enclosed in double quotes)",
        f"{bad}:4: custom_id {json.loads(lines[0])['custom_id'][:16]}... is a duplicate",
    ]
    again = import_files(store, [output], readers)
    assert (again.stored, again.kept) == (len(lines) - 1, 1)  # the stored answer stays
    store.close()  # type: ignore[attr-defined]


def test_failed_lines_are_not_stored_so_the_next_export_asks_them_again(root: Path) -> None:
    run = run_for(root)
    try:
        done = export_run(run, root / "exp", limits=Limits(), media_paths=False)
    finally:
        run.close()
    first_key = json.loads(done.files[0].read_bytes().splitlines()[0])["custom_id"]
    outputs = engine_pass(list(done.files), root, fail=(first_key,))
    store = run_for(root).store
    imported = import_files(store, outputs, line_readers(load_settings(root)))
    store.close()  # type: ignore[attr-defined]
    assert (imported.stored, imported.failed) == (19, 1)
    again = run_for(root)
    try:
        redo = export_run(again, root / "exp2", limits=Limits(), media_paths=False)
    finally:
        again.close()
    assert redo.requests == 1
    assert json.loads(redo.files[0].read_bytes())["custom_id"] == first_key


def test_exports_refuse_a_used_folder_and_models_that_cannot_batch(root: Path) -> None:
    run = run_for(root)
    try:
        export_run(run, root / "exp", limits=Limits(), media_paths=False)
        with pytest.raises(DataError, match="already holds an export"):
            export_run(run, root / "exp", limits=Limits(), media_paths=False)
    finally:
        run.close()
    sim = Run(load_settings(root), RunOptions(model="sim", cache=root / "c.sqlite", **SELECTION))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="cannot run as batches"):
        export_run(sim, root / "exp3", limits=Limits(), media_paths=False)
    sim.close()
