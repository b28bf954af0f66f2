"""Independent calls side by side, a bounded few at a time, on daemon threads.

Daemon threads, not a `ThreadPoolExecutor`: the interpreter joins an executor's threads at exit, so a
Ctrl-C while a call hangs on a silent endpoint would wait out that call's timeouts and retries. Here the
caller's wait is interrupted at once and the process can end; no worker holds half a change (reads, and
the member fan-out's asynchronous invocations, which a rerun repeats harmlessly).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_bounded(fn: Callable[[T], R], items: Iterable[T], limit: int) -> list[R]:
    """`[fn(item) for item in items]`, at most `limit` at a time; the first failure (in item order) is
    raised, and no new item is started once one has failed."""
    todo = list(items)
    if limit <= 1 or len(todo) <= 1:
        return [fn(item) for item in todo]
    results: list[Future[R]] = [Future() for _ in todo]
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(todo)):
        work.put(index)
    failed = threading.Event()

    def worker() -> None:
        while not failed.is_set():
            try:
                index = work.get_nowait()
            except queue.Empty:
                return
            try:
                results[index].set_result(fn(todo[index]))
            except BaseException as error:  # handed to the caller, who raises it
                failed.set()
                results[index].set_exception(error)
        while True:  # after a failure: what was never started is cancelled, so the caller does not wait
            try:
                results[work.get_nowait()].cancel()
            except queue.Empty:
                return

    for _ in range(min(limit, len(todo))):
        threading.Thread(target=worker, name="sharetrust-read", daemon=True).start()
    # Waiting on a future is interruptible (a lock acquire, which Ctrl-C breaks on POSIX).
    return [future.result() for future in results]


A = TypeVar("A")
B = TypeVar("B")


def both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """`(first(), second())`, side by side."""
    results: list[object] = map_bounded(lambda call: call(), [first, second], 2)
    return results[0], results[1]  # type: ignore[return-value]
