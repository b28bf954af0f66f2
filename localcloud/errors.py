"""The one error type every emulated API raises; the transport renders it per protocol."""

from __future__ import annotations


class ApiError(Exception):
    """An API failure with the real HTTP status and error code."""

    def __init__(self, status: int, code: str, message: str, *, retry_after_ms: int | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms


def missing(name: str) -> ApiError:
    return ApiError(
        400,
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    )


def invalid(name: str, why: str, code: str | None = None) -> ApiError:
    return ApiError(400, code or f"InvalidParameter.{name}", f"The parameter {name} is invalid: {why}")
