"""Background delivery of trigger invocations, with a way to wait until everything is delivered."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("localcloud.deliveries")


class Deliveries:
    """Runs trigger work off the request thread, as the real services deliver asynchronously."""

    def __init__(self, workers: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="localcloud-delivery")
        self._pending = 0
        self._idle = threading.Condition()
        self._held: list[tuple[Callable[[], None], str]] | None = None
        self.failures: list[str] = []

    def submit(self, work: Callable[[], None], what: str) -> None:
        with self._idle:
            if self._held is not None:
                self._held.append((work, what))
                return
            self._pending += 1
        future: Future[None] = self._pool.submit(work)
        future.add_done_callback(lambda done: self._finished(done, what))

    def pause(self) -> None:
        """Hold deliveries (to look at the cloud as it is before the triggers run) until `resume`."""
        with self._idle:
            if self._held is None:
                self._held = []

    def resume(self) -> None:
        with self._idle:
            held, self._held = self._held or [], None
        for work, what in held:
            self.submit(work, what)

    def _finished(self, done: Future[None], what: str) -> None:
        error = done.exception()
        if error is not None:
            log.error("delivery %s failed: %s", what, error)
            self.failures.append(f"{what}: {error}")
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Blocks until no delivery is pending or running (deliveries may enqueue more)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
