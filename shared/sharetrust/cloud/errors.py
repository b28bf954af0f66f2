"""Typed cloud errors: the session raises the kind, so callers write `except NotFound`, never compare codes.

`code` keeps the service's own error code for messages and the few places that need it exactly.
"""

from __future__ import annotations

import re

DEADLINE_EXCEEDED = "DeadlineExceeded"
TRANSPORT_ERROR = "TransportError"
_MESSAGE_MAX = 300

# By code, then by HTTP status. KMS says "Forbidden.KeyNotFound" for a key it cannot find.
_NOT_FOUND = re.compile(r"^(EntityNotExist|Forbidden\.KeyNotFound|Forbidden\.ResourceNotFound)|NotFound|NotExist")
_ALREADY_EXISTS = re.compile(r"^EntityAlreadyExists|AlreadyExist")
_THROTTLED = re.compile(r"^Throttling|^(WriteQuotaExceed|ReadQuotaExceed|ResourceExhausted)$")
_UNAVAILABLE = frozenset({"ServiceUnavailable", "InternalError", "UnknownError", "ServerBusy", "InternalServerError"})
_CREDENTIALS = re.compile(
    r"^(InvalidAccessKeyId|SignatureDoesNotMatch|SignatureNotMatch|InvalidSecurityToken|MissingSecurityToken"
    r"|SecurityToken|IncompleteSignature|InvalidAccessKeySecret|Unauthorized|InvalidTimeStamp|SignatureNonceUsed)"
)
_DENIED = re.compile(r"^(Forbidden|NoPermission|AccessDenied|NotAuthorized|NoAuth)")
# Log Service's RAM denial: 401 Unauthorized "denied by sts or ram, action: log:PostLogStoreLogs, resource: ..."
# (aliyun-log-go-sdk issue #38). POP products name the action in AccessDeniedDetail's "AuthAction: ...".
_SLS_DENIED = "denied by sts or ram"
_RAM_ACTION = re.compile(r"(?:AuthAction: |denied by sts or ram, action: )([A-Za-z0-9-]+:[A-Za-z0-9*]+)")


class CloudError(RuntimeError):
    """A cloud call failed for good. `code` is the service's error code (or the transport failure)."""

    retryable = False

    def __init__(self, action: str, code: str, message: str, status: int | None = None) -> None:
        message = _one_line(message)
        super().__init__(f"{action} failed: {code}: {message}")
        self.action = action
        self.code = code
        self.status = status

    @property
    def hint(self) -> str:
        """What the operator should check, for a one-line message ("" when the message says it all)."""
        return ""

    def one_line(self) -> str:
        return f"{self} ({self.hint})" if self.hint else str(self)

    @staticmethod
    def of(action: str, code: str, message: str, status: int | None = None) -> CloudError:
        """The typed error for a service's answer."""
        kind: type[CloudError] = CloudError
        if code == TRANSPORT_ERROR:
            kind = Unreachable
        elif code == DEADLINE_EXCEEDED:
            kind = DeadlineExceeded
        elif code == "Unauthorized" and _SLS_DENIED in message:
            kind = Denied  # Log Service answers a RAM denial with 401 Unauthorized
        elif _CREDENTIALS.match(code):  # before NotFound: InvalidAccessKeyId.NotFound is about the key
            kind = CredentialsRejected
        elif _NOT_FOUND.search(code):
            kind = NotFound
        elif _ALREADY_EXISTS.search(code):
            kind = AlreadyExists
        elif _THROTTLED.search(code) or status == 429:
            kind = Throttled
        elif code in _UNAVAILABLE or (status or 0) >= 500:
            kind = Unavailable
        elif _DENIED.match(code) or status == 403:
            kind = Denied
        return kind(action, code, message, status)


class NotFound(CloudError):
    """The role, policy, attachment, key or resource asked about does not exist."""


class AlreadyExists(CloudError):
    """What was to be created exists already (a concurrent writer, or an earlier attempt)."""


class Throttled(CloudError):
    retryable = True

    @property
    def hint(self) -> str:
        return "the service is throttling: a later retry completes the change"


class Unavailable(CloudError):
    retryable = True

    @property
    def hint(self) -> str:
        return "the service is failing: a later retry completes the change"


class Unreachable(CloudError):
    retryable = True

    @property
    def hint(self) -> str:
        return "cannot reach the service: check SHARETRUST_ENDPOINT, the network and any proxy"


class DeadlineExceeded(CloudError):
    @property
    def hint(self) -> str:
        return (
            "no answer within the invocation's deadline: check SHARETRUST_ENDPOINT and the network, "
            "or raise SHARETRUST_DEADLINE_SECONDS"
        )


class CredentialsRejected(CloudError):
    @property
    def hint(self) -> str:
        return (
            "check the credentials (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET / "
            "ALIBABA_CLOUD_SECURITY_TOKEN, or the function's role)"
        )


class Denied(CloudError):
    def __init__(self, action: str, code: str, message: str, status: int | None = None) -> None:
        super().__init__(action, code, message, status)
        found = _RAM_ACTION.search(message)
        self.ram_action = found.group(1) if found else None  # what RAM refused, e.g. ecs:DescribeImages

    @property
    def hint(self) -> str:
        refused = f"{self.ram_action} ({self.action})" if self.ram_action else self.action
        return f"the caller may not call {refused}: grant it in the function role's permission policy"


def _one_line(message: str) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= _MESSAGE_MAX else flat[: _MESSAGE_MAX - 1] + "…"
