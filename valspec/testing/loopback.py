"""The lifecycle shared by valspec's loopback test servers: an aiohttp app on a free port of
127.0.0.1, served from a daemon thread, stopped on request or after ``max_lifetime_s``."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, Self

from aiohttp import web


class LoopbackServer:
    """Mixin: subclasses call :meth:`_init_loopback` and add their routes in :meth:`_routes`."""

    name = "valspec-loopback"
    max_lifetime_s: float
    port: int

    def _init_loopback(self) -> None:
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """The URL to give an OpenAI client (``http://127.0.0.1:<port>/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _middlewares(self) -> list[Any]:
        return []

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve from a daemon thread; returns self."""
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10) or self._error is not None:
            raise RuntimeError(f"{self.name} did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread (idempotent)."""
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start() or swallowed after stop
            self._error = exc
            self._ready.set()
        finally:
            pending = asyncio.all_tasks(loop)  # e.g. slow handlers still sleeping
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            asyncio.set_event_loop(None)
            loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        app = web.Application(client_max_size=512 * 1024 * 1024, middlewares=self._middlewares())
        self._routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            await asyncio.wait_for(self._stopped.wait(), timeout=self.max_lifetime_s)
        except TimeoutError:
            pass
        finally:
            await runner.cleanup()
