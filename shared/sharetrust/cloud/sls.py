"""Log Service gateway: read exactly one cursor range of one shard (the FC Log Service trigger's batch)."""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from sharetrust.cloud.errors import NotFound
from sharetrust.cloud.session import USER_AGENT, CloudSession
from sharetrust.cloud.transport import shared_adapter

PULL_COUNT = 1000
PUT_BATCH = 4096  # PutLogs takes at most 4096 logs a call


@dataclass(frozen=True)
class LogRow:
    contents: dict[str, str]
    topic: str


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _bounded_http(cloud: CloudSession) -> Any:
    """A requests.Session whose every request fits the invocation's deadline.

    LogClient retries connection errors and 5xx 10 times with a 1 s sleep and a 120 s timeout each
    (sdk-wire.md §2.6): minutes against a silent endpoint. Here each request gets the session's
    timeouts cut to the deadline, and a transport failure is raised in a form LogClient does not
    retry (it retries only messages naming "HTTPConnectionPool"), so `CloudSession.call` does the
    retrying with backoff, counted and bounded. With SHARETRUST_ENDPOINT set, proxies from the
    environment are never applied to it.
    """
    import requests

    class BoundedSession(requests.Session):
        def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            if cloud.deadline.expired:
                raise _Unanswered("no time left within the invocation's deadline")
            kwargs["timeout"] = cloud.timeouts()
            try:
                return super().request(method, url, *args, **kwargs)
            except requests.RequestException as failed:
                reason = type(failed).__name__
                raise _Unanswered(f"{reason}: the Log Service endpoint did not answer") from None

    http = BoundedSession()
    http.trust_env = cloud.endpoints.override is None
    # The process's one adapter (pools, TLS context), shared with the POP clients and kept across invocations.
    http.mount("https://", shared_adapter())
    http.mount("http://", shared_adapter())
    return http


class _Unanswered(RuntimeError):
    """A Log Service request that got no answer; LogClient wraps it as a non-retried LogRequestError."""


class SlsGateway:
    def __init__(self, session: CloudSession) -> None:
        self._session = session
        self._clients: dict[str, Any] = {}

    def _client(self, endpoint: str) -> Any:
        # SHARETRUST_ENDPOINT wins over the trigger payload's endpoint, like every other service.
        endpoint = self._session.endpoints.override or endpoint
        if endpoint not in self._clients:
            from aliyun.log import LogClient

            creds = self._session.credentials
            client: Any = LogClient(endpoint, creds.access_key_id, creds.access_key_secret, creds.security_token)
            client.set_user_agent(USER_AGENT)
            # LogClient sends through its own requests.Session (`_session`); ours bounds each attempt.
            client._session = _bounded_http(self._session)
            host = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}").hostname or ""
            if _is_ip(host):
                # The SDK only addresses a bare IP directly when given exactly "a.b.c.d"; with a port it would
                # resolve "<project>.127.0.0.1" (sdk-wire.md §2.1). The project still rides in the Host header.
                client._isRowIp = True
            self._clients[endpoint] = client
        return self._clients[endpoint]

    def put_records(
        self, endpoint: str, project: str, logstore: str, topic: str, records: list[dict[str, str]]
    ) -> None:
        """Writes records (one log each) to a logstore, as many as one PutLogs call takes at a time."""
        from aliyun.log import LogItem, PutLogsRequest

        client = self._client(endpoint)
        now = int(time.time())
        for start in range(0, len(records), PUT_BATCH):
            items = [LogItem(now, list(r.items())) for r in records[start : start + PUT_BATCH]]
            # `source` given: without it the SDK looks up `<project>.<endpoint host>` (sdk-wire.md §2.1).
            request = PutLogsRequest(project, logstore, topic, "sharetrust", items)
            self._session.call("Sls:PutLogs", partial(client.put_logs, request))

    def logstore_exists(self, endpoint: str, project: str, logstore: str) -> bool:
        """Whether the logstore exists (False also when its project does not)."""
        client = self._client(endpoint)
        try:
            self._session.call("Sls:GetLogStore", partial(client.get_logstore, project, logstore))
        except NotFound:
            return False
        return True

    def pull_range(self, endpoint: str, project: str, logstore: str, shard: int, begin: str, end: str) -> list[LogRow]:
        """Every log in `[begin, end)` of the shard, in order."""
        client = self._client(endpoint)
        rows: list[LogRow] = []
        cursor = begin
        while True:
            response = self._session.call(
                "Sls:PullLogs",
                partial(client.pull_logs, project, logstore, shard, cursor, count=PULL_COUNT, end_cursor=end),
            )
            for group in response.get_loggroup_list().LogGroups:
                for log in group.Logs:
                    rows.append(LogRow({c.Key: c.Value for c in log.Contents}, group.Topic))
            next_cursor = response.get_next_cursor()
            if response.get_loggroup_count() == 0 or next_cursor in (cursor, end):
                return rows
            cursor = next_cursor
