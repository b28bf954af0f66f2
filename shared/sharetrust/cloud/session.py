"""One invocation's connection to the cloud: credentials, endpoints, retries, deadline and call accounting.

Every SDK call goes through `CloudSession.call`, which counts it by action and retries throttling,
5xx and dropped connections with exponential backoff and jitter, honouring `x-acs-retry-after`
(the SDK itself never retries: sdk-wire.md §1.6). No attempt, timeout or backoff outlives the
invocation's `Deadline`.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sharetrust.cloud.credentials import Credentials
from sharetrust.cloud.endpoints import Endpoints
from sharetrust.cloud.errors import DEADLINE_EXCEEDED, TRANSPORT_ERROR, CloudError, Throttled
from sharetrust.cloud.transport import share_sdk_connections
from sharetrust.deadline import DEFAULT_SECONDS, Deadline

T = TypeVar("T")

USER_AGENT = "sharetrust/0.1.0"  # in ActionTrail's userAgent, so an audit can tell sharetrust's calls apart
CONNECT_TIMEOUT_MS = 5000
READ_TIMEOUT_MS = 10000


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 5.0


def error_code(error: BaseException) -> tuple[str, int | None, str]:
    """(code, HTTP status, message) of an SDK exception, on tea-openapi 0.3 and 0.4 alike."""
    code = getattr(error, "code", None)
    get_log_code = getattr(error, "get_error_code", None)  # aliyun-log's LogException
    if code is None and callable(get_log_code):
        log_code = str(get_log_code())
        status = getattr(error, "resp_status", None)
        if log_code == "LogRequestError" and status == 200:  # LogClient's default status: no answer at all
            return TRANSPORT_ERROR, None, str(error)
        return log_code, status, str(error)
    data = getattr(error, "data", None)
    status = getattr(error, "status_code", None)
    if status is None and isinstance(data, dict):
        status = data.get("statusCode")
    message = str(getattr(error, "message", "") or error)
    if type(error).__name__ == "UnretryableException" or not code:
        return TRANSPORT_ERROR, None, message
    return str(code), int(status) if status is not None else None, message


@dataclass
class CloudSession:
    credentials: Credentials
    endpoints: Endpoints = field(default_factory=Endpoints)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    deadline: Deadline = field(default_factory=lambda: Deadline.after(DEFAULT_SECONDS))
    read_timeout_ms: int = READ_TIMEOUT_MS
    connect_timeout_ms: int = CONNECT_TIMEOUT_MS
    calls: Counter[str] = field(default_factory=Counter)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _random: random.Random = field(default_factory=random.Random, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    # time.monotonic() before which no attempt starts: the shared backoff after a throttled call.
    _resume_at: float = field(default=0.0, repr=False)

    def pop_config(self, product: str, region: str) -> Any:
        from alibabacloud_tea_openapi.models import Config

        return Config(
            access_key_id=self.credentials.access_key_id,
            access_key_secret=self.credentials.access_key_secret,
            security_token=self.credentials.security_token,
            endpoint=self.endpoints.host(product, region),
            protocol=self.endpoints.protocol,
            # With SHARETRUST_ENDPOINT the endpoint itself is the proxy, set explicitly: darabonba would
            # otherwise take HTTP_PROXY from the environment and ignore NO_PROXY (sdk-wire.md §1).
            http_proxy=self.endpoints.proxy,
            region_id=region,
            read_timeout=self.read_timeout_ms,
            connect_timeout=self.connect_timeout_ms,
            user_agent=USER_AGENT,
        )

    def client(self, product: str, region: str, factory: Callable[[Any], T]) -> T:
        """A cached SDK client; SDK modules are imported by the caller only when first needed."""
        key = (product, region)
        with self._lock:
            if key not in self._clients:
                share_sdk_connections()  # one HTTP/TLS setup per process, not one per host (transport.py)
                self._clients[key] = factory(self.pop_config(product, region))
            return self._clients[key]  # type: ignore[no-any-return]

    def timeouts(self) -> tuple[float, float]:
        """(connect, read) seconds for the next attempt: the usual ones, cut to what the deadline leaves."""
        left = self.deadline.remaining()
        return min(self.connect_timeout_ms / 1000, left), min(self.read_timeout_ms / 1000, left)

    def runtime(self) -> Any:
        """POP RuntimeOptions for one attempt: the SDK's own retries off, timeouts within the deadline."""
        from alibabacloud_tea_util.models import RuntimeOptions

        connect, read = self.timeouts()
        return RuntimeOptions(
            autoretry=False, connect_timeout=max(1, int(connect * 1000)), read_timeout=max(1, int(read * 1000))
        )

    def pop(self, action: str, method: Callable[[Any, Any], T], request: Any) -> T:
        """A POP SDK `<name>_with_options(request, runtime)` call, each attempt with fresh timeouts."""
        return self.call(action, lambda: method(request, self.runtime()))

    def call(self, action: str, fn: Callable[[], T]) -> T:
        """Runs one SDK call with retries; raises CloudError when it fails for good or the deadline passes.

        `fn` is called once per attempt, so timeouts it takes from `runtime()` shrink with the deadline.
        """
        attempt = 0
        while True:
            self._wait_for_backoff()
            if self.deadline.expired:
                raise CloudError.of(
                    action, DEADLINE_EXCEEDED, f"the invocation's {self.deadline.seconds:.0f} s deadline passed"
                )
            attempt += 1
            with self._lock:
                self.calls[action] += 1
            try:
                return fn()
            except Exception as failure:  # SDK errors share no useful base class across versions
                code, status, message = error_code(failure)
                if code == TRANSPORT_ERROR and self.deadline.expired:
                    code, message = DEADLINE_EXCEEDED, f"no answer within the {self.deadline.seconds:.0f} s deadline"
                error = CloudError.of(action, code, message, status)
                if not error.retryable or attempt >= self.retry.attempts:
                    if error.retryable and attempt > 1:
                        error = CloudError.of(action, code, f"{message} (after {attempt} attempts)", status)
                    raise error from None
                delay = self._delay(attempt, getattr(failure, "retry_after", None))
                if delay >= self.deadline.remaining():
                    message = f"{message} (no time left to retry within the deadline)"
                    raise CloudError.of(action, code, message, status) from None
                if isinstance(error, Throttled):
                    self._back_off_together(delay)
                self.sleep(delay)

    def _back_off_together(self, delay: float) -> None:
        """Throttling is per account and API, so every call of this session waits out the backoff, not
        only the one that was told: concurrent readers would otherwise keep the limit exceeded."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + delay)

    def _wait_for_backoff(self) -> None:
        """Before an attempt: wait until the session's backoff (if any) is over, within the deadline."""
        while True:
            with self._lock:
                wait = self._resume_at - time.monotonic()
            if wait <= 0:
                return
            self.sleep(min(wait, max(self.deadline.remaining(), 0.0)))
            if self.deadline.expired:
                return  # the caller raises DeadlineExceeded

    def _delay(self, attempt: int, retry_after_ms: Any) -> float:
        if isinstance(retry_after_ms, int) and retry_after_ms > 0:
            return min(retry_after_ms / 1000, self.retry.max_delay * 4)
        ceiling = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
        with self._lock:
            return self._random.uniform(ceiling / 2, ceiling)  # jitter spreads concurrent retries
