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


@pytest.mark.parametrize(
    ("code", "status", "message", "named"),
    [
        (
            "Forbidden.RAM",
            403,
            "User not authorized to operate on the specified resource, or this API doesn't support RAM. "
            "AuthAction: ecs:DescribeImages, AuthResource: acs:ecs:cn-hangzhou:1:image/*, NoPermissionType: "
            "ImplicitDeny",
            "ecs:DescribeImages (Ecs:DescribeImages)",
        ),
        # Log Service answers a RAM denial with 401 Unauthorized: a denial, not rejected credentials.
        (
            "Unauthorized",
            401,
            "denied by sts or ram, action: log:PostLogStoreLogs, resource: acs:log:cn-hangzhou:1:project/p/logstore/l",
            "log:PostLogStoreLogs (Ecs:DescribeImages)",
        ),
        ("NoPermission", 403, "You are not authorized to do this action.", "Ecs:DescribeImages"),
    ],
)
def test_a_denial_names_the_action_ram_refused(code: str, status: int, message: str, named: str) -> None:
    error = CloudError.of("Ecs:DescribeImages", code, message, status)
    assert type(error) is Denied
    assert f"the caller may not call {named}: grant it in the function role's permission policy" in error.one_line()


def test_log_service_unauthorized_credentials_stay_credentials() -> None:
    error = CloudError.of("Sls:PutLogs", "Unauthorized", "The security token you provided has expired.", 401)
    assert type(error) is CredentialsRejected
