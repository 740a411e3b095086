"""The send loop on real media: a cold run's memory and throughput, crashes, concurrent runs.

Every run is the user's path: ``pytest`` (a child process) with the suite, the ``openai``
adapter and the response cache, against a loopback OpenAI-compatible server in this process
(``valspec.testing.servers``: a fixed latency per answer; it skims request bodies instead of
decoding the images, so the client is what is measured). The dataset is ``--items``
distinct media files: the generated fixture clips and screenshots (``fixtures/videos``),
each copy made distinct by a trailing MP4 ``free`` box or bytes after the JPEG's end (so
every item has its own sha256 and is decoded on its own; decoders ignore the extra bytes).

Modes (``--mode``):

* ``cold``: one cold run per size in ``--items`` (e.g. 300,1000,3000): wall time, peak RSS
  of the pytest process, the engine's send loop against the ideal rate (concurrency /
  latency), the first request's delay after the run's setup, bytes sent per 1,000 queries;
* ``crash``: ``--kills`` runs killed with SIGKILL at a random moment while they send
  (uniform in ``--kill-after`` seconds after the run's first answer), then one run to the
  end; prints the requests the server answered against the queries needed;
* ``pair``: two runs started together on one cache file; prints requests against queries.

Run:  python bench/real_media.py --mode cold --items 300,1000,3000
      python bench/real_media.py --mode crash --items 900 --personas 1 --kills 10
      python bench/real_media.py --mode pair --items 900 --personas 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "videos"

CONFTEST = """
import json, os, time
from valspec.engine import engine as engine_module
from valspec.session import run as run_module

_prepare = run_module.Run.prepare
_run = engine_module.Engine.run
STARTS = []


def run(self, queries, **kwargs):
    STARTS.append(time.monotonic())
    return _run(self, queries, **kwargs)


engine_module.Engine.run = run


def prepare(self, cases, **kwargs):
    started = time.monotonic()
    stats = _prepare(self, cases, **kwargs)
    adapter = self.adapter
    out = {
        "setup": started,
        "done": time.monotonic(),
        "planned": stats.planned,
        "sent": stats.sent,
        "cached": stats.cached,
        "errors": stats.errors,
        "by_peers": stats.by_peers,
        "bytes_sent": adapter.stats.bytes_sent,
        "traffic": adapter.traffic(),
        "pid": os.getpid(),
        "loop": STARTS[-1] if STARTS else None,
    }
    with open(os.environ["BENCH_OUT"], "a") as fh:
        fh.write(json.dumps(out) + "\\n")
    return stats


run_module.Run.prepare = prepare
"""


def build(root: Path, items: int, concurrency: int, base_url: str) -> int:
    """A project with ``items`` distinct media files; returns how many there are."""
    rows = [json.loads(line) for line in (FIXTURES / "manifest.jsonl").read_text().splitlines()]
    data = root / "data"
    data.mkdir(parents=True)
    out = []
    for n in range(items):
        row = dict(rows[n % len(rows)])
        source = (FIXTURES / row["file"]).read_bytes()
        tag = n.to_bytes(8, "big")
        blob = source + (b"\x00\x00\x00\x10free" + tag if row["kind"] == "video" else tag)
        name = f"m{n:06d}{Path(row['file']).suffix}"
        (data / name).write_bytes(blob)
        import hashlib

        row.update(id=f"item-{n:06d}", file=name, sha256=hashlib.sha256(blob).hexdigest())
        out.append(json.dumps(row))
    (data / "manifest.jsonl").write_text("\n".join(out) + "\n")
    (root / "pyproject.toml").write_text(
        f'[tool.valspec]\ndataset = "{data}"\npersonas = "{REPO / "fixtures" / "personas"}"\n'
        "[tool.valspec.models.loop]\n"
        f'adapter = "openai"\nmodel = "m"\nbase_url = "{base_url}"\n'
        f'api_key_env = "BENCH_KEY"\nconcurrency = {concurrency}\n'
    )
    (root / "conftest.py").write_text(CONFTEST)
    (root / "test_suite.py").write_text(
        "from valspec.suite import test_persona_alignment, test_value_preference\n"
    )
    return items


def personas(count: int) -> str:
    from valspec.domain.personas import load_personas

    return ",".join(p.id for p in load_personas(REPO / "fixtures" / "personas")[:count])


def command(args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_suite.py"]
    cmd += ["--model=loop", f"--valspec-strategies={args.strategies}"]
    if args.personas:
        cmd.append(f"--valspec-personas={personas(args.personas)}")
    else:
        cmd += ["-k", "test_value_preference"]
    if args.workers is not None:
        cmd.append(f"--valspec-decode-workers={args.workers}")
    return [*cmd, "--snapshot-update"]


def env_for(root: Path) -> dict[str, str]:
    env = {**os.environ, "VALSPEC_PROGRESS": "0", "BENCH_KEY": "sk-bench"}
    env["BENCH_OUT"] = str(root / "out.jsonl")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def start(root: Path, args: argparse.Namespace, log: str) -> subprocess.Popen[bytes]:
    with (root / log).open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            command(args), cwd=root, stdout=out, stderr=subprocess.STDOUT, env=env_for(root)
        )


def wait(child: subprocess.Popen[bytes]) -> float:
    """Wait for ``child``; its peak RSS in MB."""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


def results(root: Path) -> list[dict[str, object]]:
    """One entry per pytest run that finished: its ``Run.prepare`` calls added up."""
    path = root / "out.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    runs: dict[int, list[dict[str, object]]] = {}
    for line in lines:
        runs.setdefault(int(line["pid"]), []).append(line)
    merged = []
    for calls in runs.values():
        busy = [c for c in calls if c["sent"]] or calls
        keys = ("planned", "sent", "cached", "by_peers")
        total = {k: sum(int(c[k]) for c in calls) for k in keys}
        merged.append(
            {
                **total,
                "setup": min(float(c["setup"]) for c in busy),
                "loop": min(float(c["loop"] or c["setup"]) for c in busy),
                "done": max(float(c["done"]) for c in busy),
                "traffic": calls[-1]["traffic"],
            }
        )
    return merged


def ok_hits(server: object) -> int:
    return sum(1 for h in server.hits if h.kind == "ok")  # type: ignore[attr-defined]


def cold(args: argparse.Namespace, server: object, base: Path) -> None:
    conditions = 1 + args.personas * len(args.strategies.split(","))
    print(
        f"latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}: ideal "
        f"{args.concurrency / args.latency:.0f} queries/s; {conditions} conditions per item"
    )
    print(
        "items  queries  wall s  send s  of ideal  first request (after prepare / send loop "
        "start)  peak RSS  traffic"
    )
    for items in args.items:
        root = base / f"cold-{items}"
        build(root, items, args.concurrency, server.base_url)  # type: ignore[attr-defined]
        before = len(server.hits)  # type: ignore[attr-defined]
        began = time.perf_counter()
        child = start(root, args, "cold.log")
        peak = wait(child)
        wall = time.perf_counter() - began
        if child.returncode not in (0, 1):
            print((root / "cold.log").read_text()[-3000:])
            raise SystemExit(f"pytest exited {child.returncode}")
        found = results(root)[-1]
        hits = server.hits[before:]  # type: ignore[attr-defined]
        sent_at = min(h.started for h in hits) if hits else float("nan")
        first = sent_at - float(found["setup"])
        first_loop = sent_at - float(found["loop"])
        send = float(found["done"]) - float(found["setup"])
        queries = int(found["sent"])
        ideal = queries / (args.concurrency / args.latency)
        print(
            f"{items:5d}  {queries:7d}  {wall:6.1f}  {send:6.1f}  {ideal / send:8.2f}  "
            f"{first:5.2f} / {first_loop:4.2f} s  {peak:6.0f} MB  {found['traffic']}"
        )
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def crash(args: argparse.Namespace, server: object, base: Path) -> None:
    root = base / "crash"
    build(root, args.items[0], args.concurrency, server.base_url)  # type: ignore[attr-defined]
    rng = random.Random(args.seed)
    before = ok_hits(server)
    kills = 0
    while kills < args.kills:
        child = start(root, args, f"kill-{kills}.log")
        seen = len(server.hits)  # type: ignore[attr-defined]
        while child.poll() is None and len(server.hits) == seen:  # type: ignore[attr-defined]
            time.sleep(0.01)  # until this run's first answer: kill while it sends
        time.sleep(rng.uniform(args.kill_after[0], args.kill_after[1]))
        if child.poll() is not None:
            break  # finished before the kill: nothing left to interrupt
        child.send_signal(signal.SIGKILL)
        wait(child)
        kills += 1
    child = start(root, args, "final.log")
    wait(child)
    found = results(root)[-1]
    needed = int(found["planned"])
    sent = ok_hits(server) - before
    print(
        f"{kills} kills (SIGKILL {args.kill_after[0]}-{args.kill_after[1]} s after a run's first "
        f"answer) of a "
        f"{needed:,}-query run, concurrency {args.concurrency}: the server answered {sent:,} "
        f"requests; needed {needed:,}; paid twice {sent - needed:,} "
        f"(bound: kills x concurrency = {kills * args.concurrency:,}); final run sent "
        f"{found['sent']}, found {found['cached']} cached"
    )


def pair(args: argparse.Namespace, server: object, base: Path) -> None:
    root = base / "pair"
    build(root, args.items[0], args.concurrency, server.base_url)  # type: ignore[attr-defined]
    before = ok_hits(server)
    began = time.perf_counter()
    children = [start(root, args, f"pair-{n}.log") for n in range(2)]
    for child in children:
        wait(child)
    wall = time.perf_counter() - began
    found = results(root)
    needed = max(int(r["planned"]) for r in found)
    sent = ok_hits(server) - before
    print(
        f"two runs started together on one cache, {needed:,} queries each: the server answered "
        f"{sent:,} requests ({sent - needed:,} paid twice) in {wall:.1f} s; runs sent "
        + ", ".join(
            f"{r['sent']} ({r['by_peers']} found answered by the other when claimed)" for r in found
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("cold", "crash", "pair"), default="cold")
    parser.add_argument("--items", default="300", help="comma-separated sizes (cold) or one")
    parser.add_argument("--personas", type=int, default=1, help="personas (0: value cases only)")
    parser.add_argument("--strategies", default="simple,isq")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, help="--valspec-decode-workers (default: auto)")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument(
        "--kill-after",
        type=float,
        nargs=2,
        default=(0.0, 3.0),
        help="kill a run at a uniform random moment this many seconds after its first answer",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    args = parser.parse_args()
    args.items = [int(n) for n in args.items.split(",")]
    from valspec.testing.servers import ChatServer

    server = ChatServer(latency_s=args.latency, max_lifetime_s=3600.0, skim_bodies=True).start()
    base = Path(tempfile.mkdtemp(prefix="valspec-media-"))
    try:
        {"cold": cold, "crash": crash, "pair": pair}[args.mode](args, server, base)
        print(f"load average (1/5/15 min): {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        server.stop()
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
