"""Every request the local cloud answered, so tests can assert what was (not) called."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LoggedRequest:
    seq: int
    at: float
    product: str
    action: str
    account_uid: str
    status: int
    code: str  # "" on success
    write: bool
    signing: str  # ACS3 | V1 | SLS | FC | none
    # Who asked and what a RAM call names, so a test can tell whose write touched what (POP requests only).
    caller: str = ""  # root | user/<name> | role/<name>; "" when unauthenticated
    user_agent: str = ""
    role_name: str = ""
    policy_name: str = ""
    policy_type: str = ""

    @property
    def name(self) -> str:
        return f"{self.product}:{self.action}"


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(
        self,
        *,
        product: str,
        action: str,
        account_uid: str,
        status: int,
        code: str,
        write: bool,
        signing: str,
        caller: str = "",
        user_agent: str = "",
        role_name: str = "",
        policy_name: str = "",
        policy_type: str = "",
    ) -> None:
        with self._lock:
            self._entries.append(
                LoggedRequest(
                    len(self._entries) + 1,
                    time.time(),
                    product,
                    action,
                    account_uid,
                    status,
                    code,
                    write,
                    signing,
                    caller,
                    user_agent,
                    role_name,
                    policy_name,
                    policy_type,
                )
            )

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def mark(self) -> int:
        """A position to count from later (`counts(since=mark)`)."""
        with self._lock:
            return len(self._entries)

    def counts(self, *, since: int = 0, writes_only: bool = False, account_uid: str | None = None) -> Counter[str]:
        """Per `Product:Action` counts of requests after `since`."""
        with self._lock:
            picked = self._entries[since:]
        return Counter(
            e.name
            for e in picked
            if (not writes_only or e.write) and (account_uid is None or e.account_uid == account_uid)
        )

    def clear(self) -> None:
        with self._lock:
            self._entries = []

    def as_json(self) -> dict[str, Any]:
        entries = self.entries()
        return {
            "total": len(entries),
            "counts": dict(Counter(e.name for e in entries)),
            "writes": dict(Counter(e.name for e in entries if e.write)),
            "entries": [asdict(e) for e in entries[-500:]],
        }
