"""What every protocol and event module receives: the running cloud, without the server.

`localcloud.server` builds one `Context` per `LocalCloud` and wires in the hooks, so the modules that
serve a protocol (POP, Log Service, Function Compute) or carry events (ActionTrail, EventBridge)
reach one another only through it, never by importing each other or the server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.deliveries import Deliveries
from localcloud.faults import Faults
from localcloud.requestlog import RequestLog
from localcloud.state import Cloud

FunctionKey = tuple[str, str, str]  # (account uid, service, function)

# publish(account_uid, cloudevent): hands a CloudEvent to the account's matching EventBridge triggers.
Publish = Callable[[str, Mapping[str, Any]], None]
# append_logs(project, logstore, logs, topic, source): stores one LogGroup and runs the logstore's triggers.
AppendLogs = Callable[[str, str, list[dict[str, str]], str, str], None]
# invoke(function, payload, request_id): runs a function in this thread and returns its response bytes.
Invoke = Callable[[FunctionKey, bytes, str | None], bytes]


def _unwired(name: str) -> Callable[..., Any]:
    def fail(*args: Any) -> Any:
        raise RuntimeError(f"localcloud: the {name} hook is not wired (only LocalCloud wires it)")

    return fail


@dataclass(eq=False)  # compared and hashed by identity: one per running cloud
class Context:
    """The cloud state, what is recorded about it, and the hooks between protocols."""

    cloud: Cloud
    requests: RequestLog = field(default_factory=RequestLog)
    faults: Faults = field(default_factory=Faults)
    deliveries: Deliveries = field(default_factory=Deliveries)
    url: str = ""  # http://127.0.0.1:PORT, what functions run by this cloud are pointed at
    publish: Publish = field(default_factory=lambda: _unwired("publish"))
    append_logs: AppendLogs = field(default_factory=lambda: _unwired("append_logs"))
    invoke: Invoke = field(default_factory=lambda: _unwired("invoke"))
