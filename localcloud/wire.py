"""Transport-neutral request and response records passed between the HTTP server and protocols."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class HttpRequest:
    method: str
    target: str  # request-target as received: origin-form or absolute-form (proxy)
    headers: dict[str, str]  # lowercase names
    body: bytes
    client_ip: str = "127.0.0.1"

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.target).query, keep_blank_values=True)

    @property
    def host(self) -> str:
        netloc = urlsplit(self.target).netloc
        return self.headers.get("host") or netloc


@dataclass
class HttpResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    code: str = ""  # for the request log: the error code of an answer that is not an HTTP error (FC's)

    @staticmethod
    def json(status: int, payload: Any, headers: dict[str, str] | None = None) -> HttpResponse:
        all_headers = {"content-type": "application/json;charset=utf-8", **(headers or {})}
        return HttpResponse(status, json.dumps(payload).encode(), all_headers)
