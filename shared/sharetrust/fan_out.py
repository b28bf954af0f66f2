"""A central deployment's member accounts, reconciled as one asynchronous Function Compute invocation each.

The timer's reconcile invokes its own function once per member of the resource directory with
`{"sharetrust": "reconcile-member", "account": "<uid>"}`; each invocation reconciles that one member
through the member role, with the function's whole timeout. The payload is never trusted: the
account must be a UID and a member of the caller's directory (re-read), or the request is refused.
Parsing is pure; the invocations go through the FC 3.0 gateway.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sharetrust.model import is_account_uid
from sharetrust.parallel import map_bounded

MEMBER_RECONCILE = "reconcile-member"
_MAX_REQUEST_BYTES = 512  # a member request is tiny; anything larger is a timer event, never parsed as one
INVOKE_WORKERS = 4  # queuing an invocation is one quick call; a few at a time keep a large directory short


class BadMemberRequest(ValueError):
    """A payload that asks for a member reconcile but cannot be acted on; the message is one line."""


@dataclass(frozen=True)
class MemberRequest:
    account: str


@dataclass(frozen=True)
class FunctionAddress:
    """Where the running function is, to invoke itself: name, region and qualifier (version or alias)."""

    name: str
    region: str
    qualifier: str = "LATEST"


def member_payload(account: str) -> bytes:
    return json.dumps({"sharetrust": MEMBER_RECONCILE, "account": account}, sort_keys=True).encode()


def member_request(event: bytes | str | object) -> MemberRequest | None:
    """The member this event asks to reconcile; None when it is not such a request (a timer event).

    Raises BadMemberRequest when it names the request but its account is not a lone account UID."""
    if isinstance(event, str):
        event = event.encode()
    if not isinstance(event, (bytes, bytearray)) or len(event) > _MAX_REQUEST_BYTES:
        return None
    try:
        found = json.loads(bytes(event).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("sharetrust") != MEMBER_RECONCILE:
        return None
    account = found.get("account")
    extra = sorted(set(found) - {"sharetrust", "account"})
    if extra:
        raise BadMemberRequest(f"refused: a {MEMBER_RECONCILE} request carries only an account, not {', '.join(extra)}")
    if not isinstance(account, str) or not is_account_uid(account):
        raise BadMemberRequest(f"refused: a {MEMBER_RECONCILE} request needs an account UID, got {account!r}")
    return MemberRequest(account)


def function_address(context: Any, environ: Mapping[str, str], home_region: str) -> FunctionAddress | None:
    """The running function, from the FC context (function.name, region; python3.12 also has
    function.qualifier: FC "Context" page) or FC_FUNCTION_NAME / FC_REGION; None outside FC."""
    meta = getattr(context, "function", None)
    name = getattr(meta, "name", None) or environ.get("FC_FUNCTION_NAME", "")
    if not isinstance(name, str) or not name:
        return None
    region = getattr(context, "region", None) or environ.get("FC_REGION", "") or home_region
    qualifier = getattr(meta, "qualifier", None)
    return FunctionAddress(name, str(region), qualifier if isinstance(qualifier, str) and qualifier else "LATEST")


def invoke_each(
    members: Iterable[str], invoke: Callable[[str], None], describe_failure: Callable[[Exception], str | None]
) -> tuple[list[str], dict[str, str]]:
    """(invoked, failed: account → one line) of invoking each member; one failing does not stop the others.

    `describe_failure` turns an expected failure into its line, or None to let it propagate."""
    accounts = list(dict.fromkeys(members))

    def one(account: str) -> tuple[str, str | None]:
        try:
            invoke(account)
        except Exception as failed:
            line = describe_failure(failed)
            if line is None:
                raise
            return account, line
        return account, None

    invoked: list[str] = []
    failed: dict[str, str] = {}
    # Daemon threads (parallel.py): a Ctrl-C does not wait out an invocation hanging on a silent endpoint.
    for account, line in map_bounded(one, accounts, INVOKE_WORKERS):
        if line is None:
            invoked.append(account)
        else:
            failed[account] = line
    return invoked, failed
