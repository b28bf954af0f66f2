"""Log Service (placeholder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from localcloud.wire import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from localcloud.server import LocalCloud


def handle(lc: LocalCloud, request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(501, {"errorCode": "NotImplemented", "errorMessage": "not yet"})
