"""The ``paper`` strategy on the committed fixtures: its scores beside valspec's, and what its
reason turn costs through the real openai adapter against a loopback server.

Part 1 (``sim``, a SIMULATED model, all 100 fixture posts, every persona): per value, valspec's
score (yes among yes/no answers) and the paper's score (``"yes" in text``: refusals and
unparsable answers count as "no") on valspec's neutral question, then both on the paper flow's
neutral question; per strategy, the mean alignment shift over personas.

Part 2 (``openai`` adapter, loopback server answering after ``--latency`` seconds with
``--concurrency`` in flight; real frames decoded from the fixture videos): wall time and
requests of the first turns (paper neutral + one persona), of the reason turns
(``paper_reason = true``, a second pass), and of a re-run on the same cache (sends nothing).

Run:  python bench/paper_setup.py [--latency 0.05 --concurrency 16 --persona family-oriented]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from valspec.domain.config import load_settings
from valspec.measure.scoring import paper_score
from valspec.session.cases import PersonaCase
from valspec.session.options import RunOptions
from valspec.session.run import Run
from valspec.testing.servers import ChatServer, Reply

REPO = Path(__file__).resolve().parents[1]
QUIET = {"progress": lambda done, total: None}


def _cell(score: float, ci: tuple[float, float], n: int) -> str:
    return f"{score:5.1f} [{ci[0]:5.1f}, {ci[1]:5.1f}] n={n:<3d}"


def scores_on_sim() -> None:
    """Part 1: valspec's and the paper's score per value, both questions, on sim."""
    settings = load_settings(REPO)
    run = Run(settings, RunOptions(model="sim", strategies=("simple", "isq", "paper")))
    values = run.value_cases()
    run.prepare([*values, *run.persona_cases()], **QUIET)
    print("part 1: sim (SIMULATED model), 100 fixture posts, every persona")
    print(f"{'value':15} {'valspec neutral: yes %':30} {'paper score':30} "
          f"{'paper-neutral: yes %':30} paper score")  # fmt: skip
    for case in values:
        result = run.value_result(case.value)
        (setup,) = run.setup_results(case.value).values()
        cells = []
        for r in (result, setup):
            p = paper_score(r.tally)
            cells += [_cell(r.score, r.ci, r.n), _cell(p.score, p.ci, p.n)]
        print(f"{case.id:15} " + " ".join(f"{c:30}" for c in cells))
    for strategy in ("simple", "isq", "paper"):
        shifts = [
            run.persona_result(PersonaCase(p, strategy)).shift for p in run.personas
        ]  # fmt: skip
        print(
            f"strategy {strategy:6}: mean alignment shift {statistics.fmean(shifts):+.1f} points "
            f"over {len(shifts)} personas"
        )
    run.close()


def _responder(body: Mapping[str, Any]) -> Reply:
    """Yes / no by a hash of the conversation; a reason when asked why (four turns)."""
    messages = body.get("messages") or []
    if len(messages) == 4:
        return Reply(text="Because it matches what I enjoy.", top_logprobs=())
    digest = hashlib.sha256(repr(messages).encode()).digest()[0]
    return Reply(text="Yes." if digest % 3 else "No.")


def reason_cost(latency: float, concurrency: int, persona: str) -> None:
    """Part 2: the reason turn's cost through the openai adapter and the cache."""
    settings = load_settings(REPO)
    with (
        tempfile.TemporaryDirectory() as tmp,
        ChatServer(latency_s=latency, responder=_responder, max_lifetime_s=600) as server,
    ):
        models = {
            "loop": {
                "adapter": "openai",
                "model": "loopback-vlm",
                "base_url": server.base_url,
                "concurrency": concurrency,
                "api_key_env": "VALSPEC_BENCH_NO_KEY",
            }
        }
        settings = replace(settings, models=models)
        cache = Path(tmp) / "cache.sqlite"
        options = RunOptions(model="loop", personas=(persona,), strategies=("paper",), cache=cache)
        print(
            f"\npart 2: openai adapter -> loopback server ({latency * 1000:.0f} ms per answer, "
            f"{concurrency} in flight), 100 fixture posts, persona {persona}"
        )
        for label, reason in (("first turns", False), ("reason turns", True), ("re-run", True)):
            run = Run(replace(settings, paper_reason=reason), options)
            cases = run.persona_cases()
            before = len(server.hits)
            start = time.perf_counter()
            run.prepare(cases, **QUIET)
            seconds = time.perf_counter() - start
            stats = run.stats
            assert stats is not None
            print(
                f"{label:13}: {seconds:6.2f} s, {len(server.hits) - before:4d} requests sent, "
                f"{stats.planned:4d} planned, {stats.cached:4d} from the cache"
            )
            run.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--persona", default="family-oriented")
    args = parser.parse_args()
    scores_on_sim()
    reason_cost(args.latency, args.concurrency, args.persona)


if __name__ == "__main__":
    main()
