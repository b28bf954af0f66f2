"""Function Compute handlers the local cloud imports in-process in the FC tests.

They record what they received in module-level lists; tests call `reset()` first.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from aliyun.log import LogClient

_lock = threading.Lock()
RECEIVED: dict[str, list[Any]] = {}
# name -> how many more invocations of that handler should fail
FAIL_TIMES: dict[str, int] = {}


def reset() -> None:
    with _lock:
        RECEIVED.clear()
        FAIL_TIMES.clear()


def received(name: str) -> list[Any]:
    with _lock:
        return list(RECEIVED.get(name, []))


def _note(name: str, value: Any) -> None:
    with _lock:
        RECEIVED.setdefault(name, []).append(value)


def _should_fail(name: str) -> bool:
    with _lock:
        left = FAIL_TIMES.get(name, 0)
        if left > 0:
            FAIL_TIMES[name] = left - 1
        return left > 0


def echo(event: bytes, context: Any) -> bytes:
    """Returns what it got and what the context says (python3.10: with credentials)."""
    _note("echo", event)
    credentials = getattr(context, "credentials", None)
    return json.dumps(
        {
            "event": event.decode(),
            "request_id": context.request_id,
            "region": context.region,
            "account_id": context.account_id,
            "function": [context.function.name, context.function.handler, context.function.timeout],
            "service": [context.service.name, context.service.qualifier],
            "access_key_id": credentials.access_key_id if credentials else None,
            "has_token": bool(credentials and credentials.security_token),
        }
    ).encode()


def env_probe(event: bytes, context: Any) -> str:
    """python3.12 style: credentials only in the environment."""
    names = [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "APP_SETTING",
    ]
    return json.dumps(
        {
            "env": {name: os.environ.get(name) for name in names},
            "has_credentials_attribute": hasattr(context, "credentials"),
        }
    )


def fail(event: bytes, context: Any) -> bytes:
    _note("fail", event)
    raise ValueError(f"boom: {event.decode()}")


def eventbridge_sink(event: bytes, context: Any) -> None:
    """EventBridge trigger target: records the CloudEvent."""
    if _should_fail("eventbridge_sink"):
        _note("eventbridge_sink_failed", json.loads(event))
        raise RuntimeError("eventbridge sink fails on purpose")
    _note("eventbridge_sink", json.loads(event))


def sls_reader(event: bytes, context: Any) -> None:
    """Log Service trigger target: pulls exactly [beginCursor, endCursor) with the real LogClient,
    using the function role's temporary credentials from the context."""
    payload = json.loads(event)
    source = payload["source"]
    _note("sls_reader_attempts", (source["shardId"], source["beginCursor"], source["endCursor"]))
    if _should_fail("sls_reader"):
        raise RuntimeError("sls reader fails on purpose")
    credentials = context.credentials
    client = LogClient(
        source["endpoint"],
        credentials.access_key_id,
        credentials.access_key_secret,
        credentials.security_token,
        source="fc",
    )
    # The endpoint is http://127.0.0.1:PORT: the project must ride in Host only (localcloud README).
    client._isRowIp = True  # type: ignore[attr-defined]
    logs: list[dict[str, Any]] = []
    cursor = source["beginCursor"]
    while True:
        response = client.pull_logs(
            source["projectName"],
            source["logstoreName"],
            source["shardId"],
            cursor,
            count=1,
            end_cursor=source["endCursor"],
        )
        if response.get_loggroup_count() == 0:
            break
        logs.extend(response.get_flatten_logs_json())
        cursor = response.get_next_cursor()
    _note("sls_reader", {"payload": payload, "logs": logs, "final_cursor": cursor})


def chatty(event: bytes, context: Any) -> str:
    """Prints what it got (for the log tail) and answers it back."""
    _note("chatty", event)
    print(f"chatty got {event.decode()}")
    return event.decode()
