"""A long-running coroutine owned by an object: started once, cancelled on stop."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


class BackgroundLoop:
    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is None:
            return
        # Cancel until it ends: on Python 3.11 asyncio.wait_for (which redis-py uses for
        # its timeouts) can swallow a cancellation, leaving the loop running.
        while not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=0.1)
        with contextlib.suppress(asyncio.CancelledError):
            self._task.result()
        self._task = None


class PeriodicTask:
    """`work()` every `interval_s` seconds, the first run one interval after start (start-up
    stays quick); a failure of one of `retried` kinds is logged and the next run tries
    again. An interval of 0 never starts."""

    def __init__(self, name: str, work: Callable[[], Awaitable[object]], interval_s: float, *,
                 retried: tuple[type[Exception], ...], logger: logging.Logger) -> None:
        self._name = name
        self._work = work
        self._interval_s = interval_s
        self._retried = retried
        self._log = logger
        self._loop = BackgroundLoop(name, self._run)

    def start(self) -> None:
        if self._interval_s > 0:
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self._work()
            except self._retried as error:
                self._log.warning(f"{self._name} failed; will retry",
                                  extra={"error": str(error)})
