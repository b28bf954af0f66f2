"""Log Service gateway: read exactly one cursor range of one shard (the FC Log Service trigger's batch)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from sharetrust.cloud.session import CloudSession

PULL_COUNT = 1000


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
            host = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}").hostname or ""
            if _is_ip(host):
                # The SDK only addresses a bare IP directly when given exactly "a.b.c.d"; with a port it would
                # resolve "<project>.127.0.0.1" (sdk-wire.md §2.1). The project still rides in the Host header.
                client._isRowIp = True
            self._clients[endpoint] = client
        return self._clients[endpoint]

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
