"""The session's typed errors: each service answer becomes the kind callers catch."""

from __future__ import annotations

import pytest

from sharetrust.cloud.errors import (
    AlreadyExists,
    CloudError,
    CredentialsRejected,
    DeadlineExceeded,
    Denied,
    NotFound,
    Throttled,
    Unavailable,
    Unreachable,
)


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("EntityNotExist.Role", 404, NotFound),
        ("EntityNotExist.Role.Policy", 404, NotFound),
        ("Forbidden.KeyNotFound", 404, NotFound),
        ("InvalidImageId.NotFound", 404, NotFound),
        ("EntityAlreadyExists.Policy", 409, AlreadyExists),
        ("EntityAlreadyExists.Role.Policy", 409, AlreadyExists),
        ("Throttling.User", 400, Throttled),
        ("ReadQuotaExceed", 403, Throttled),
        ("ServiceUnavailable", 503, Unavailable),
        ("Whatever", 502, Unavailable),
        ("TransportError", None, Unreachable),
        ("DeadlineExceeded", None, DeadlineExceeded),
        ("SignatureDoesNotMatch", 400, CredentialsRejected),
        ("InvalidAccessKeyId.NotFound", 404, CredentialsRejected),
        ("MissingSecurityToken", 400, CredentialsRejected),
        ("NoPermission", 403, Denied),
        ("Forbidden.RAM", 403, Denied),
        ("InvalidParameter", 400, CloudError),
    ],
)
def test_each_answer_becomes_its_kind(code: str, status: int | None, kind: type[CloudError]) -> None:
    error = CloudError.of("Ram:GetRole", code, "it\nfailed", status)
    assert type(error) is kind
    assert error.code == code and str(error) == f"Ram:GetRole failed: {code}: it failed"
    assert error.retryable == (kind in (Throttled, Unavailable, Unreachable))
    assert "\n" not in error.one_line()
