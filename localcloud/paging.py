"""The three ways a list API pages, each written once.

- page number (`PageNumber`/`PageSize`, answered with `TotalCount`): ECS, KMS, ResourceManager;
- next token (`MaxResults`/`NextToken`, an opaque offset): ECS DescribeSnapshots, Resource Sharing;
- marker (`MaxItems`/`Marker`, answered with `IsTruncated`): RAM.

Each style is read from the parameters first (so a bad value fails before the handler does any
work, as before) and then applied to the handler's list. The error a bad value gives is the
product's, so the token style takes its error factories from the caller.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from localcloud.errors import ApiError, invalid
from localcloud.params import Params

T = TypeVar("T")


# ---- page number ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Numbered:
    """`PageNumber` and `PageSize` as read from one request."""

    number: int
    size: int

    def take(self, items: Sequence[T]) -> list[T]:
        start = (self.number - 1) * self.size
        return list(items[start : start + self.size])

    def fields(self, total: int) -> dict[str, Any]:
        """What the answer says about the page: `TotalCount`, `PageNumber`, `PageSize`."""
        return {"TotalCount": total, "PageNumber": self.number, "PageSize": self.size}


def by_number(params: Params, *, default_size: int = 10, max_size: int = 100, max_number: int = 1_000_000) -> Numbered:
    number = params.int("PageNumber", 1, 1, max_number)
    size = params.int("PageSize", default_size, 1, max_size)
    return Numbered(number, size)


# ---- next token -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenErrors:
    """A product's answers to a bad `NextToken`."""

    malformed: Callable[[], ApiError]
    out_of_range: Callable[[], ApiError]
    max_length: int | None = None
    too_long: Callable[[], ApiError] | None = None


@dataclass(frozen=True)
class Tokened(Generic[T]):
    items: list[T]
    next_token: str  # "" on the last page


@dataclass(frozen=True)
class TokenRequest:
    """`MaxResults` and the decoded `NextToken` offset of one request (not yet checked against a list)."""

    limit: int
    token: str | None
    tag: str
    errors: TokenErrors

    def take(self, items: Sequence[T]) -> Tokened[T]:
        start = 0
        if self.token is not None:
            try:
                start = int(base64.urlsafe_b64decode(self.token.encode()).decode().removeprefix(self.tag))
            except (binascii.Error, ValueError, UnicodeDecodeError):
                raise self.errors.malformed() from None
            if not 0 <= start <= len(items):
                raise self.errors.out_of_range()
        end = start + self.limit
        token = base64.urlsafe_b64encode(f"{self.tag}{end}".encode()).decode() if end < len(items) else ""
        return Tokened(list(items[start:end]), token)


def by_token(params: Params, *, tag: str, errors: TokenErrors, default_size: int, max_size: int = 100) -> TokenRequest:
    """`tag` prefixes the offset inside the token, so one product's tokens are not another's."""
    limit = params.int("MaxResults", default_size, 1, max_size)
    token = params.get("NextToken")
    if token is not None and errors.max_length is not None and len(token) > errors.max_length:
        assert errors.too_long is not None
        raise errors.too_long()
    return TokenRequest(limit, token, tag, errors)


# ---- marker -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marked(Generic[T]):
    items: list[T]
    marker: str | None  # None on the last page

    def fields(self) -> dict[str, Any]:
        """`IsTruncated`, and `Marker` when there is more."""
        body: dict[str, Any] = {"IsTruncated": self.marker is not None}
        if self.marker is not None:
            body["Marker"] = self.marker
        return body


def by_marker(params: Params, items: Sequence[T], *, default_size: int = 100, max_size: int = 1000) -> Marked[T]:
    max_items = params.int("MaxItems", default_size, 1, max_size)
    start = 0
    marker = params.get("Marker")
    if marker is not None:
        if not marker.isdigit() or int(marker) > len(items):
            raise invalid("Marker", "not a marker this API returned")
        start = int(marker)
    end = start + max_items
    return Marked(list(items[start:end]), str(end) if end < len(items) else None)
