"""Batch files on the path users take: export, a stand-in engine, import; and provider batches.

On the bundled fixture videos (real media: every item's frames decoded and JPEG-encoded), for
the `openai` adapter, with every persona and strategy selected (11 conditions x 100 items):

* ``export inline`` / ``export paths``: ``valspec batch export`` through the run's planning
  and the engine's request path, frames as data URLs or as files under ``DIR/media/``;
* ``stand-in engine``: valspec.testing.batch_server.run_batch_file over the inline files (a
  stand-in for ``vllm run-batch``; not valspec's cost, shown for scale);
* ``import``: ``valspec batch import`` of the output files into the cache;
* ``offline prepare``: the run that scores after the import reads every answer;
* ``provider submit`` / ``provider collect``: ``--valspec-batch`` against the loopback fake
  of /v1/files and /v1/batches through the official client (render, write, upload, create;
  then poll until done, download, check and store).

Run:  python bench/batch_files.py [--limit 10] [--strategies simple,layered]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from valspec.domain.config import load_settings
from valspec.domain.prompts import STRATEGIES
from valspec.engine.batch import ProviderBatches
from valspec.engine.batch_export import import_files
from valspec.engine.batch_files import Limits
from valspec.session.batch_run import export_run, line_readers
from valspec.session.options import RunOptions
from valspec.session.run import Run
from valspec.testing.batch_server import BatchServer, run_batch_file

REPO = Path(__file__).resolve().parents[1]


def project(root: Path, base_url: str) -> None:
    (root / "pyproject.toml").write_text(
        f'[tool.valspec]\ndataset = "{REPO / "fixtures" / "videos"}"\n'
        f'personas = "{REPO / "fixtures" / "personas"}"\n'
        f'[tool.valspec.models.gpu]\nadapter = "openai"\nmodel = "vlm"\nbase_url = "{base_url}"\n'
        "max_attempts = 1\n"
    )


def peak_mb() -> float:
    """This process's peak resident memory so far (the fake server's files included)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="items per value (default all)")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    args = parser.parse_args(argv)
    strategies = tuple(args.strategies.split(","))
    rows: list[tuple[str, float, str, float]] = []
    with BatchServer(max_lifetime_s=3600) as server, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project(root, server.base_url)
        settings = load_settings(root)

        def run(cache: str, **extra: object) -> Run:
            options = RunOptions(
                model="gpu",
                limit=args.limit,
                strategies=strategies,
                cache=root / cache,
                **extra,  # type: ignore[arg-type]
            )
            return Run(settings, options)

        outputs: list[Path] = []
        for media in ("inline", "paths"):
            exporting = run(f"{media}.sqlite")
            start = time.perf_counter()
            done = export_run(
                exporting, root / media, limits=Limits(), media_paths=media == "paths"
            )
            seconds = time.perf_counter() - start
            exporting.close()
            size = sum(p.stat().st_size for p in done.files)
            media_bytes = sum(p.stat().st_size for p in (root / media).glob("media/*"))
            rows.append(
                (
                    f"export {media}",
                    seconds,
                    f"{done.requests:,} requests, {done.requests / seconds:,.0f}/s; "
                    f"{size / 1e6:.1f} MB of requests ({size / done.requests / 1e3:.1f} kB "
                    f"each), {media_bytes / 1e6:.1f} MB of media, ~{done.tokens:,} tokens",
                    peak_mb(),
                )
            )
            if media == "inline":
                start = time.perf_counter()
                for path in done.files:
                    outputs.append(root / f"out-{path.name}")
                    run_batch_file(path, outputs[-1])
                seconds = time.perf_counter() - start
                rows.append(("stand-in engine", seconds, "not valspec", peak_mb()))
                importing = run("inline.sqlite")
                start = time.perf_counter()
                imported = import_files(importing.store, outputs, line_readers(settings))
                seconds = time.perf_counter() - start
                rows.append(
                    (
                        "import",
                        seconds,
                        f"{imported.stored:,} answers, {imported.stored / seconds:,.0f}/s",
                        peak_mb(),
                    )
                )
                importing.close()
                offline = run("inline.sqlite", offline=True)
                start = time.perf_counter()
                offline.prepare([*offline.value_cases(), *offline.persona_cases()])
                seconds = time.perf_counter() - start
                rows.append(("offline prepare", seconds, "every answer found", peak_mb()))
                offline.close()

        provider = run("provider.sqlite", batch=True)
        cases = [*provider.value_cases(), *provider.persona_cases()]
        absent = provider.missing_queries(cases)
        start = time.perf_counter()
        batches = ProviderBatches(provider.engine, model="gpu", folder=root / "batches")
        submitted = batches.step(absent)
        rows.append(
            (
                "provider submit",
                time.perf_counter() - start,
                f"{submitted.submitted:,} requests in {len(submitted.rows)} batch(es)",
                peak_mb(),
            )
        )
        start = time.perf_counter()
        collector = ProviderBatches(
            provider.engine, model="gpu", folder=root / "batches", wait_s=600.0
        )
        collected = collector.step(absent)
        rows.append(
            (
                "provider collect",
                time.perf_counter() - start,
                f"{collected.ingested:,} answers stored, {collected.pending} pending "
                "(includes 1.4 s of polling pauses)",
                peak_mb(),
            )
        )
        provider.close()
    print(f"{'step':<18}{'seconds':>9}{'peak MB':>9}  detail")
    for name, seconds, detail, peak in rows:
        print(f"{name:<18}{seconds:>9.2f}{peak:>9.0f}  {detail}")
    print(f"peak RSS is the process's so far; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
