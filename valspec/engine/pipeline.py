"""Keep requests in flight for adapters that answer concurrently, storing answers as they come.

Two ways, by what the adapter offers:

* :class:`Stream`, for an adapter with ``submit(request) -> Future[Response]`` (the
  ``openai`` adapter): requests go out one by one, item-major, and at most ``window`` of
  them (the adapter's concurrency) are sent and not yet stored. Whatever has come back is
  stored in one ``put_many`` each time the engine's thread looks, so a group is never larger
  than the window and a crash (kill -9) loses at most the requests in flight.
* :class:`Flight`, for one that only has ``answer(batch)``: whole batches, several at once.

A synchronous ``answer(batch)`` call ends by waiting for its slowest request, and the engine
then decodes the next batch's frames while the network idles. For an adapter with
``capabilities.concurrency > 1`` (an HTTP endpoint) :class:`Flight` runs up to ``depth``
``answer`` calls on worker threads and prepares the next batch meanwhile. Everything else
stays on the engine's thread: claims, frame decoding (in item order, so each item's media
decode once) and ``put_many``, so the result store is only ever used from one thread, and
each batch is stored as soon as that thread sees it return (see docs/engine.md).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from valspec.adapters.base import Request, Response

if TYPE_CHECKING:
    from valspec.engine.engine import ProgressFn
    from valspec.engine.queries import Query, Record


@dataclass
class Tally:
    """Counts of one engine run so far, and the progress callback they are reported to."""

    total: int
    progress: ProgressFn | None = None
    sent: int = 0
    errors: int = 0
    done: int = 0
    by_peers: int = 0

    def answered(self, count: int, errors: int) -> None:
        """A batch of ``count`` queries came back and was stored, ``errors`` of them failed."""
        self.sent += count
        self.done += count
        self.errors += errors

    def report(self) -> None:
        """Tell the progress callback (if any) how far the run is."""
        if self.progress is not None:
            self.progress(self.done, self.total, self.errors)


Prepared = tuple["Sequence[Query]", "list[Record]", list[Request]]
Answered = tuple["Query", Response]


class Stream:
    """Requests sent one by one through ``submit``; answers stored as they arrive.

    ``store(answered) -> errors`` writes (query, response) pairs in one transaction; it runs
    on the caller's thread only. ``window`` bounds the requests sent and not yet stored.
    """

    def __init__(
        self,
        *,
        submit: Callable[[Request], Future[Response]],
        store: Callable[[Sequence[Answered]], int],
        tally: Tally,
        window: int,
    ) -> None:
        self._submit = submit
        self._store = store
        self._tally = tally
        self._window = max(1, window)
        self._arrived: queue.SimpleQueue[tuple[Query, Future[Response]]] = queue.SimpleQueue()
        self.outstanding = 0  # sent, not yet stored

    def send(self, query: Query, request: Request) -> None:
        """Send one request once the window has room (storing what came back meanwhile)."""
        self.collect(block=False)
        while self.outstanding >= self._window:
            self.collect(block=True)
        future = self._submit(request)
        self.outstanding += 1
        arrived = self._arrived

        def arrive(done: Future[Response]) -> None:
            arrived.put((query, done))

        future.add_done_callback(arrive)

    def store_now(self, answered: Sequence[Answered]) -> None:
        """Store answers that needed no request (an item whose media cannot be read)."""
        if answered:
            self._tally.answered(len(answered), self._store(answered))

    def collect(self, *, block: bool) -> None:
        """Store every answer that has arrived (waiting for one first when ``block``)."""
        got: list[tuple[Query, Future[Response]]] = []
        if block and self.outstanding:
            got.append(self._arrived.get())
        while True:
            try:
                got.append(self._arrived.get_nowait())
            except queue.Empty:
                break
        if not got:
            return
        answered = [(query, _response(future)) for query, future in got]
        self.outstanding -= len(got)
        self._tally.answered(len(answered), self._store(answered))
        self._tally.report()

    def drain(self) -> None:
        """Wait for every request in flight and store its answer."""
        while self.outstanding:
            self.collect(block=True)

    def close(self) -> None:
        """Stop: store what has arrived; requests still in flight are forgotten (their keys
        stay claimed until the store closes or this process ends)."""
        with contextlib.suppress(Exception):  # already failing: keep what we can
            self.collect(block=False)


def _response(future: Future[Response]) -> Response:
    """A submitted request's response; an adapter that raised fails only that query."""
    try:
        return future.result()
    except Exception as exc:
        return Response.failed(f"adapter raised {type(exc).__name__}: {exc}")


class Flight:
    """Up to ``depth`` batches answered at once on worker threads, stored on the caller's.

    Each batch gets its own daemon thread (not a pool's: an interrupted run must be able to
    exit while an adapter call still waits on its network).

    ``prepare(batch)`` -> (records of queries that cannot be sent, requests) runs on the
    caller's thread; ``answer(requests)`` on a worker (the engine's ``_answer`` turns adapter
    exceptions into failed responses, so one batch's failure stays its own batch's);
    ``finish(batch, failed, requests, responses)`` stores a batch and returns its errors.
    """

    def __init__(
        self,
        *,
        prepare: Callable[[Sequence[Query]], tuple[list[Record], list[Request]]],
        answer: Callable[[list[Request]], list[Response]],
        finish: Callable[[Sequence[Query], list[Record], list[Request], list[Response]], int],
        release: Callable[[Sequence[str]], None] | None,
        tally: Tally,
        depth: int,
    ) -> None:
        self._prepare = prepare
        self._answer = answer
        self._finish = finish
        self._release = release
        self._tally = tally
        self._depth = max(1, depth)
        self._flying: dict[Future[list[Response]], Prepared] = {}

    def send(self, batch: Sequence[Query]) -> None:
        """Prepare ``batch`` while earlier batches are answered, then hand it to a worker."""
        failed, requests = self._prepare(batch)
        if not requests:  # nothing to send (every item's media failed): store it now
            self._tally.answered(len(batch), self._finish(batch, failed, requests, []))
            return
        try:
            self._collect(block=False)
            while len(self._flying) >= self._depth:
                self._collect(block=True)
        except BaseException:  # interrupted before this batch went out: let peers have it
            if self._release is not None:
                with contextlib.suppress(Exception):
                    self._release([q.key for q in batch])
            raise
        future: Future[list[Response]] = Future()
        self._flying[future] = (batch, failed, requests)
        threading.Thread(
            target=self._run, args=(future, requests), name="valspec-batch", daemon=True
        ).start()

    def _run(self, future: Future[list[Response]], requests: list[Request]) -> None:
        """A worker thread: answer one batch into ``future``."""
        try:
            future.set_result(self._answer(requests))
        except BaseException as exc:  # handed to the engine's thread, which re-raises it
            future.set_exception(exc)

    def drain(self) -> None:
        """Wait for every batch in flight and store it."""
        while self._flying:
            self._collect(block=True)

    def close(self) -> None:
        """Stop: store the batches that came back; forget those still being answered.

        After an interruption only the batches still being answered are lost; their keys
        stay claimed until the store is closed or this process ends, so no peer pays for
        them a second time meanwhile.
        """
        for future, (batch, failed, requests) in list(self._flying.items()):
            if future.done() and future.exception() is None:
                with contextlib.suppress(Exception):  # already failing: keep what we can
                    self._finish(batch, failed, requests, future.result())
        self._flying.clear()

    def _collect(self, *, block: bool) -> None:
        """Store the batches that have come back (waiting for one first when ``block``)."""
        if not self._flying:
            return
        finished, _ = wait(self._flying, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        if not finished:
            return
        for future in [f for f in self._flying if f in finished]:  # in the order they were sent
            batch, failed, requests = self._flying.pop(future)
            self._tally.answered(len(batch), self._finish(batch, failed, requests, future.result()))
        self._tally.report()
