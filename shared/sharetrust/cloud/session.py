"""One invocation's connection to the cloud: credentials, endpoints, retries and call accounting.

Every SDK call goes through `CloudSession.call`, which counts it by action and retries throttling,
5xx and dropped connections with exponential backoff and jitter, honouring `x-acs-retry-after`
(the SDK itself never retries: sdk-wire.md §1.6).
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

T = TypeVar("T")

RETRYABLE_CODES = frozenset(
    {"Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable", "InternalError", "UnknownError"}
)


class CloudError(RuntimeError):
    """A cloud call failed for good. `code` is the service's error code (or the transport failure)."""

    def __init__(self, action: str, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{action} failed: {code}: {message}")
        self.action = action
        self.code = code
        self.status = status


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
        return str(get_log_code()), getattr(error, "resp_status", None), str(error)
    data = getattr(error, "data", None)
    status = getattr(error, "status_code", None)
    if status is None and isinstance(data, dict):
        status = data.get("statusCode")
    message = str(getattr(error, "message", "") or error)
    if type(error).__name__ == "UnretryableException" or not code:
        return "TransportError", None, message
    return str(code), int(status) if status is not None else None, message


@dataclass
class CloudSession:
    credentials: Credentials
    endpoints: Endpoints = field(default_factory=Endpoints)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    read_timeout_ms: int = 10000
    calls: Counter[str] = field(default_factory=Counter)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _random: random.Random = field(default_factory=random.Random, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def pop_config(self, product: str, region: str) -> Any:
        from alibabacloud_tea_openapi.models import Config

        return Config(
            access_key_id=self.credentials.access_key_id,
            access_key_secret=self.credentials.access_key_secret,
            security_token=self.credentials.security_token,
            endpoint=self.endpoints.host(product, region),
            protocol=self.endpoints.protocol,
            http_proxy=self.endpoints.proxy,
            region_id=region,
            read_timeout=self.read_timeout_ms,
            connect_timeout=5000,
        )

    def client(self, product: str, region: str, factory: Callable[[Any], T]) -> T:
        """A cached SDK client; SDK modules are imported by the caller only when first needed."""
        key = (product, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = factory(self.pop_config(product, region))
            return self._clients[key]  # type: ignore[no-any-return]

    def call(self, action: str, fn: Callable[[], T]) -> T:
        """Runs one SDK call with retries; raises CloudError when it fails for good."""
        attempt = 0
        while True:
            attempt += 1
            with self._lock:
                self.calls[action] += 1
            try:
                return fn()
            except Exception as failure:  # SDK errors share no useful base class across versions
                code, status, message = error_code(failure)
                retryable = code in RETRYABLE_CODES or code == "TransportError" or (status or 0) >= 500
                if not retryable or attempt >= self.retry.attempts:
                    raise CloudError(action, code, message, status) from None
                self.sleep(self._delay(attempt, getattr(failure, "retry_after", None)))

    def _delay(self, attempt: int, retry_after_ms: Any) -> float:
        if isinstance(retry_after_ms, int) and retry_after_ms > 0:
            return min(retry_after_ms / 1000, self.retry.max_delay * 4)
        ceiling = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
        with self._lock:
            return self._random.uniform(ceiling / 2, ceiling)  # jitter spreads concurrent retries
