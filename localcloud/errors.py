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


# ---- named factories: the status of each kind of failure, written once ---------------------------
# Handlers name the kind (`not_found("EntityNotExist.Role", ...)`) instead of writing the status;
# a code several places raise with one message shape has a factory of its own (here, or next to
# its only product: `sls._bad_raw_size`, `fc._function_not_found`).


def bad_request(code: str, message: str) -> ApiError:
    """400: a parameter or header the product refuses (`InvalidParameter.*`, `MissingParameter.*`, ...)."""
    return ApiError(400, code, message)


def unauthorized(code: str, message: str) -> ApiError:
    """401: the caller could not be authenticated, or (Log Service) was denied."""
    return ApiError(401, code, message)


def forbidden(code: str, message: str) -> ApiError:
    """403: the caller is known but may not do this, or the product refuses the operation."""
    return ApiError(403, code, message)


def not_found(code: str, message: str) -> ApiError:
    """404: the named entity does not exist (`EntityNotExist.*`, `Forbidden.KeyNotFound`, ...)."""
    return ApiError(404, code, message)


def conflict(code: str, message: str) -> ApiError:
    """409: the entity exists, is in use, or a limit is reached (`EntityAlreadyExists.*`, `DeleteConflict.*`, ...)."""
    return ApiError(409, code, message)


def incomplete_signature(why: str) -> ApiError:
    """POP's 400 IncompleteSignature for a malformed ACS3 Authorization header."""
    return bad_request("IncompleteSignature", why)


def throttled(status: int, code: str, message: str, *, retry_after_ms: int | None = None) -> ApiError:
    """A flow-control refusal; its status is the protocol's (POP 400, Log Service 403, FC 429)."""
    return ApiError(status, code, message, retry_after_ms=retry_after_ms)


def unavailable(code: str, message: str) -> ApiError:
    """503: a temporary failure the SDK retries."""
    return ApiError(503, code, message)


# ---- the parameter errors every POP product shares


def missing(name: str) -> ApiError:
    return bad_request(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    )


def invalid(name: str, why: str, code: str | None = None) -> ApiError:
    return bad_request(code or f"InvalidParameter.{name}", f"The parameter {name} is invalid: {why}")
